#include "rollout/controller/FeatureRolloutReconciler.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/kube/ApiError.h"
#include "runtime/kube/Resource.h"
#include "rollout/planner/Annotations.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;
using controller::ReconcileOutcome;

std::pair<std::string, std::string> splitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace

FeatureRolloutReconciler::FeatureRolloutReconciler(kube::ObjectWriter& writer, const ObjectSource& objects,
                                                   GateProvider& gates, events::EventRecorder& recorder,
                                                   Options options)
    : writer_(writer),
      objects_(objects),
      gates_(gates),
      opts_(std::move(options)),
      finalizer_(writer, kube::Resource::featureRollouts(), names::kFinalizer),
      executor_(writer, gates, recorder,
                {opts_.clock, opts_.log, opts_.onStatus,
                 [this](const std::string& key, const std::string& replaced, const json& written) {
                   recent_.wrote(key, replaced, written);
                 }}) {}

ReconcileOutcome FeatureRolloutReconciler::reconcile(const std::string& key) {
  auto [ns, name] = splitKey(key);
  kube::CachedPtr cached = objects_.get("FeatureRollout", ns, name);
  if (!cached) {
    gates_.forget(key);
    executor_.forget(key);
    recent_.forget(key);
    if (opts_.onStatus) opts_.onStatus(ns, name, nullptr);
    return ReconcileOutcome::success();
  }
  // Our own last write, when the cache has not seen it yet (RecentWrites).
  const std::string cachedVersion = cached->fields.value("/metadata/resourceVersion"_json_pointer, std::string());
  json fr = recent_.fresher(key, cachedVersion).value_or(cached->fields);
  switch (finalizer_.of(fr)) {
    case Finalizer::Case::Gone:
      gates_.forget(key);
      return ReconcileOutcome::success();
    case Finalizer::Case::CleanUp:
      return finalize(key, fr);
    case Finalizer::Case::Add: {
      // Everything written after it can be cleaned up on deletion. A failed test op (stale cache)
      // comes back as 422 Invalid or 409: try again from the cache.
      auto md = finalizer_.add(fr);
      if (!md.ok()) {
        executor_.log("info", "adding finalizer failed; retrying", json{{"rollout", key}, {"error", md.error().message}});
        return ReconcileOutcome::error("adding finalizer: " + md.error().message);
      }
      const std::string replaced = fr.value("/metadata/resourceVersion"_json_pointer, std::string());
      fr["metadata"] = *md;
      recent_.wrote(key, replaced, fr);
      break;
    }
    case Finalizer::Case::Proceed:
      break;
  }
  auto in = observe(key, fr);
  if (!in.ok()) return ReconcileOutcome::error(in.error().message);
  Plan plan = RolloutPlanner::plan(*in);
  if (opts_.onPlan) opts_.onPlan(key, plan);
  return executor_.execute(key, std::move(fr), *in, std::move(plan));
}

Result<PlanInput> FeatureRolloutReconciler::observe(const std::string& key, const json& fr) {
  PlanInput in;
  in.now = opts_.clock->now();
  in.rollout = RolloutObject::fromJson(fr);
  const RolloutObject& ro = in.rollout;
  json cm;
  if (auto c = objects_.get("ConfigMap", ro.nameSpace, ro.configMapName)) {
    cm = c->fields;
  } else {
    // Our ConfigMaps carry our label (the cache watches only those): check for a foreign one.
    auto g = writer_.get(kube::Resource::configMaps(), ro.nameSpace, ro.configMapName);
    if (g.ok()) cm = *g;
    else if (!kube::ApiError::isNotFound(g.error())) return Error::of("reading ConfigMap: " + g.error().message);
  }
  in.configMap = ConfigMapView::observe(&cm, ro.uid);
  for (const auto& t : fr.value("/spec/targets"_json_pointer, json::array())) {
    if (!t.is_object()) continue;
    const std::string kind = t.value("kind", ""), name = t.value("name", "");
    auto w = objects_.get(kind, ro.nameSpace, name);
    // Not cached: its watch event may only trail the rollout's (both created at once, a GitOps
    // sync): asked for, so a workload that exists is never reported TargetNotFound.
    json live;
    if (auto r = kube::Resource::workload(kind); !w && r) {
      auto g = writer_.get(*r, ro.nameSpace, name);
      if (g.ok()) live = WorkloadView::project(*g);
      else if (!kube::ApiError::isNotFound(g.error())) return Error::of(fmt::format("reading {} {}: {}", kind, name, g.error().message));
    }
    WorkloadView v = WorkloadView::observe(kind, name, w ? &w->fields : live.is_object() ? &live : nullptr, ro.configMapName);
    if (!v.claimedBy.empty() && v.claimedBy != ro.name)
      v.claimantExists = objects_.get("FeatureRollout", ro.nameSpace, v.claimedBy) != nullptr;
    in.workloads.push_back(std::move(v));
  }
  in.gates = gates_.observe(key);
  in.writeError = executor_.writeError(key);
  return in;
}

// Every target we may have touched (applied, or named by the spec) is released before the
// finalizer goes; a workload another rollout owns is left alone (ChildWriter::releaseTarget).
ReconcileOutcome FeatureRolloutReconciler::finalize(const std::string& key, const json& fr) {
  gates_.forget(key);
  const RolloutObject ro = RolloutObject::fromJson(fr);
  std::vector<std::string> targets = ro.status.appliedTargets;
  for (const auto& t : fr.value("/spec/targets"_json_pointer, json::array())) {
    if (!t.is_object()) continue;
    const std::string k = t.value("kind", "") + "/" + t.value("name", "");
    if (std::find(targets.begin(), targets.end(), k) == targets.end()) targets.push_back(k);
  }
  ChildWriter children(writer_);
  for (const auto& t : targets) {
    const auto slash = t.find('/');
    if (slash == std::string::npos) continue;
    if (auto s = children.releaseTarget(ro.nameSpace, t.substr(0, slash), t.substr(slash + 1), ro.configMapName, ro.name);
        !s.ok())
      return ReconcileOutcome::error(fmt::format("removing flag injection from {}: {}", t, s.error().message));
  }
  if (auto s = finalizer_.remove(fr); !s.ok()) return ReconcileOutcome::error("removing finalizer: " + s.error().message);
  executor_.log("info", "cleaned up before deletion", json{{"rollout", key}, {"targets", targets}});
  if (opts_.onStatus) opts_.onStatus(ro.nameSpace, ro.name, nullptr);
  return ReconcileOutcome::success();
}

}  // namespace fro::rollout
