#include "runtime/controller/EventRouter.h"

#include <algorithm>

namespace fro::controller {

void EventRouter::enqueueMapped(kube::Informer& informer, WorkQueue& queue, KeysOf keysOf) {
  auto route = [&queue, keysOf](const kube::CachedPtr& o) {
    for (const auto& k : keysOf(o)) queue.add(k);
  };
  // On update both versions count: an object that stops matching must still wake its old owner.
  // Each key is added once, so a worker cannot take it between two adds of the same event.
  auto routeUpdate = [&queue, keysOf](const kube::CachedPtr& old, const kube::CachedPtr& cur) {
    auto keys = keysOf(old);
    for (auto& k : keysOf(cur))
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(std::move(k));
    for (const auto& k : keys) queue.add(k);
  };
  informer.addHandlers({route, routeUpdate, [route](const kube::CachedPtr& o, bool) { route(o); }});
}

void EventRouter::enqueueSelf(kube::Informer& informer, WorkQueue& queue) {
  enqueueMapped(informer, queue, [](const kube::CachedPtr& o) { return std::vector<std::string>{o->key()}; });
}

std::vector<std::string> EventRouter::ownerKeys(const kube::CachedObject& obj, const std::string& ownerGroup,
                                                const std::string& ownerKind) {
  std::vector<std::string> keys;
  auto m = obj.fields.find("metadata");
  if (m == obj.fields.end() || !m->is_object()) return keys;
  auto refs = m->find("ownerReferences");
  if (refs == m->end() || !refs->is_array()) return keys;
  for (const auto& ref : *refs) {
    if (!ref.is_object() || ref.value("kind", "") != ownerKind) continue;
    std::string apiVersion = ref.value("apiVersion", "");
    auto slash = apiVersion.find('/');
    std::string group = slash == std::string::npos ? "" : apiVersion.substr(0, slash);
    if (group != ownerGroup) continue;
    std::string name = ref.value("name", "");
    if (!name.empty()) keys.push_back(obj.namespace_.empty() ? name : obj.namespace_ + "/" + name);
  }
  return keys;
}

void EventRouter::enqueueOwner(kube::Informer& informer, WorkQueue& queue, const std::string& ownerGroup,
                               const std::string& ownerKind) {
  enqueueMapped(informer, queue, [ownerGroup, ownerKind](const kube::CachedPtr& o) {
    return ownerKeys(*o, ownerGroup, ownerKind);
  });
}

}  // namespace fro::controller
