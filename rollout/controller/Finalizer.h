#pragma once
// A finalizer on one object, written once for its four cases:
//   not deleting, absent  -> Add: patch it in (testing the resourceVersion read) before any write
//   not deleting, present -> Proceed
//   deleting,     present -> CleanUp: the caller undoes its writes, then remove()
//   deleting,     absent  -> Gone: nothing of ours is left
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/common/Result.h"
#include "runtime/kube/ObjectWriter.h"

namespace fro::rollout {

class Finalizer {
 public:
  enum class Case { Add, Proceed, CleanUp, Gone };

  Finalizer(kube::ObjectWriter& writer, kube::Resource resource, std::string name);

  Case of(const nlohmann::json& obj) const;
  // The object's new metadata. A stale cache (the test op fails) comes back as 409 or 422.
  Result<nlohmann::json> add(const nlohmann::json& obj) const;
  // Removes ours only (tested by index and value); an object already gone is fine.
  Status remove(const nlohmann::json& obj) const;

 private:
  kube::ObjectWriter& writer_;
  kube::Resource resource_;
  std::string name_;
};

}  // namespace fro::rollout
