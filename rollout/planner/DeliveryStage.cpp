#include "rollout/planner/DeliveryStage.h"

#include <algorithm>

#include <fmt/format.h>

#include "rollout/planner/Annotations.h"
#include "rollout/planner/FlagDocument.h"
#include "runtime/common/Duration.h"
#include "runtime/common/NumberText.h"
#include "runtime/common/Rfc3339.h"

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

namespace {

bool hasEnv(const ContainerView& c, const char* name, const std::string& value) {
  return std::any_of(c.env.begin(), c.env.end(), [&](const EnvView& e) { return e.name == name && e.value == value; });
}

bool anyOurs(const ContainerView& c) {
  return std::any_of(c.env.begin(), c.env.end(), [](const EnvView& e) { return e.ours; }) ||
         std::any_of(c.mounts.begin(), c.mounts.end(), [](const MountView& m) { return m.ours; });
}

std::string millis(std::chrono::milliseconds d) { return Duration::format(d); }

}  // namespace

bool DeliveryStage::carries(const WorkloadView& w, const std::vector<std::string>& containers, const Plan& plan,
                            const std::string& configMapName) {
  if (w.checksum != plan.checksum) return false;
  if (plan.file) {
    const VolumeView* v = w.volume(plan.file->volumeName);
    if (!v || v->configMap != configMapName) return false;
  } else if (std::any_of(w.volumes.begin(), w.volumes.end(), [](const VolumeView& v) { return v.ours; })) {
    return false;
  }
  for (const ContainerView& cv : w.podContainers) {
    const bool chosen = std::find(containers.begin(), containers.end(), cv.name) != containers.end();
    const bool envFrom = std::find(w.envFromContainers.begin(), w.envFromContainers.end(), cv.name) != w.envFromContainers.end();
    if (!chosen) {
      if (envFrom || anyOurs(cv)) return false;  // left over from a wider containers list
      continue;
    }
    if (envFrom != plan.envFrom) return false;
    if (plan.file) {
      const bool mounted = std::any_of(cv.mounts.begin(), cv.mounts.end(), [&](const MountView& m) {
        return m.volume == plan.file->volumeName && m.mountPath == plan.file->mountPath && m.subPath.empty();
      });
      if (!mounted || !hasEnv(cv, names::kFlagdResolverEnv, names::kFlagdResolverValue) ||
          !hasEnv(cv, names::kFlagdSourcePathEnv, plan.file->flagFile))
        return false;
      // A stale mount of ours elsewhere (the mountPath changed).
      if (std::any_of(cv.mounts.begin(), cv.mounts.end(), [&](const MountView& m) { return m.ours && m.mountPath != plan.file->mountPath; }))
        return false;
    } else if (anyOurs(cv)) {
      return false;
    }
  }
  for (const auto& c : containers)
    if (!w.container(c)) return false;
  return true;
}

std::vector<std::string> DeliveryStage::problems(const PlanContext& c) {
  std::vector<std::string> out;
  const Delivery& d = c.spec.delivery;
  // The largest document the rollout can write: every flag at a fractional percent.
  std::vector<FlagValue> widest;
  for (const auto& f : c.spec.flags) widest.push_back({f.name, f.envVar, 50});
  const auto bytes = FlagDocument::dataBytes(FlagDocument::configMapData(widest, {c.rollout.nameSpace + "/" + c.rollout.name, 1LL << 53}));
  if (bytes > FlagDocument::kMaxDataBytes)
    out.push_back(fmt::format("spec.flags: the ConfigMap {} would hold {} bytes of data, over the API server's limit of {} "
                              "bytes (1 MiB); split the flags across rollouts",
                              c.spec.configMapName, bytes, FlagDocument::kMaxDataBytes));
  if (!d.file) return out;
  for (size_t i = 0; i < c.spec.targets.size(); ++i) {
    const Target& t = c.spec.targets[i];
    const WorkloadView* w = c.workload(t);
    if (!w || !w->exists) continue;
    if (const VolumeView* v = w->volume(d.volumeName); v && !v->ours)
      out.push_back(fmt::format("spec.delivery.file.volumeName: Invalid value: \"{}\": {} {} (spec.targets[{}]) already has a "
                                "volume of that name{}; choose another volumeName",
                                d.volumeName, t.kind, t.name, i, v->configMap.empty() ? "" : " (ConfigMap " + v->configMap + ")"));
    const auto& names = t.containers.empty() ? w->containers : t.containers;
    for (const auto& cname : names) {
      const ContainerView* cv = w->container(cname);
      if (!cv) continue;
      for (const MountView& m : cv->mounts)
        if (!m.ours && m.mountPath == d.mountPath)
          out.push_back(fmt::format("spec.delivery.file.mountPath: Invalid value: \"{}\": container \"{}\" of {} {} "
                                    "(spec.targets[{}]) already mounts volume \"{}\" there; choose another mountPath",
                                    d.mountPath, cname, t.kind, t.name, i, m.volume));
      for (const EnvView& e : cv->env)
        if (!e.ours && (e.name == names::kFlagdResolverEnv || e.name == names::kFlagdSourcePathEnv))
          out.push_back(fmt::format("spec.delivery.file: container \"{}\" of {} {} (spec.targets[{}]) already sets env {}{}; "
                                    "remove it from the pod template or set spec.delivery.file.enabled: false",
                                    cname, t.kind, t.name, i, e.name, e.value.empty() ? "" : "=" + e.value));
    }
  }
  return out;
}

void DeliveryStage::desire(PlanContext& c) {
  const auto values = EffectiveFlags::at(c.spec, position(c));
  Plan& out = c.out;
  const Delivery& d = c.spec.delivery;
  DeliveryStatus& ds = c.st.delivery;
  // A new revision whenever the values change (also back to earlier ones): always increasing, so
  // "the pods serve at least revision N" is one comparison.
  const std::string values_sum = FlagDocument::checksum(FlagDocument::configMapData(values));
  if (ds.valuesChecksum != values_sum || ds.revision == 0) {
    ds = DeliveryStatus{ds.revision + 1, values_sum, std::nullopt, std::nullopt, false};
  }
  out.configMapData = FlagDocument::configMapData(values, {c.rollout.nameSpace + "/" + c.rollout.name, ds.revision});
  out.checksum = FlagDocument::restartChecksum(values, out.configMapData, d.restartOn);
  out.envFrom = d.env();
  if (d.file) out.file = FileMount{d.volumeName, d.mountPath, d.flagFilePath()};
  else out.file.reset();
  out.configMapCurrent = c.in.configMap.exists && c.in.configMap.dataDigest == FlagDocument::checksum(out.configMapData);
  c.st.flags.clear();
  for (const auto& v : values) c.st.flags.push_back({v.name, v.envVar, v.percent == 100, v.percent});
  out.targets.clear();
  for (const Target& t : c.spec.targets) {
    const WorkloadView* w = c.workload(t);  // exists: ClusterStage stops before a missing target
    TargetInjection inj{t.kind, t.name, t.containers.empty() ? w->containers : t.containers};
    inj.current = carries(*w, inj.containers, out, c.spec.configMapName);
    out.targets.push_back(std::move(inj));
  }
}

std::string DeliveryStage::waitingFor(PlanContext& c, bool exposure) {
  // Delivered: the ConfigMap holds the values, the pod template carries them, pods rolled out.
  for (const TargetInjection& t : c.out.targets) {
    const WorkloadView* w = c.workload(Target{t.kind, t.name, {}});
    if (!c.out.configMapCurrent) return fmt::format("ConfigMap {} to hold the values", c.spec.configMapName);
    if (!t.current) return fmt::format("{} {} to receive the flag values in its pod template", t.kind, t.name);
    if (!w->rolledOut && !w->progress.empty()) return w->progress;
  }
  const Delivery& d = c.spec.delivery;
  if (!d.file) return "";
  // File delivery: running pods see the new file only after kubelet's sync and the provider's
  // poll, which the operator cannot observe; so an allowance, then the optional exposure check.
  DeliveryStatus& ds = c.st.delivery;
  if (!ds.deliveredAt) {
    ds.deliveredAt = c.in.now;
    ds.activeAfter = c.in.now + d.allowance;
  }
  if (c.in.now < *ds.activeAfter) {
    c.requeue(std::chrono::duration_cast<std::chrono::milliseconds>(*ds.activeAfter - c.in.now));
    return fmt::format("revision {} to reach the pods' files: the propagation allowance ({}) ends at {}", ds.revision,
                       millis(d.allowance), Rfc3339::format(*ds.activeAfter));
  }
  if (!exposure || d.exposureQuery.empty() || ds.exposed) return "";
  const auto it = std::find_if(c.in.gates.begin(), c.in.gates.end(), [&](const GateObservation& o) {
    return o.name == names::kExposureGate && o.evaluatedAt > *ds.activeAfter;
  });
  if (it != c.in.gates.end() && it->value && *it->value >= static_cast<double>(ds.revision)) {
    ds.exposed = true;
    return "";
  }
  GateRequest req;
  req.nameSpace = c.rollout.nameSpace;
  req.gates.push_back(Gate{names::kExposureGate, d.exposureQuery, {}, {}, OnNoData::Hold});
  req.prometheus = c.spec.prometheus;
  req.interval = c.spec.analysisInterval;
  req.since = *ds.activeAfter;
  c.out.gateRequest = req;
  const std::string seen = it == c.in.gates.end() ? "not evaluated yet"
                           : it->value             ? "it shows " + numberText(*it->value)
                                                   : it->message;
  return fmt::format("the exposure query to show revision {} served ({})", ds.revision, seen);
}

void DeliveryStage::settleCompleted(PlanContext& c, StepOutcome& o) {
  DeliveryStatus& ds = c.st.delivery;
  // Delivered before and nothing to write or newly observed: a later scale-up or pause of a target
  // is not this rollout's progress to report (Ready would flap with every HPA step).
  const bool writes = !c.out.configMapCurrent ||
                      std::any_of(c.out.targets.begin(), c.out.targets.end(), [](const TargetInjection& t) { return !t.current; });
  if (!writes && c.old.observedGeneration == c.rollout.generation && !ds.pendingSince) return;
  o.delivering = waitingFor(c, false);
  if (o.delivering.empty()) {
    ds.pendingSince.reset();
    return;
  }
  if (!ds.pendingSince) ds.pendingSince = c.in.now;
  const TimePoint deadline = *ds.pendingSince + c.spec.progressDeadline;
  if (c.in.now < deadline) {
    c.requeue(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - c.in.now));
    return;
  }
  if (o.stalledReason.empty())
    o.stall("ProgressDeadlineExceeded",
            fmt::format("the values of generation {} were not delivered within progressDeadline {}: waiting for {}",
                        c.rollout.generation, millis(c.spec.progressDeadline), o.delivering));
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
