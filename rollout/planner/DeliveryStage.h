#pragma once
// The flag values at the rollout's position and how far they have reached: the ConfigMap's data
// and checksum, each target's injection (and whether its pod template already carries it: the one
// place that is decided, the reconciler only writes what is not current), the targets to release,
// and what the step still waits for before it is active.
#include <string>

#include "rollout/planner/EffectiveFlags.h"
#include "rollout/planner/PlanContext.h"

namespace fro::rollout {

class DeliveryStage {
 public:
  // Which values are delivered at the current status position.
  static Position position(const PlanContext& c);
  // Sets the plan's ConfigMap data, checksum and targets, and status.flags, for the position now.
  static void desire(PlanContext& c);
  // What the current values still wait for: the ConfigMap, a pod template, a rollout ("" = delivered).
  static std::string waitingFor(const PlanContext& c);
  // Targets in status.appliedTargets that the spec no longer names.
  static void release(PlanContext& c);
  // Whether a workload's pod template carries these values in every one of the containers.
  static bool carries(const WorkloadView& w, const std::vector<std::string>& containers, const std::string& checksum);
};

}  // namespace fro::rollout
