#include "rollout/planner/ConfigMapView.h"

#include <map>

#include "rollout/planner/FlagDocument.h"

namespace fro::rollout {

using json = nlohmann::json;

std::string ConfigMapView::digestOf(const json& cm) {
  std::map<std::string, std::string> data;
  if (auto d = cm.find("data"); d != cm.end() && d->is_object())
    for (const auto& [k, v] : d->items())
      if (v.is_string()) data[k] = v.get<std::string>();
  return FlagDocument::checksum(data);
}

json ConfigMapView::project(const json& full) {
  json out = {{"metadata", json::object()}};
  if (auto md = full.find("metadata"); md != full.end() && md->is_object())
    for (const char* k : {"name", "namespace", "uid", "resourceVersion", "ownerReferences", "labels"})
      if (md->contains(k)) out["metadata"][k] = (*md)[k];
  out[kDataDigestField] = digestOf(full);
  return out;
}

ConfigMapView ConfigMapView::observe(const json* cm, const std::string& uid) {
  ConfigMapView v;
  if (!cm || !cm->is_object()) return v;
  v.exists = true;
  v.owner = "nobody";
  for (const auto& ref : cm->value("/metadata/ownerReferences"_json_pointer, json::array())) {
    if (!ref.is_object()) continue;
    if (ref.value("uid", "") == uid) v.ownedByUs = true;
    else if (ref.value("controller", false)) v.owner = ref.value("kind", "") + " " + ref.value("name", "");
  }
  // A projected object carries the digest; a whole one (a test's, one read back) its data.
  if (auto d = cm->find(kDataDigestField); d != cm->end() && d->is_string()) v.dataDigest = d->get<std::string>();
  else v.dataDigest = digestOf(*cm);
  return v;
}

}  // namespace fro::rollout
