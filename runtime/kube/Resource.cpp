#include "runtime/kube/Resource.h"

#include <fmt/format.h>

namespace fro::kube {

std::string Resource::collectionPath(const std::string& ns) const {
  std::string p = group.empty() ? fmt::format("/api/{}", version) : fmt::format("/apis/{}/{}", group, version);
  if (namespaced && !ns.empty()) p += fmt::format("/namespaces/{}", ns);
  return fmt::format("{}/{}", p, plural);
}

std::string Resource::objectPath(const std::string& ns, const std::string& name) const {
  return fmt::format("{}/{}", collectionPath(ns), name);
}

}  // namespace fro::kube
