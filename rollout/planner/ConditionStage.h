#pragma once
// The kstatus conditions (Ready, Reconciling, Stalled, Progressing, GatesPassing, RolledBack,
// InvalidSpec) from where the rollout stands after the other stages, so kubectl, Argo CD and Flux
// show the truth; and the Warning Event of a gate that starts to warn while a pause still runs.
#include "rollout/planner/PlanContext.h"
#include "rollout/planner/StepOutcome.h"

namespace fro::rollout {

class ConditionStage {
 public:
  static void run(PlanContext& c, StepOutcome outcome);

 private:
  static void succeeded(PlanContext& c, const StepOutcome& o);
  static void inStep(PlanContext& c, const StepOutcome& o);
};

}  // namespace fro::rollout
