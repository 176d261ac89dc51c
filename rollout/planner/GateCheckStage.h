#pragma once
// Gates judged before any user is exposed (status.gateCheck, state Pending). Start: every gate
// must have been evaluated without an error and none may be critical (no data is fine: nobody has
// the flag yet). Retry: they must pass at the rolled-back values, as the pods have them; a critical
// result refuses the retry and exposes nobody.
#include <string>

#include "rollout/planner/PlanContext.h"
#include "rollout/planner/StepOutcome.h"

namespace fro::rollout {

class GateCheckStage {
 public:
  // waiting: what delivery of the current values still waits for ("" when delivered).
  static StepOutcome run(PlanContext& c, const std::string& waiting);
};

}  // namespace fro::rollout
