#include "rollout/planner/WorkloadView.h"

#include "rollout/planner/Annotations.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;

long long num(const json& obj, const char* a, const char* b, long long def = 0) {
  auto i = obj.find(a);
  if (i == obj.end() || !i->is_object()) return def;
  auto j = i->find(b);
  return j != i->end() && j->is_number_integer() ? j->get<long long>() : def;
}

std::string str(const json& obj, const char* a, const char* b) {
  auto i = obj.find(a);
  if (i == obj.end() || !i->is_object()) return {};
  auto j = i->find(b);
  return j != i->end() && j->is_string() ? j->get<std::string>() : std::string();
}

std::string plural(long long n, const char* what) { return std::to_string(n) + " " + what; }

}  // namespace

WorkloadView WorkloadView::observe(const std::string& kind, const std::string& name, const json* obj,
                                   const std::string& configMapName) {
  WorkloadView v;
  v.kind = kind;
  v.name = name;
  if (!obj || !obj->is_object()) {
    v.progress = kind + " " + name + " does not exist";
    return v;
  }
  v.exists = true;
  const json& o = *obj;
  if (auto a = o.value("/metadata/annotations"_json_pointer, json::object()); a.contains(names::kOwnerAnnotation))
    v.claimedBy = a[names::kOwnerAnnotation].is_string() ? a[names::kOwnerAnnotation].get<std::string>() : "";
  const json tmpl = o.value("/spec/template"_json_pointer, json::object());
  if (auto a = tmpl.value("/metadata/annotations"_json_pointer, json::object()); a.contains(names::kChecksumAnnotation))
    v.checksum = a[names::kChecksumAnnotation].is_string() ? a[names::kChecksumAnnotation].get<std::string>() : "";
  for (const auto& c : tmpl.value("/spec/containers"_json_pointer, json::array())) {
    std::string cname = c.value("name", "");
    v.containers.push_back(cname);
    for (const auto& ef : c.value("envFrom", json::array()))
      if (ef.value("/configMapRef/name"_json_pointer, std::string()) == configMapName) {
        v.envFromContainers.push_back(cname);
        break;
      }
  }

  const long long generation = o.value("/metadata/generation"_json_pointer, 0LL);
  const long long observed = num(o, "status", "observedGeneration");
  if (observed < generation) {
    v.progress = kind + " " + name + ": waiting for the " + kind + " controller to observe generation " +
                 std::to_string(generation);
    return v;
  }
  const json& spec = o.value("spec", json::object());
  if (kind == "DaemonSet") {
    long long desired = num(o, "status", "desiredNumberScheduled"), updated = num(o, "status", "updatedNumberScheduled"),
              available = num(o, "status", "numberAvailable");
    if (updated < desired) v.progress = plural(updated, "of ") + plural(desired, "pods updated");
    else if (available < desired) v.progress = plural(available, "of ") + plural(desired, "updated pods available");
  } else {
    long long replicas = spec.value("replicas", 1LL);
    long long updated = num(o, "status", "updatedReplicas"), total = num(o, "status", "replicas"),
              available = num(o, "status", kind == "StatefulSet" ? "readyReplicas" : "availableReplicas");
    if (kind == "Deployment" && spec.value("paused", false)) v.progress = "spec.paused is true";
    else if (updated < replicas) v.progress = plural(updated, "of ") + plural(replicas, "replicas updated");
    else if (total > updated) v.progress = plural(total - updated, "old replicas pending termination");
    else if (available < replicas) v.progress = plural(available, "of ") + plural(replicas, "updated replicas available");
    else if (kind == "StatefulSet") {
      std::string cur = str(o, "status", "currentRevision"), upd = str(o, "status", "updateRevision");
      if (!upd.empty() && cur != upd) v.progress = "revision " + upd + " not yet current";
    }
  }
  v.rolledOut = v.progress.empty();
  if (!v.rolledOut) v.progress = kind + " " + name + ": " + v.progress;
  return v;
}

json WorkloadView::project(const json& full) {
  json out = json::object();
  const json& md = full.value("metadata", json::object());
  json m = json::object();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "generation", "deletionTimestamp"})
    if (md.contains(k)) m[k] = md[k];
  if (auto a = md.find("annotations"); a != md.end() && a->is_object() && a->contains(names::kOwnerAnnotation))
    m["annotations"][names::kOwnerAnnotation] = (*a)[names::kOwnerAnnotation];
  out["metadata"] = m;
  const json& spec = full.value("spec", json::object());
  json s = json::object();
  for (const char* k : {"replicas", "paused"})
    if (spec.contains(k)) s[k] = spec[k];
  const json tmpl = spec.value("template", json::object());
  json t = json::object();
  if (auto a = tmpl.value("/metadata/annotations"_json_pointer, json::object()); a.contains(names::kChecksumAnnotation))
    t["metadata"]["annotations"][names::kChecksumAnnotation] = a[names::kChecksumAnnotation];
  json cs = json::array();
  for (const auto& c : tmpl.value("/spec/containers"_json_pointer, json::array())) {
    json pc = {{"name", c.value("name", "")}};
    json efs = json::array();
    for (const auto& ef : c.value("envFrom", json::array()))
      if (ef.contains("configMapRef")) efs.push_back({{"configMapRef", {{"name", ef.value("/configMapRef/name"_json_pointer, std::string())}}}});
    if (!efs.empty()) pc["envFrom"] = efs;
    cs.push_back(pc);
  }
  t["spec"]["containers"] = cs;
  s["template"] = t;
  out["spec"] = s;
  if (full.contains("status")) out["status"] = full["status"];
  return out;
}

}  // namespace fro::rollout
