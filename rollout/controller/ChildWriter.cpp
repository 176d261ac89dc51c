#include "rollout/controller/ChildWriter.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/kube/ApiError.h"
#include "rollout/planner/Annotations.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;

// The spec's schema allows only the three workload kinds; anything else is treated as before.
kube::Resource workloadResource(const std::string& kind) {
  return kube::Resource::workload(kind).value_or(kube::Resource::deployments());
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

namespace {

// The managedFields entry of our applies, or null.
const json* ourManagedFields(const json& live) {
  const json* managed = live.contains("metadata") ? &live["metadata"] : nullptr;
  if (!managed || !managed->contains("managedFields") || !(*managed)["managedFields"].is_array()) return nullptr;
  for (const auto& mf : (*managed)["managedFields"])
    if (mf.value("manager", "") == names::kFieldManager && mf.value("operation", "") == "Apply") return &mf;
  return nullptr;
}

bool ownsEnvFrom(const json* ours, const std::string& container) {
  if (!ours) return false;
  const json owned = ours->value("/fieldsV1/f:spec/f:template/f:spec/f:containers"_json_pointer, json::object());
  const std::string key = "k:" + json{{"name", container}}.dump();
  return owned.contains(key) && owned[key].contains("f:envFrom");
}

}  // namespace

Status ChildWriter::injectTarget(const std::string& ns, const std::string& kind, const std::string& name,
                                 const std::vector<std::string>& containers, const std::string& configMap, const Plan& plan) {
  auto res = workloadResource(kind);
  auto live = writer_.get(res, ns, name);
  if (!live.ok()) return live.error();
  const json* ours = ourManagedFields(*live);
  json cs = json::array();
  for (const auto& c : live->value("/spec/template/spec/containers"_json_pointer, json::array())) {
    const std::string cname = c.value("name", "");
    const bool chosen = std::find(containers.begin(), containers.end(), cname) != containers.end();
    json entry = {{"name", cname}};
    if (chosen && plan.envFrom) {
      json envFrom = json::array();
      bool have = false;
      for (const auto& e : c.value("envFrom", json::array())) {
        if (!isOurs(e, configMap)) envFrom.push_back(e);
        else if (!have) envFrom.push_back({{"configMapRef", {{"name", configMap}, {"optional", true}}}});
        have = have || isOurs(e, configMap);
      }
      if (!have) envFrom.push_back({{"configMapRef", {{"name", configMap}, {"optional", true}}}});
      entry["envFrom"] = envFrom;
    } else if (ownsEnvFrom(ours, cname)) {
      // We own the (atomic) list: keep the user's entries by applying them without ours.
      json rest = json::array();
      for (const auto& e : c.value("envFrom", json::array()))
        if (!isOurs(e, configMap)) rest.push_back(e);
      if (!rest.empty()) entry["envFrom"] = rest;
    }
    if (chosen && plan.file) {
      entry["env"] = json::array({{{"name", names::kFlagdResolverEnv}, {"value", names::kFlagdResolverValue}},
                                  {{"name", names::kFlagdSourcePathEnv}, {"value", plan.file->flagFile}}});
      // A directory, never subPath: kubelet updates a directory mount when the ConfigMap changes.
      entry["volumeMounts"] = json::array({{{"name", plan.file->volumeName}, {"mountPath", plan.file->mountPath}, {"readOnly", true}}});
    }
    if (entry.size() > 1) cs.push_back(std::move(entry));
  }
  json tmpl = {{"spec", {{"containers", cs}}}};
  if (plan.file)
    tmpl["spec"]["volumes"] =
        json::array({{{"name", plan.file->volumeName}, {"configMap", {{"name", configMap}, {"optional", true}}}}});
  if (!plan.checksum.empty()) tmpl["metadata"] = {{"annotations", {{names::kChecksumAnnotation, plan.checksum}}}};
  json obj = {{"apiVersion", "apps/v1"},
              {"kind", kind},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec", {{"template", tmpl}}}};
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
  const json* ours = ourManagedFields(*live);
  if (!ours) return ok();
  json cs = json::array();
  for (const auto& c : live->value("/spec/template/spec/containers"_json_pointer, json::array())) {
    const std::string cname = c.value("name", "");
    if (!ownsEnvFrom(ours, cname)) continue;
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
