#include "rollout/planner/ClusterStage.h"

#include <algorithm>

#include <fmt/format.h>

#include "rollout/planner/Annotations.h"
#include "rollout/planner/DeliveryStage.h"

namespace fro::rollout {

void ClusterStage::invalid(PlanContext& c, const std::vector<std::string>& problems) {
  const std::string msg = join(problems, "; ");
  const bool same = c.old.state == RolloutState::Invalid && c.old.message == "invalid spec: " + msg;
  c.st.observedGeneration = c.rollout.generation;
  c.st.message = "invalid spec: " + msg;
  c.st.gatesSummary.clear();
  c.st.state = RolloutState::Invalid;
  if (!same) c.event(EventType::Warning, "InvalidSpec", msg + " (nothing was changed in the cluster)");
  c.ackIgnoredCommand("the spec is invalid; fix it first");
  c.setCondition("InvalidSpec", ConditionStatus::True, "InvalidSpec", msg);
  c.setCondition("Stalled", ConditionStatus::True, "InvalidSpec", msg);
  c.setCondition("Reconciling", ConditionStatus::False, "InvalidSpec",
                 "the spec must be fixed before the rollout can continue");
  c.setCondition("Ready", ConditionStatus::False, "InvalidSpec", msg);
  c.setCondition("Progressing", ConditionStatus::False, "InvalidSpec", msg);
  c.out.writeChildren = false;
  c.out.gateRequest.reset();
}

bool ClusterStage::stops(PlanContext& c) {
  const RolloutSpec& spec = c.spec;
  const std::string& ns = c.rollout.nameSpace;
  std::vector<std::string> problems;
  if (c.in.configMap.exists && !c.in.configMap.ownedByUs)
    problems.push_back(fmt::format(
        "spec.configMapName: ConfigMap \"{}\" already exists in namespace {} and is not owned by this FeatureRollout "
        "(owner: {}); choose another name or delete it",
        spec.configMapName, ns, c.in.configMap.owner));
  std::vector<std::string> missing;
  for (size_t i = 0; i < spec.targets.size(); ++i) {
    const Target& t = spec.targets[i];
    const WorkloadView* w = c.workload(t);
    if (!w || !w->exists) {
      missing.push_back(fmt::format("spec.targets[{}]: {} \"{}\" not found in namespace {}", i, t.kind, t.name, ns));
      continue;
    }
    for (size_t j = 0; j < t.containers.size(); ++j)
      if (std::find(w->containers.begin(), w->containers.end(), t.containers[j]) == w->containers.end())
        problems.push_back(fmt::format(
            "spec.targets[{}].containers[{}]: container \"{}\" is not in the pod template of {} {} (containers: {})", i, j,
            t.containers[j], t.kind, t.name, join(w->containers)));
  }
  for (auto& p : DeliveryStage::problems(c)) problems.push_back(std::move(p));
  if (!problems.empty()) {
    invalid(c, problems);
    return true;
  }
  if (missing.empty()) return claimTargets(c);
  // Not the user's typo necessarily: GitOps may create the workload a moment later. Wait, loudly.
  waitForTargets(c, "TargetNotFound", join(missing, "; "), "a target is missing");
  c.requeue(std::chrono::seconds(30));
  return true;
}

// A target claimed by another FeatureRollout that exists stalls this one (nothing written) until
// the other lets go; unclaimed targets, or claims left by a rollout that is gone, are claimed
// before anything else is written (the reconciler's patch is race-free).
bool ClusterStage::claimTargets(PlanContext& c) {
  std::vector<std::string> taken;
  for (size_t i = 0; i < c.spec.targets.size(); ++i) {
    const Target& t = c.spec.targets[i];
    const WorkloadView* w = c.workload(t);
    if (!w || w->claimedBy == c.rollout.name) continue;
    if (!w->claimedBy.empty() && w->claimantExists)
      taken.push_back(fmt::format(
          "spec.targets[{}]: {} \"{}\" is already rolled out by FeatureRollout \"{}\" (annotation {}); one workload, one "
          "rollout: remove it from one of them",
          i, t.kind, t.name, w->claimedBy, names::kOwnerAnnotation));
    else
      c.out.claims.push_back({t.kind, t.name, w->claimedBy});
  }
  if (taken.empty()) return false;
  c.out.claims.clear();
  waitForTargets(c, "TargetClaimed", join(taken, "; "), "a target belongs to another FeatureRollout");
  return true;
}

void ClusterStage::waitForTargets(PlanContext& c, const std::string& reason, const std::string& msg,
                                  const std::string& ackWhy) {
  const Condition* was = c.old.condition("Stalled");
  if (!(was && was->reason == reason && was->message == msg))
    c.event(EventType::Warning, reason, msg + " (nothing was changed in the cluster)");
  c.ackIgnoredCommand(ackWhy);
  c.st.observedGeneration = c.rollout.generation;
  if (c.st.state == RolloutState::Unset) c.st.state = RolloutState::Pending;
  c.st.message = "waiting for targets: " + msg;
  c.setCondition("InvalidSpec", ConditionStatus::False, "SpecValid", "the spec is valid");
  c.setCondition("Stalled", ConditionStatus::True, reason, msg);
  c.setCondition("Reconciling", ConditionStatus::False, reason, msg);
  c.setCondition("Ready", ConditionStatus::False, reason, msg);
  c.out.writeChildren = false;
  c.out.gateRequest.reset();
}

}  // namespace fro::rollout
