#pragma once
// Thread-safe store of watched objects by "namespace/name", with a namespace index. It keeps only
// what a projection chose to keep (see Informer), not whole objects, to bound memory.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/common/ThreadSafety.h"

namespace fro::kube {

struct CachedObject {
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resourceVersion;
  long long generation = 0;
  nlohmann::json fields;  // the projected object: only the fields controllers read

  std::string key() const { return namespace_.empty() ? name : fmt::format("{}/{}", namespace_, name); }
};
using CachedPtr = std::shared_ptr<const CachedObject>;

class ObjectCache {
 public:
  CachedPtr get(const std::string& key) const;
  CachedPtr get(const std::string& ns, const std::string& name) const;
  std::vector<CachedPtr> list(const std::string& ns = {}) const;  // "" = all namespaces
  size_t size() const;

  // Returns the previous object, if any.
  CachedPtr upsert(CachedPtr obj);
  CachedPtr erase(const std::string& key);
  // Swaps in a full listing; returns the objects that vanished (for delete tombstones).
  std::vector<CachedPtr> replace(std::vector<CachedPtr> objs);

 private:
  mutable SharedMutex mu_;
  std::unordered_map<std::string, CachedPtr> byKey_ FRO_GUARDED_BY(mu_);
  std::map<std::string, std::set<std::string>> byNamespace_ FRO_GUARDED_BY(mu_);
};

}  // namespace fro::kube
