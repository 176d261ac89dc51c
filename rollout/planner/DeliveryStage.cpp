#include "rollout/planner/DeliveryStage.h"

#include <algorithm>

#include <fmt/format.h>

#include "rollout/planner/FlagDocument.h"

namespace fro::rollout {

Position DeliveryStage::position(const PlanContext& c) {
  const RolloutStatus& st = c.st;
  const auto& phases = c.spec.phases;
  const bool aborted = st.rollback && st.rollback->reason == "Aborted";
  if (st.gateCheck && st.gateCheck->purpose == CheckPurpose::Retry && st.rollback) {
    // Nothing changes until the retry's gates have passed: the rolled-back values stay.
    const int failed = c.spec.phaseIndex(st.rollback->phase);
    return {aborted ? Position::Mode::Aborted : Position::Mode::RolledBack,
            failed >= 0 ? failed : static_cast<int>(phases.size()), 0};
  }
  if (st.gateCheck) {
    const int idx = c.spec.phaseIndex(st.gateCheck->phase);
    return {Position::Mode::NotStarted, idx >= 0 ? idx : st.phaseIndex, 0};
  }
  if (st.state == RolloutState::Succeeded) return {Position::Mode::Completed, 0, 0};
  if (st.state == RolloutState::RolledBack)
    return {aborted ? Position::Mode::Aborted : Position::Mode::RolledBack, st.phaseIndex, st.step};
  return {Position::Mode::InProgress, st.phaseIndex, st.step};
}

bool DeliveryStage::carries(const WorkloadView& w, const std::vector<std::string>& containers, const std::string& checksum) {
  return w.checksum == checksum && std::all_of(containers.begin(), containers.end(), [&](const std::string& c) {
           return std::find(w.envFromContainers.begin(), w.envFromContainers.end(), c) != w.envFromContainers.end();
         });
}

void DeliveryStage::desire(PlanContext& c) {
  const auto values = EffectiveFlags::at(c.spec, position(c));
  Plan& out = c.out;
  out.configMapData = FlagDocument::configMapData(values);
  out.checksum = FlagDocument::checksum(out.configMapData);
  out.configMapCurrent = c.in.configMap.exists && c.in.configMap.data == out.configMapData;
  c.st.flags.clear();
  for (const auto& v : values) c.st.flags.push_back({v.name, v.envVar, v.percent == 100, v.percent});
  out.targets.clear();
  for (const Target& t : c.spec.targets) {
    const WorkloadView* w = c.workload(t);  // exists: ClusterStage stops before a missing target
    TargetInjection inj{t.kind, t.name, t.containers.empty() ? w->containers : t.containers};
    inj.current = carries(*w, inj.containers, out.checksum);
    out.targets.push_back(std::move(inj));
  }
}

std::string DeliveryStage::waitingFor(const PlanContext& c) {
  // Delivered: the ConfigMap holds the values, the pod template carries them, pods rolled out.
  for (const TargetInjection& t : c.out.targets) {
    const WorkloadView* w = c.workload(Target{t.kind, t.name, {}});
    if (!c.out.configMapCurrent) return fmt::format("ConfigMap {} to hold the step's values", c.spec.configMapName);
    if (!t.current) return fmt::format("{} {} to receive the flag values in its pod template", t.kind, t.name);
    if (!w->rolledOut && !w->progress.empty()) return w->progress;
  }
  return "";
}

void DeliveryStage::release(PlanContext& c) {
  for (const auto& applied : c.st.appliedTargets) {
    const bool still = std::any_of(c.spec.targets.begin(), c.spec.targets.end(),
                                   [&](const Target& t) { return t.kind + "/" + t.name == applied; });
    if (still) continue;
    const auto slash = applied.find('/');
    c.out.releases.push_back({applied.substr(0, slash), slash == std::string::npos ? "" : applied.substr(slash + 1)});
  }
}

}  // namespace fro::rollout
