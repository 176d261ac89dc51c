#pragma once
// The current step: paused (by spec, annotation or the operator) freezes its timers; promote skips
// its pause and gates; it becomes active once its values are delivered (or stalls past
// progressDeadline); then its pause runs while its gates are judged, and it advances, holds, or
// rolls back (rollback: manual pauses instead). Also runs the gate check before exposure when one
// is pending.
#include <string>

#include "rollout/planner/CommandStage.h"
#include "rollout/planner/PlanContext.h"
#include "rollout/planner/StepOutcome.h"

namespace fro::rollout {

class StepStage {
 public:
  // waiting: what delivery of the current values still waits for ("" when delivered).
  static StepOutcome run(PlanContext& c, const Command& command, const std::string& waiting);

 private:
  static void advance(PlanContext& c, bool fullPhase, const std::string& why);
  static void rollBack(PlanContext& c, const Verdict& v);
  static std::string pausedBy(const PlanContext& c);
};

}  // namespace fro::rollout
