#pragma once
// What stops a rollout before it decides anything: a spec the CRD could not refuse (InvalidSpec),
// a ConfigMap that belongs to someone else, a container that is not in a target's pod template,
// a target that is missing (GitOps may create it a moment later) or claimed by another rollout
// (one workload, one rollout). Each sets its conditions and one Warning Event per situation, and
// nothing is written in the cluster but status.
#include <string>
#include <vector>

#include "rollout/planner/PlanContext.h"

namespace fro::rollout {

class ClusterStage {
 public:
  // true: the plan is complete (status only); false: the rollout may proceed (claims planned).
  static bool stops(PlanContext& c);
  // The spec cannot be acted on: InvalidSpec with every problem named.
  static void invalid(PlanContext& c, const std::vector<std::string>& problems);

 private:
  static bool claimTargets(PlanContext& c);
  static void waitForTargets(PlanContext& c, const std::string& reason, const std::string& msg, const std::string& ackWhy);
};

}  // namespace fro::rollout
