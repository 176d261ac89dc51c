#pragma once
// Which share of users has each flag at a given position of a rollout (docs/DESIGN.md section 2):
// - a flag not yet reached has its default (true = 100%, false = 0%);
// - a flag a phase enables has that phase's current step percent, and keeps its last step's
//   percent once the phase completes;
// - a flag a phase disables is off from that phase's first step (retiring a legacy flag);
// - rolled back: without onFailure the failed phase is reverted (every flag it enabled or disabled
//   has its default again); with onFailure, its actions apply on top of where the phase stood
//   (onFailure.disable -> 0%, onFailure.enable -> 100%, other flags keep their percent: the plan's
//   "disable write operations, revert to read-only mode"). Earlier phases keep their values;
// - aborted: every flag has its default;
// - not started: the phase waits for its gates to be judged before its first step; every phase
//   before it is complete, it and every later phase have their defaults.
#include <string>
#include <vector>

#include "rollout/planner/FlagDocument.h"
#include "rollout/planner/RolloutSpec.h"

namespace fro::rollout {

struct Position {
  enum class Mode { InProgress, Completed, RolledBack, Aborted, NotStarted };
  Mode mode = Mode::InProgress;
  int phase = 0;  // index into spec.phases; for RolledBack, the phase that failed
  int step = 0;   // index into that phase's steps (InProgress)
};

class EffectiveFlags {
 public:
  // One value per spec flag, in spec order.
  static std::vector<FlagValue> at(const RolloutSpec& spec, const Position& pos);
  // "search 0% -> 10%" for each flag whose percent differs between two value lists (matched by
  // name, in the order of `after`): what Events, rollback records and the plugin's previews say.
  static std::vector<std::string> changes(const std::vector<FlagValue>& before, const std::vector<FlagValue>& after);
};

}  // namespace fro::rollout
