#pragma once
// The core/v1 Events about one object, as `kubectl describe` would list them.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/kube/KubeClient.h"
#include "runtime/kube/Resource.h"

namespace fro::testing {

inline std::vector<nlohmann::json> eventsAbout(kube::KubeClient& client, const std::string& ns, const std::string& name) {
  kube::ListOptions lo;
  lo.fieldSelector = "involvedObject.name=" + name;
  auto l = client.list(kube::Resource::coreEvents(), ns, lo);
  std::vector<nlohmann::json> out;
  if (l.ok())
    for (auto& e : (*l)["items"]) out.push_back(e);
  return out;
}

}  // namespace fro::testing
