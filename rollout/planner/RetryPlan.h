#pragma once
// Where a retry restarts (after a rollback, an abort, or a spec change of a rolled-back rollout),
// so that no flag ever rises by more than one of its own steps without that step's gates:
// the first phase whose flags are not at the values that phase leaves them at. Every phase before
// it already is, so delivering the restarted phase's first step raises only that phase's flags,
// and only to its first step's percent. After an abort (every flag at its default) that is the
// first phase that changes anything: the rollout walks again from there, step by step.
#include <vector>

#include "rollout/planner/FlagDocument.h"
#include "rollout/planner/RolloutSpec.h"

namespace fro::rollout {

struct RetryPlan {
  int phase = -1;                 // index into spec.phases; -1: every phase's flags are already final
  std::vector<FlagValue> before;  // the values now, in spec flag order
  std::vector<FlagValue> after;   // the values once the restarted phase's first step is delivered

  // current: the values delivered now (status.flags), any order; flags missing from it count as
  // their defaults.
  static RetryPlan compute(const RolloutSpec& spec, const std::vector<FlagValue>& current);
};

}  // namespace fro::rollout
