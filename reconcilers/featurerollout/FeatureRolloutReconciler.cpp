#include "reconcilers/featurerollout/FeatureRolloutReconciler.h"

#include <algorithm>

#include "operator/common/Rfc3339.h"
#include "operator/kube/ApiError.h"
#include "operator/kube/Resource.h"
#include "reconcilers/featurerollout/Annotations.h"
#include "reconcilers/featurerollout/RolloutPlanner.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;
using controller::ReconcileOutcome;

kube::Resource workloadResource(const std::string& kind) {
  if (kind == "StatefulSet") return kube::Resource::statefulSets();
  if (kind == "DaemonSet") return kube::Resource::daemonSets();
  return kube::Resource::deployments();
}

bool isOurs(const json& envFromEntry, const std::string& configMap) {
  return envFromEntry.value("/configMapRef/name"_json_pointer, std::string()) == configMap &&
         !envFromEntry.contains("prefix");
}

// The path of our claim annotation in a JSON patch ("/" in the key escaped by the library).
std::string ownerAnnotationPath() {
  return (json::json_pointer("/metadata/annotations") / names::kOwnerAnnotation).to_string();
}

// The Events' involvedObject: the rollout as last written.
events::ObjectReference rolloutRef(const json& fr) {
  const json& md = fr["metadata"];
  return {fr.value("apiVersion", "rollouts.featureflags.dev/v1alpha1"), "FeatureRollout", md.value("namespace", ""),
          md.value("name", ""), md.value("uid", ""), md.value("resourceVersion", "")};
}

// <rollout>.<uid prefix>-<seq>: a DNS subdomain, unique per transition of this rollout object.
std::string transitionEventName(const std::string& rollout, const std::string& uid, std::int64_t seq) {
  std::string base = rollout.substr(0, 220);
  while (!base.empty() && (base.back() == '.' || base.back() == '-')) base.pop_back();
  return base + "." + uid.substr(0, 8) + "-" + std::to_string(seq);
}

std::pair<std::string, std::string> splitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace

FeatureRolloutReconciler::FeatureRolloutReconciler(kube::KubeClient& client, const ObjectSource& objects,
                                                   GateProvider& gates, events::EventRecorder& recorder,
                                                   Options options)
    : client_(client), objects_(objects), gates_(gates), recorder_(recorder), opts_(std::move(options)) {}

void FeatureRolloutReconciler::log(const std::string& level, const std::string& msg, const json& fields) const {
  if (opts_.log) opts_.log(level, msg, fields);
}

ReconcileOutcome FeatureRolloutReconciler::reconcile(const std::string& key) {
  auto [ns, name] = splitKey(key);
  kube::CachedPtr cached = objects_.get("FeatureRollout", ns, name);
  if (!cached) {
    gates_.forget(key);
    {
      std::lock_guard<std::mutex> l(writeErrorsMu_);
      writeErrors_.erase(key);
    }
    if (opts_.onStatus) opts_.onStatus(ns, name, nullptr);
    return ReconcileOutcome::success();
  }
  json fr = cached->fields;
  const json& md = fr["metadata"];

  if (md.contains("deletionTimestamp")) return finalize(fr);

  // 1. Finalizer first: everything written after it can be cleaned up on deletion.
  std::vector<std::string> finalizers = md.value("finalizers", std::vector<std::string>{});
  if (std::find(finalizers.begin(), finalizers.end(), names::kFinalizer) == finalizers.end()) {
    json ops = json::array({{{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", md.value("resourceVersion", "")}}});
    if (finalizers.empty()) ops.push_back({{"op", "add"}, {"path", "/metadata/finalizers"}, {"value", {names::kFinalizer}}});
    else ops.push_back({{"op", "add"}, {"path", "/metadata/finalizers/-"}, {"value", names::kFinalizer}});
    auto r = client_.patch(kube::Resource::featureRollouts(), ns, name, kube::PatchType::JsonPatch, ops);
    if (!r.ok()) {
      // A failed test op (stale cache) comes back as 422 Invalid or 409: try again from the cache.
      log("info", "adding finalizer failed; retrying", json{{"rollout", key}, {"error", r.error().message}});
      return ReconcileOutcome::error("adding finalizer: " + r.error().message);
    }
    fr["metadata"] = (*r)["metadata"];
  }

  // 2. Observe.
  PlanInput in;
  in.now = opts_.clock->now();
  in.rollout = RolloutObject::fromJson(fr);
  const std::string uid = in.rollout.uid;
  const std::string cmName = in.rollout.configMapName;
  json cmObj;
  if (auto c = objects_.get("ConfigMap", ns, cmName)) {
    cmObj = c->fields;
  } else {
    // Our ConfigMaps carry our label (the cache watches only those): check for a foreign one.
    auto g = client_.get(kube::Resource::configMaps(), ns, cmName);
    if (g.ok()) cmObj = *g;
    else if (!kube::ApiError::isNotFound(g.error())) return ReconcileOutcome::error("reading ConfigMap: " + g.error().message);
  }
  if (cmObj.is_object()) {
    in.configMap.exists = true;
    in.configMap.owner = "nobody";
    for (const auto& ref : cmObj.value("/metadata/ownerReferences"_json_pointer, json::array())) {
      if (ref.value("uid", "") == uid) in.configMap.ownedByUs = true;
      else if (ref.value("controller", false)) in.configMap.owner = ref.value("kind", "") + " " + ref.value("name", "");
    }
    const json data = cmObj.value("data", json::object());  // items() of a temporary would dangle
    for (auto& [k, v] : data.items())
      if (v.is_string()) in.configMap.data[k] = v.get<std::string>();
  }
  for (const auto& t : fr.value("/spec/targets"_json_pointer, json::array())) {
    std::string kind = t.value("kind", ""), tname = t.value("name", "");
    auto w = objects_.get(kind, ns, tname);
    WorkloadView v = WorkloadView::observe(kind, tname, w ? &w->fields : nullptr, cmName);
    if (!v.claimedBy.empty() && v.claimedBy != name) v.claimantExists = objects_.get("FeatureRollout", ns, v.claimedBy) != nullptr;
    in.workloads.push_back(std::move(v));
  }
  in.gates = gates_.observe(key);
  {
    std::lock_guard<std::mutex> l(writeErrorsMu_);
    if (auto it = writeErrors_.find(key); it != writeErrors_.end()) in.writeError = it->second;
  }

  // 3. Decide.
  Plan plan = RolloutPlanner::plan(in);

  // 4. Claims before anything that depends on them: a lost race is replanned from fresher caches.
  // Any other failure (e.g. Forbidden) is a failed write: status says so, no child is written.
  std::string claimError;
  for (const auto& c : plan.claims) {
    if (auto s = claimTarget(ns, c.kind, c.name, name, c.previous); !s.ok()) {
      if (s.error().code == 409 || kube::ApiError::isInvalid(s.error()))
        return ReconcileOutcome::requeueAfter(std::chrono::milliseconds(100));
      claimError = "claiming " + c.kind + " " + c.name + ": " + s.error().message;
      log("error", "claiming a target failed", json{{"rollout", key}, {"error", claimError}});
      break;
    }
    log("info", "claimed target", json{{"rollout", key}, {"target", c.kind + "/" + c.name}});
  }
  if (!claimError.empty()) plan.writeChildren = false;

  // 5. Status: it is the record of what the children should be.
  json newStatus = plan.status.toJson();
  if (newStatus != fr.value("status", json::object())) {
    json obj = fr;
    obj["status"] = newStatus;
    auto r = client_.updateStatus(kube::Resource::featureRollouts(), obj);
    if (!r.ok()) {
      if (kube::ApiError::isConflict(r.error())) return ReconcileOutcome::requeueAfter(std::chrono::milliseconds(50));
      if (kube::ApiError::isNotFound(r.error())) return ReconcileOutcome::success();
      log("error", "status update failed", json{{"rollout", key}, {"error", r.error().message}});
      return ReconcileOutcome::error("status update: " + r.error().message);
    }
    fr["metadata"]["resourceVersion"] = (*r)["metadata"]["resourceVersion"];
  }
  for (const auto& e : plan.events)
    log(e.type == EventType::Warning ? "warn" : "info", e.message,
        json{{"rollout", key}, {"phase", plan.status.phase}, {"step", plan.status.step}, {"reason", e.reason}});
  if (plan.gateRequest) gates_.want(key, *plan.gateRequest);
  else gates_.forget(key);
  if (opts_.onStatus) opts_.onStatus(ns, name, &plan.status);

  // 6. Children before the Events: a rollback's values reach the pods without waiting for them;
  // the Events are exactly once and re-emitted after a crash, so they may follow.
  std::optional<ReconcileOutcome> childOutcome = writeChildren(key, fr, in, plan, claimError);
  const bool eventsRecorded = emitEvents(key, fr, cached->fields.value("status", json::object()), plan.status);
  if (childOutcome) return *childOutcome;
  if (!eventsRecorded) return ReconcileOutcome::error("recording events failed; they are re-emitted on the next attempt");
  if (plan.requeueAfter) return ReconcileOutcome::requeueAfter(*plan.requeueAfter + std::chrono::milliseconds(20));
  return ReconcileOutcome::success();
}

std::optional<ReconcileOutcome> FeatureRolloutReconciler::writeChildren(const std::string& key, const json& fr,
                                                                        const PlanInput& in, const Plan& plan,
                                                                        const std::string& claimError) {
  const json& md = fr["metadata"];
  const std::string ns = md.value("namespace", ""), name = md.value("name", "");
  const events::ObjectReference ref = rolloutRef(fr);
  // Only when they differ from what is observed. A failed write (e.g. Forbidden: a permission
  // missing from the operator's Role) is also a Warning Event on the rollout, so `kubectl
  // describe` says why it does not move; the recorder counts repeats on one Event.
  auto writeFailed = [&](const std::string& message) -> std::optional<ReconcileOutcome> {
    if (auto s = recorder_.record(ref, "Warning", "WriteFailed", message); !s.ok())
      log("warn", "recording event failed", json{{"rollout", key}, {"error", s.error().message}});
    {
      // The next plan reports it as Stalled (WriteFailed) until a write succeeds again.
      std::lock_guard<std::mutex> l(writeErrorsMu_);
      writeErrors_[key] = message;
    }
    return std::optional<ReconcileOutcome>(ReconcileOutcome::error(message));
  };
  if (!claimError.empty()) return writeFailed(claimError);
  if (plan.writeChildren) {
    if (!plan.configMapCurrent) {
      if (auto s = applyConfigMap(fr, plan.configMapName, plan.configMapData); !s.ok())
        return writeFailed("applying ConfigMap " + plan.configMapName + ": " + s.error().message);
      log("info", "wrote flag values", json{{"rollout", key}, {"configMap", plan.configMapName}, {"checksum", plan.checksum},
                                             {"phase", plan.status.phase}, {"step", plan.status.step}});
    }
    for (size_t i = 0; i < plan.targets.size(); ++i) {
      const auto& t = plan.targets[i];
      if (t.current) continue;
      if (auto s = injectTarget(ns, t.kind, t.name, t.containers, plan.configMapName, plan.checksum); !s.ok())
        return writeFailed("applying " + t.kind + " " + t.name + ": " + s.error().message);
      log("info", "injected flag values into pod template",
          json{{"rollout", key}, {"target", t.kind + "/" + t.name}, {"checksum", plan.checksum}});
    }
    for (const auto& rel : plan.releases) {
      if (auto s = releaseTarget(ns, rel.kind, rel.name, plan.configMapName, name); !s.ok())
        return writeFailed("releasing " + rel.kind + "/" + rel.name + ": " + s.error().message);
    }
  }
  if (plan.writeChildren && !in.writeError.empty()) {
    // Writes work again: reconcile once more so status stops saying they fail.
    std::lock_guard<std::mutex> l(writeErrorsMu_);
    writeErrors_.erase(key);
    return ReconcileOutcome::requeueAfter(std::chrono::milliseconds(0));
  }
  return std::nullopt;
}

bool FeatureRolloutReconciler::emitEvents(const std::string& key, const json& fr, const json& storedStatus,
                                          const RolloutStatus& written) {
  const json& md = fr["metadata"];
  const std::string uid = md.value("uid", ""), name = md.value("name", "");
  std::int64_t from;
  {
    std::lock_guard<std::mutex> l(emittedMu_);
    auto it = emitted_.find(key);
    if (it != emitted_.end() && it->second.uid == uid) {
      from = it->second.through + 1;
    } else {
      // First look at this rollout in this process: every recent transition the stored status
      // still holds is re-emitted (a repeat is AlreadyExists). Not only the last batch: after two
      // kills in a row, a transition whose Event is missing may be followed by newer ones.
      const RolloutStatus stored = RolloutStatus::fromJson(storedStatus);  // only on a first look
      from = stored.transitions + 1;
      for (const auto& h : stored.history) {
        auto at = Rfc3339::parse(h.at);
        if (h.seq > 0 && h.eventType != EventType::None && at && opts_.clock->now() - *at < std::chrono::hours(1))
          from = std::min(from, h.seq);
      }
    }
  }
  const events::ObjectReference ref = rolloutRef(fr);
  std::int64_t through = from - 1;
  bool ok = true;
  for (const auto& h : written.history) {
    if (h.seq < from || h.eventType == EventType::None) continue;
    if (auto s = recorder_.recordOnce(ref, transitionEventName(name, uid, h.seq), toString(h.eventType), h.reason,
                                      h.message, h.at);
        !s.ok()) {
      log("warn", "recording event failed", json{{"rollout", key}, {"reason", h.reason}, {"error", s.error().message}});
      ok = false;
      break;
    }
    through = h.seq;
  }
  if (ok) through = std::max(through, written.transitions);
  std::lock_guard<std::mutex> l(emittedMu_);
  emitted_[key] = Emitted{uid, through};
  return ok;
}

ReconcileOutcome FeatureRolloutReconciler::finalize(const json& fr) {
  const json& md = fr["metadata"];
  const std::string ns = md.value("namespace", ""), name = md.value("name", "");
  const std::string key = ns + "/" + name;
  gates_.forget(key);
  std::vector<std::string> finalizers = md.value("finalizers", std::vector<std::string>{});
  auto pos = std::find(finalizers.begin(), finalizers.end(), names::kFinalizer);
  if (pos == finalizers.end()) return ReconcileOutcome::success();

  std::string cmName = fr.value("/spec/configMapName"_json_pointer, std::string());
  if (cmName.empty()) cmName = name + "-flags";
  std::vector<std::string> targets = fr.value("/status/appliedTargets"_json_pointer, std::vector<std::string>{});
  for (const auto& t : fr.value("/spec/targets"_json_pointer, json::array())) {
    std::string k = t.value("kind", "") + "/" + t.value("name", "");
    if (std::find(targets.begin(), targets.end(), k) == targets.end()) targets.push_back(k);
  }
  for (const auto& t : targets) {
    auto slash = t.find('/');
    if (slash == std::string::npos) continue;
    if (auto s = releaseTarget(ns, t.substr(0, slash), t.substr(slash + 1), cmName, name); !s.ok())
      return ReconcileOutcome::error("removing flag injection from " + t + ": " + s.error().message);
  }
  const int idx = static_cast<int>(pos - finalizers.begin());
  json ops = json::array({{{"op", "test"}, {"path", "/metadata/finalizers/" + std::to_string(idx)}, {"value", names::kFinalizer}},
                          {{"op", "remove"}, {"path", "/metadata/finalizers/" + std::to_string(idx)}}});
  auto r = client_.patch(kube::Resource::featureRollouts(), ns, name, kube::PatchType::JsonPatch, ops);
  if (!r.ok() && !kube::ApiError::isNotFound(r.error()))
    return ReconcileOutcome::error("removing finalizer: " + r.error().message);
  log("info", "cleaned up before deletion", json{{"rollout", key}, {"targets", targets}});
  if (opts_.onStatus) opts_.onStatus(ns, name, nullptr);
  return ReconcileOutcome::success();
}

Status FeatureRolloutReconciler::applyConfigMap(const json& fr, const std::string& name,
                                                const std::map<std::string, std::string>& data) {
  const json& md = fr["metadata"];
  json obj = {{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata",
               {{"name", name},
                {"namespace", md.value("namespace", "")},
                {"labels", {{names::kRolloutLabel, md.value("name", "")}}},
                {"ownerReferences",
                 {{{"apiVersion", fr.value("apiVersion", "rollouts.featureflags.dev/v1alpha1")},
                   {"kind", "FeatureRollout"},
                   {"name", md.value("name", "")},
                   {"uid", md.value("uid", "")},
                   {"controller", true},
                   {"blockOwnerDeletion", true}}}}}},
              {"data", data}};
  auto r = client_.apply(kube::Resource::configMaps(), obj, names::kFieldManager, true);
  if (!r.ok()) return r.error();
  return ok();
}

Status FeatureRolloutReconciler::claimTarget(const std::string& ns, const std::string& kind, const std::string& name,
                                             const std::string& rollout, const std::string& previous) {
  auto res = workloadResource(kind);
  auto live = client_.get(res, ns, name);
  if (!live.ok()) return live.error();
  const json annotations = live->value("/metadata/annotations"_json_pointer, json::object());
  const std::string owner = annotations.value(names::kOwnerAnnotation, "");
  if (owner == rollout) return ok();
  if (owner != previous) return Error::of(kind + " " + name + " was just claimed by FeatureRollout " + owner, 409, "Conflict");
  json ops = json::array({{{"op", "test"}, {"path", "/metadata/resourceVersion"},
                           {"value", live->value("/metadata/resourceVersion"_json_pointer, std::string())}}});
  if (!live->contains("metadata") || !(*live)["metadata"].contains("annotations"))
    ops.push_back({{"op", "add"}, {"path", "/metadata/annotations"}, {"value", {{names::kOwnerAnnotation, rollout}}}});
  else
    ops.push_back({{"op", "add"}, {"path", ownerAnnotationPath()}, {"value", rollout}});
  auto r = client_.patch(res, ns, name, kube::PatchType::JsonPatch, ops);
  if (!r.ok()) return r.error();
  return ok();
}

// envFrom is an atomic list: applying only our entry would drop the user's. So the applied list is
// the live one with ours added (read fresh, not from the projected cache).
Status FeatureRolloutReconciler::injectTarget(const std::string& ns, const std::string& kind, const std::string& name,
                                              const std::vector<std::string>& containers, const std::string& configMap,
                                              const std::string& checksum) {
  auto res = workloadResource(kind);
  auto live = client_.get(res, ns, name);
  if (!live.ok()) return live.error();
  json cs = json::array();
  for (const auto& c : live->value("/spec/template/spec/containers"_json_pointer, json::array())) {
    std::string cname = c.value("name", "");
    if (std::find(containers.begin(), containers.end(), cname) == containers.end()) continue;
    json envFrom = json::array();
    bool have = false;
    for (const auto& e : c.value("envFrom", json::array())) {
      if (isOurs(e, configMap)) {
        if (have) continue;
        have = true;
        envFrom.push_back({{"configMapRef", {{"name", configMap}, {"optional", true}}}});
      } else {
        envFrom.push_back(e);
      }
    }
    if (!have) envFrom.push_back({{"configMapRef", {{"name", configMap}, {"optional", true}}}});
    cs.push_back({{"name", cname}, {"envFrom", envFrom}});
  }
  json obj = {{"apiVersion", "apps/v1"},
              {"kind", kind},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec",
               {{"template",
                 {{"metadata", {{"annotations", {{names::kChecksumAnnotation, checksum}}}}}, {"spec", {{"containers", cs}}}}}}}};
  auto r = client_.apply(res, obj, names::kFieldManager, true);
  if (!r.ok()) return r.error();
  return ok();
}

// Gives up our fields. envFrom is an atomic list that our apply owns whole (the user's entries
// included), so dropping it would drop theirs too: for every container whose envFrom we own, the
// release applies the list without our entry (or omits it when nothing else is left), which keeps
// the user's entries however many times the release runs. Everything else we applied (the
// annotation) goes by not applying it.
Status FeatureRolloutReconciler::releaseTarget(const std::string& ns, const std::string& kind, const std::string& name,
                                               const std::string& configMap, const std::string& rollout) {
  auto res = workloadResource(kind);
  auto live = client_.get(res, ns, name);
  if (!live.ok()) return kube::ApiError::isNotFound(live.error()) ? ok() : Status(live.error());
  const std::string owner = live->value("/metadata/annotations"_json_pointer, json::object()).value(names::kOwnerAnnotation, "");
  if (!rollout.empty() && !owner.empty() && owner != rollout) return ok();  // another rollout's now: not ours to touch
  if (!rollout.empty() && owner == rollout) {
    const std::string path = ownerAnnotationPath();
    json ops = json::array({{{"op", "test"}, {"path", path}, {"value", rollout}}, {{"op", "remove"}, {"path", path}}});
    auto r = client_.patch(res, ns, name, kube::PatchType::JsonPatch, ops);
    if (!r.ok() && !kube::ApiError::isNotFound(r.error())) return r.error();
  }
  const json managed = live->value("/metadata/managedFields"_json_pointer, json::array());  // ours points into it
  const json* ours = nullptr;
  for (const auto& mf : managed)
    if (mf.value("manager", "") == names::kFieldManager && mf.value("operation", "") == "Apply") ours = &mf;
  if (!ours) return ok();
  const json owned =
      ours->value("/fieldsV1/f:spec/f:template/f:spec/f:containers"_json_pointer, json::object());
  json cs = json::array();
  for (const auto& c : live->value("/spec/template/spec/containers"_json_pointer, json::array())) {
    const std::string cname = c.value("name", "");
    const std::string key = "k:" + json{{"name", cname}}.dump();
    if (!owned.contains(key) || !owned[key].contains("f:envFrom")) continue;
    json rest = json::array();
    for (const auto& e : c.value("envFrom", json::array()))
      if (!isOurs(e, configMap)) rest.push_back(e);
    if (!rest.empty()) cs.push_back({{"name", cname}, {"envFrom", rest}});
  }
  json obj = {{"apiVersion", "apps/v1"}, {"kind", kind}, {"metadata", {{"name", name}, {"namespace", ns}}}};
  if (!cs.empty()) obj["spec"] = {{"template", {{"spec", {{"containers", cs}}}}}};
  auto r = client_.apply(res, obj, names::kFieldManager, true);
  if (!r.ok()) return kube::ApiError::isNotFound(r.error()) ? ok() : Status(r.error());
  return ok();
}

}  // namespace fro::rollout
