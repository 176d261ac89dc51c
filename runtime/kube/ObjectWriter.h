#pragma once
// The reads and writes a reconciler makes against the API server, as an interface: KubeClient
// implements it over HTTP, and tests implement it in memory (resourceVersion, conflicts, apply by
// field manager) to unit-test a reconciler's order of writes and its handling of failures.
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/common/Result.h"
#include "runtime/kube/Resource.h"

namespace fro::kube {

using json = nlohmann::json;

enum class PatchType { Merge, JsonPatch, StrategicMerge, Apply };

struct PatchOptions {
  std::string fieldManager;
  bool force = false;       // apply only: take ownership of conflicting fields
  std::string subresource;  // e.g. "status"
};

class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Result<nlohmann::json> get(const Resource& r, const std::string& ns, const std::string& name) = 0;
  virtual Result<nlohmann::json> create(const Resource& r, const std::string& ns, const nlohmann::json& obj) = 0;
  // PUT .../status with the object's resourceVersion: a stale one is a 409 Conflict.
  virtual Result<nlohmann::json> updateStatus(const Resource& r, const nlohmann::json& obj) = 0;
  virtual Result<nlohmann::json> patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                                       const nlohmann::json& body, const PatchOptions& opts = {}) = 0;
  // Server-side apply of a partial object under a field manager.
  virtual Result<nlohmann::json> apply(const Resource& r, const nlohmann::json& obj, const std::string& fieldManager,
                                       bool force = true, const std::string& subresource = {}) = 0;
};

}  // namespace fro::kube
