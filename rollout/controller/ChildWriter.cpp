#include "rollout/controller/ChildWriter.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/kube/ApiError.h"
#include "rollout/planner/Annotations.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;

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

}  // namespace

Status ChildWriter::applyConfigMap(const json& fr, const std::string& name,
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
  auto r = writer_.apply(kube::Resource::configMaps(), obj, names::kFieldManager, true);
  if (!r.ok()) return r.error();
  return ok();
}

Status ChildWriter::claimTarget(const std::string& ns, const std::string& kind, const std::string& name,
                                             const std::string& rollout, const std::string& previous) {
  auto res = workloadResource(kind);
  auto live = writer_.get(res, ns, name);
  if (!live.ok()) return live.error();
  const json annotations = live->value("/metadata/annotations"_json_pointer, json::object());
  const std::string owner = annotations.value(names::kOwnerAnnotation, "");
  if (owner == rollout) return ok();
  // Another rollout won the race since the cache was read: the same answer as a lost test op.
  if (owner != previous)
    return kube::ApiError::fromStatus(409, fmt::format("{} {} was just claimed by FeatureRollout {}", kind, name, owner),
                                      "Conflict");
  json ops = json::array({{{"op", "test"}, {"path", "/metadata/resourceVersion"},
                           {"value", live->value("/metadata/resourceVersion"_json_pointer, std::string())}}});
  if (!live->contains("metadata") || !(*live)["metadata"].contains("annotations"))
    ops.push_back({{"op", "add"}, {"path", "/metadata/annotations"}, {"value", {{names::kOwnerAnnotation, rollout}}}});
  else
    ops.push_back({{"op", "add"}, {"path", ownerAnnotationPath()}, {"value", rollout}});
  auto r = writer_.patch(res, ns, name, kube::PatchType::JsonPatch, ops);
  if (!r.ok()) return r.error();
  return ok();
}

// envFrom is an atomic list: applying only our entry would drop the user's. So the applied list is
// the live one with ours added (read fresh, not from the projected cache).
Status ChildWriter::injectTarget(const std::string& ns, const std::string& kind, const std::string& name,
                                              const std::vector<std::string>& containers, const std::string& configMap,
                                              const std::string& checksum) {
  auto res = workloadResource(kind);
  auto live = writer_.get(res, ns, name);
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
  auto r = writer_.apply(res, obj, names::kFieldManager, true);
  if (!r.ok()) return r.error();
  return ok();
}

// Gives up our fields. envFrom is an atomic list that our apply owns whole (the user's entries
// included), so dropping it would drop theirs too: for every container whose envFrom we own, the
// release applies the list without our entry (or omits it when nothing else is left), which keeps
// the user's entries however many times the release runs. Everything else we applied (the
// annotation) goes by not applying it.
Status ChildWriter::releaseTarget(const std::string& ns, const std::string& kind, const std::string& name,
                                               const std::string& configMap, const std::string& rollout) {
  auto res = workloadResource(kind);
  auto live = writer_.get(res, ns, name);
  if (!live.ok()) return kube::ApiError::isNotFound(live.error()) ? ok() : Status(live.error());
  const std::string owner = live->value("/metadata/annotations"_json_pointer, json::object()).value(names::kOwnerAnnotation, "");
  if (!rollout.empty() && !owner.empty() && owner != rollout) return ok();  // another rollout's now: not ours to touch
  if (!rollout.empty() && owner == rollout) {
    const std::string path = ownerAnnotationPath();
    json ops = json::array({{{"op", "test"}, {"path", path}, {"value", rollout}}, {{"op", "remove"}, {"path", path}}});
    auto r = writer_.patch(res, ns, name, kube::PatchType::JsonPatch, ops);
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
  auto r = writer_.apply(res, obj, names::kFieldManager, true);
  if (!r.ok()) return kube::ApiError::isNotFound(r.error()) ? ok() : Status(r.error());
  return ok();
}

}  // namespace fro::rollout
