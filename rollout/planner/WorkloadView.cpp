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

// Our field manager's applied fields of the pod template spec (managedFields fieldsV1), or {}.
json ownedTemplateSpec(const json& metadata) {
  for (const auto& mf : metadata.value("managedFields", json::array()))
    if (mf.value("manager", "") == names::kFieldManager && mf.value("operation", "") == "Apply")
      return mf.value("/fieldsV1/f:spec/f:template/f:spec"_json_pointer, json::object());
  return json::object();
}

std::string key(const char* field, const std::string& value) { return "k:" + json{{field, value}}.dump(); }


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
  const json owned = ownedTemplateSpec(o.value("metadata", json::object()));
  const json ownedVolumes = owned.value("f:volumes", json::object());
  for (const auto& vol : tmpl.value("/spec/volumes"_json_pointer, json::array())) {
    VolumeView vv{vol.value("name", ""), vol.value("/configMap/name"_json_pointer, std::string()), false};
    vv.ours = ownedVolumes.contains(key("name", vv.name));
    v.volumes.push_back(std::move(vv));
  }
  const json ownedContainers = owned.value("f:containers", json::object());
  for (const auto& c : tmpl.value("/spec/containers"_json_pointer, json::array())) {
    std::string cname = c.value("name", "");
    v.containers.push_back(cname);
    const json oc = ownedContainers.value(key("name", cname), json::object());
    ContainerView cv{cname, {}, {}, oc.contains("f:envFrom")};
    const json ownedEnv = oc.value("f:env", json::object()), ownedMounts = oc.value("f:volumeMounts", json::object());
    for (const auto& e : c.value("env", json::array())) {
      EnvView ev{e.value("name", ""), e.contains("value") && e["value"].is_string() ? e["value"].get<std::string>() : "", false};
      ev.ours = ownedEnv.contains(key("name", ev.name));
      cv.env.push_back(std::move(ev));
    }
    for (const auto& m : c.value("volumeMounts", json::array())) {
      MountView mv{m.value("name", ""), m.value("mountPath", ""), m.value("subPath", ""), false};
      mv.ours = ownedMounts.contains(key("mountPath", mv.mountPath));
      cv.mounts.push_back(std::move(mv));
    }
    v.podContainers.push_back(std::move(cv));
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

const ContainerView* WorkloadView::container(const std::string& n) const {
  for (const auto& c : podContainers)
    if (c.name == n) return &c;
  return nullptr;
}

const VolumeView* WorkloadView::volume(const std::string& n) const {
  for (const auto& vol : volumes)
    if (vol.name == n) return &vol;
  return nullptr;
}

json WorkloadView::project(const json& full) {
  json out = json::object();
  const json& md = full.value("metadata", json::object());
  json m = json::object();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "generation", "deletionTimestamp"})
    if (md.contains(k)) m[k] = md[k];
  if (auto a = md.find("annotations"); a != md.end() && a->is_object() && a->contains(names::kOwnerAnnotation))
    m["annotations"][names::kOwnerAnnotation] = (*a)[names::kOwnerAnnotation];
  // Only our own applied fields of the pod template: enough to tell our volume, mounts and env from
  // the user's (the rest of managedFields is large and never read).
  for (const auto& mf : md.value("managedFields", json::array()))
    if (mf.value("manager", "") == names::kFieldManager && mf.value("operation", "") == "Apply") {
      json spec = mf.value("/fieldsV1/f:spec/f:template/f:spec"_json_pointer, json::object());
      json kept = json::object();
      if (spec.contains("f:volumes")) kept["f:volumes"] = spec["f:volumes"];
      const json containers = spec.value("f:containers", json::object());  // bound: items() of a temporary dangles
      for (const auto& [k, c] : containers.items()) {
        json kc = json::object();
        for (const char* f : {"f:env", "f:volumeMounts", "f:envFrom"})
          if (c.contains(f)) kc[f] = c[f];
        kept["f:containers"][k] = kc;
      }
      m["managedFields"] = json::array({{{"manager", names::kFieldManager}, {"operation", "Apply"},
                                         {"fieldsV1", {{"f:spec", {{"f:template", {{"f:spec", kept}}}}}}}}});
    }
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
    json env = json::array();
    for (const auto& e : c.value("env", json::array())) {
      json pe = {{"name", e.value("name", "")}};
      if (e.contains("value") && e["value"].is_string()) pe["value"] = e["value"];
      env.push_back(pe);
    }
    if (!env.empty()) pc["env"] = env;
    json mounts = json::array();
    for (const auto& vm : c.value("volumeMounts", json::array())) {
      json pm = {{"name", vm.value("name", "")}, {"mountPath", vm.value("mountPath", "")}};
      if (vm.contains("subPath")) pm["subPath"] = vm["subPath"];
      mounts.push_back(pm);
    }
    if (!mounts.empty()) pc["volumeMounts"] = mounts;
    cs.push_back(pc);
  }
  t["spec"]["containers"] = cs;
  json vols = json::array();
  for (const auto& vol : tmpl.value("/spec/volumes"_json_pointer, json::array())) {
    json pv = {{"name", vol.value("name", "")}};
    if (vol.contains("configMap")) pv["configMap"] = {{"name", vol.value("/configMap/name"_json_pointer, std::string())}};
    else pv["other"] = true;
    vols.push_back(pv);
  }
  if (!vols.empty()) t["spec"]["volumes"] = vols;
  s["template"] = t;
  out["spec"] = s;
  if (full.contains("status")) out["status"] = full["status"];
  return out;
}

}  // namespace fro::rollout
