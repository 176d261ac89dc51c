#pragma once
// Where the rollout stands under the spec as it is now: the first reconcile starts the first
// unfinished phase; an edited phase restarts its steps (progress is kept by phase name); a removed
// phase moves on to the next; a spec change of a rolled-back rollout asks for a retry; a status that
// does not fit the spec (hand-edited, or written for another generation) is re-resolved by phase
// name rather than trusted, so the planner never indexes out of range.
#include <optional>
#include <string>

#include "rollout/planner/PlanContext.h"

namespace fro::rollout {

class EditStage {
 public:
  // The retry a spec change asks for (why), if any.
  static std::optional<std::string> reposition(PlanContext& c);
  static void normalize(PlanContext& c);
};

}  // namespace fro::rollout
