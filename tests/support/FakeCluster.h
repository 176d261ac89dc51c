#pragma once
// An in-memory API server for reconciler unit tests: kube::ObjectWriter (get, create, status
// update, JSON/merge patch, server-side apply) and rollout::ObjectSource (the informer caches,
// workloads projected as the informer projects them) over one store.
// - Every write bumps a resourceVersion; a status update with a stale one is 409 Conflict; a JSON
//   patch whose test op fails is 422 Invalid; create of an existing name is 409 AlreadyExists.
// - Apply keeps each field manager's last applied object and composes the live object as base +
//   intents (containers merged by name, other lists replaced whole), so fields a manager stops
//   applying go, as with server-side apply; managedFields (fieldsV1) are written from the intents.
// - Spec changes bump metadata.generation; converge() plays the workload controller.
// - failNext(verb, plural, status) makes the next such call fail; writes() lists every write.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/kube/ApiError.h"
#include "runtime/kube/ObjectCache.h"
#include "runtime/kube/ObjectWriter.h"
#include "rollout/controller/FeatureRolloutReconciler.h"
#include "rollout/planner/ConfigMapView.h"
#include "rollout/planner/WorkloadView.h"

namespace fro::testing {

class FakeCluster final : public kube::ObjectWriter, public rollout::ObjectSource {
 public:
  using json = nlohmann::json;

  // Stores obj as a user would create it (no field manager of ours).
  void put(const kube::Resource& r, json obj) {
    json& md = obj["metadata"];
    const std::string key = keyOf(r.plural, md.value("namespace", ""), md.value("name", ""));
    if (!md.contains("uid")) md["uid"] = "uid-" + md.value("name", "");
    if (!md.contains("generation")) md["generation"] = 1;
    md["resourceVersion"] = std::to_string(++rv_);
    objects_[key] = Stored{std::move(obj), {}};
  }
  // A user's edit of a stored object (e.g. the spec, an annotation), as kubectl would make it.
  void edit(const kube::Resource& r, const std::string& ns, const std::string& name, const std::function<void(json&)>& f) {
    Stored& s = objects_.at(keyOf(r.plural, ns, name));
    const json before = live(s).value("spec", json());
    f(s.base);
    stamp(s, before);
  }
  // The workload controller: every pod runs the current template.
  void converge(const kube::Resource& r, const std::string& ns, const std::string& name) {
    Stored& s = objects_.at(keyOf(r.plural, ns, name));
    const long long gen = s.base["metadata"].value("generation", 1LL);
    s.base["status"] = {{"observedGeneration", gen}, {"replicas", 2}, {"updatedReplicas", 2}, {"readyReplicas", 2},
                        {"availableReplicas", 2}};
  }
  // The cache (ObjectSource::get) keeps serving the object as it is now, whatever is written
  // after: a watch event that has not arrived yet. catchUp() ends it.
  void lagCache(const kube::Resource& r, const std::string& ns, const std::string& name) {
    const std::string key = keyOf(r.plural, ns, name);
    lagging_[key] = live(objects_.at(key));
  }
  // The cache has not seen the object at all yet (its watch event trails); catchUp() ends it.
  void hideFromCache(const kube::Resource& r, const std::string& ns, const std::string& name) {
    hidden_.insert(keyOf(r.plural, ns, name));
  }
  void catchUp() {
    lagging_.clear();
    hidden_.clear();
  }
  json object(const kube::Resource& r, const std::string& ns, const std::string& name) const {
    auto it = objects_.find(keyOf(r.plural, ns, name));
    return it == objects_.end() ? json() : live(it->second);
  }
  std::vector<json> list(const std::string& plural) const {
    std::vector<json> out;
    for (const auto& [k, s] : objects_)
      if (k.rfind(plural + "/", 0) == 0) out.push_back(live(s));
    return out;
  }
  void failNext(const std::string& verb, const std::string& plural, int status, const std::string& reason = "",
                const std::string& message = "") {
    failures_[verb + " " + plural] =
        kube::ApiError::fromStatus(status, message.empty() ? verb + " " + plural + " failed (test)" : message, reason);
  }
  // "patch featurerollouts demo", "updateStatus featurerollouts demo", "apply configmaps demo-flags", ...
  const std::vector<std::string>& writes() const { return writes_; }
  void clearWrites() { writes_.clear(); }
  // Status updates refused with 409 Conflict (a stale resourceVersion), counted since the start.
  int conflicts() const { return conflicts_; }

  // --- kube::ObjectWriter ---------------------------------------------------------------
  Result<json> get(const kube::Resource& r, const std::string& ns, const std::string& name) override {
    if (auto f = failure("get", r)) return *f;
    auto it = objects_.find(keyOf(r.plural, ns, name));
    if (it == objects_.end()) return kube::ApiError::fromStatus(404, r.plural + " \"" + name + "\" not found", "NotFound");
    return live(it->second);
  }
  Result<json> create(const kube::Resource& r, const std::string& ns, const json& obj) override {
    if (auto f = failure("create", r)) return *f;
    const std::string name = obj["metadata"].value("name", "");
    if (objects_.count(keyOf(r.plural, ns, name)))
      return kube::ApiError::fromStatus(409, r.plural + " \"" + name + "\" already exists", "AlreadyExists");
    json o = obj;
    o["metadata"]["namespace"] = ns;
    put(r, o);
    writes_.push_back("create " + r.plural + " " + name);
    return object(r, ns, name);
  }
  Result<json> updateStatus(const kube::Resource& r, const json& obj) override {
    if (auto f = failure("updateStatus", r)) return *f;
    const json& md = obj["metadata"];
    auto it = objects_.find(keyOf(r.plural, md.value("namespace", ""), md.value("name", "")));
    if (it == objects_.end()) return kube::ApiError::fromStatus(404, "not found", "NotFound");
    Stored& s = it->second;
    if (md.value("resourceVersion", "") != s.base["metadata"].value("resourceVersion", "") && ++conflicts_)
      return kube::ApiError::fromStatus(409, "the object has been modified; please apply your changes to the latest version",
                                        "Conflict");
    const json before = live(s).value("spec", json());
    s.base["status"] = obj.value("status", json::object());
    stamp(s, before);
    writes_.push_back("updateStatus " + r.plural + " " + md.value("name", ""));
    return live(s);
  }
  Result<json> patch(const kube::Resource& r, const std::string& ns, const std::string& name, kube::PatchType type,
                     const json& body, const kube::PatchOptions& = {}) override {
    if (auto f = failure("patch", r)) return *f;
    auto it = objects_.find(keyOf(r.plural, ns, name));
    if (it == objects_.end()) return kube::ApiError::fromStatus(404, "not found", "NotFound");
    Stored& s = it->second;
    const json before = live(s).value("spec", json());
    try {
      if (type == kube::PatchType::JsonPatch) {
        live(s).patch(body);  // test ops are checked against what a client sees
        s.base = s.base.patch(body);
      } else {
        s.base.merge_patch(body);
      }
    } catch (const json::exception& e) {
      return kube::ApiError::fromStatus(422, std::string("the patch was not applied: ") + e.what(), "Invalid");
    }
    stamp(s, before);
    writes_.push_back("patch " + r.plural + " " + name);
    return live(s);
  }
  Result<json> apply(const kube::Resource& r, const json& obj, const std::string& manager, bool = true,
                     const std::string& = {}) override {
    if (auto f = failure("apply", r)) return *f;
    const json& md = obj["metadata"];
    const std::string ns = md.value("namespace", ""), name = md.value("name", "");
    const std::string key = keyOf(r.plural, ns, name);
    if (!objects_.count(key)) put(r, {{"apiVersion", obj.value("apiVersion", "")}, {"kind", obj.value("kind", "")},
                                      {"metadata", {{"name", name}, {"namespace", ns}}}});
    Stored& s = objects_.at(key);
    const json before = live(s).value("spec", json());
    s.intents[manager] = obj;
    stamp(s, before);
    writes_.push_back("apply " + r.plural + " " + name);
    return live(s);
  }

  // --- rollout::ObjectSource (the caches) --------------------------------------------------
  kube::CachedPtr get(const std::string& kind, const std::string& ns, const std::string& name) const override {
    const std::map<std::string, std::string> plurals = {{"FeatureRollout", "featurerollouts"}, {"ConfigMap", "configmaps"},
                                                        {"Deployment", "deployments"},         {"StatefulSet", "statefulsets"},
                                                        {"DaemonSet", "daemonsets"}};
    auto p = plurals.find(kind);
    if (p == plurals.end()) return nullptr;
    auto it = objects_.find(keyOf(p->second, ns, name));
    if (it == objects_.end()) return nullptr;
    if (hidden_.count(it->first)) return nullptr;
    auto lag = lagging_.find(it->first);
    json fields = lag != lagging_.end() ? lag->second : live(it->second);
    // Projected as the informers project them.
    if (kind == "ConfigMap") fields = rollout::ConfigMapView::project(fields);
    else if (kind != "FeatureRollout") fields = rollout::WorkloadView::project(fields);
    auto c = std::make_shared<kube::CachedObject>();
    c->namespace_ = ns, c->name = name, c->fields = std::move(fields);
    return c;
  }

 private:
  struct Stored {
    json base;                      // as created and patched
    std::map<std::string, json> intents;  // field manager -> last applied object
  };

  static std::string keyOf(const std::string& plural, const std::string& ns, const std::string& name) {
    return plural + "/" + ns + "/" + name;
  }

  // The pod template's list maps and their keys, as the API server's schema declares them
  // (envFrom is atomic: replaced whole); "" for any other list.
  static const char* listKey(const std::string& field) {
    if (field == "containers" || field == "volumes" || field == "env") return "name";
    if (field == "volumeMounts") return "mountPath";
    return "";
  }

  // Intent over base: objects merged, list maps by their key, other lists replaced whole.
  static void compose(json& into, const json& intent) {
    for (auto& [k, v] : intent.items()) {
      const std::string key = listKey(k);
      if (v.is_object() && into.contains(k) && into[k].is_object()) {
        compose(into[k], v);
      } else if (!key.empty() && v.is_array() && into.contains(k) && into[k].is_array()) {
        for (const auto& c : v) {
          auto same = std::find_if(into[k].begin(), into[k].end(), [&](const json& x) { return x.value(key, "") == c.value(key, ""); });
          if (same != into[k].end()) compose(*same, c);
          else into[k].push_back(c);
        }
      } else {
        into[k] = v;
      }
    }
  }
  // fieldsV1 of an applied object: f:<field>, k:{"<key>":...} for list maps, {} for leaves and lists.
  static json fieldsOf(const json& v) {
    json out = json::object();
    if (!v.is_object()) return out;
    for (auto& [k, x] : v.items()) {
      const std::string key = listKey(k);
      if (!key.empty() && x.is_array()) {
        json list = json::object();
        for (const auto& c : x) list["k:" + json{{key, c.value(key, "")}}.dump()] = fieldsOf(c);
        out["f:" + k] = list;
      } else {
        out["f:" + k] = x.is_object() ? fieldsOf(x) : json::object();
      }
    }
    return out;
  }
  static json live(const Stored& s) {
    json o = s.base;
    json managed = json::array();
    for (const auto& [manager, intent] : s.intents) {
      json i = intent;
      i.erase("apiVersion"), i.erase("kind");
      if (i.contains("metadata")) i["metadata"].erase("name"), i["metadata"].erase("namespace");
      compose(o, i);
      managed.push_back({{"manager", manager}, {"operation", "Apply"}, {"fieldsType", "FieldsV1"}, {"fieldsV1", fieldsOf(i)}});
    }
    if (!managed.empty()) o["metadata"]["managedFields"] = managed;
    return o;
  }
  void stamp(Stored& s, const json& specBefore) {
    s.base["metadata"]["resourceVersion"] = std::to_string(++rv_);
    if (live(s).value("spec", json()) != specBefore)
      s.base["metadata"]["generation"] = s.base["metadata"].value("generation", 1LL) + 1;
  }
  std::optional<Error> failure(const std::string& verb, const kube::Resource& r) {
    auto it = failures_.find(verb + " " + r.plural);
    if (it == failures_.end()) return std::nullopt;
    Error e = it->second;
    failures_.erase(it);
    return e;
  }

  std::map<std::string, Stored> objects_;
  std::map<std::string, json> lagging_;  // lagCache(): what get() serves instead of the live object
  std::set<std::string> hidden_;         // hideFromCache(): what get() does not serve yet
  std::map<std::string, Error> failures_;
  std::vector<std::string> writes_;
  long long rv_ = 100;
  int conflicts_ = 0;
};

}  // namespace fro::testing
