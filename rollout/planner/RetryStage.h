#pragma once
// A retry restarts where RetryPlan says, so no flag rises by more than one step; unless --force,
// only once that phase's gates have passed at the rolled-back values (a fresh evaluation after the
// request): a retry while the critical signal is still there exposes nobody.
#include "rollout/planner/PlanContext.h"
#include "rollout/planner/StepOutcome.h"

namespace fro::rollout {

class RetryStage {
 public:
  static void begin(PlanContext& c, const RetryRequest& r);
  // Phase idx and every later one start over (idx's gates were checked already).
  static void restartFrom(PlanContext& c, int idx, const std::string& why);
};

}  // namespace fro::rollout
