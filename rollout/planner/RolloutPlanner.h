#pragma once
// The reconciler's decisions, as a pure function:
//   (typed rollout, observed ConfigMap and workloads, latest gate results, now) -> Plan
// No I/O, no clock reads, no randomness: every transition of a rollout is table-tested with an
// injected time. The I/O layer (FeatureRolloutReconciler) executes the plan: status first, then
// children, so a crash between the two never skips or repeats a step (status is the single source
// of truth).
//
// plan() is a short composition of stages, each a function of the context that returns what it
// decided (no stage reads another's scratch state):
//   ClusterStage   invalid spec, foreign ConfigMap, missing or claimed targets: stop here
//   EditStage      position after a spec edit; a hand-edited status re-resolved by phase name
//   CommandStage   the command annotation: resume, promote, abort, retry
//   RetryStage     where a retry restarts (RetryPlan) and whether its gates are checked first
//   DeliveryStage  the values at the current position, and whether they have reached the pods
//   StepStage      pause, promote, gates, advance, hold, roll back (GateStage judges the gates)
//   ConditionStage the kstatus conditions from where the rollout stands
#include "rollout/planner/Plan.h"

namespace fro::rollout {

class RolloutPlanner {
 public:
  static Plan plan(const PlanInput& in);
};

}  // namespace fro::rollout
