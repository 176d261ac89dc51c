#pragma once
// The writes of a rollout's children, each idempotent: its ConfigMap (server-side apply, owned by
// the rollout), a target's claim (one workload, one rollout), its injection (on the pod template:
// the mounted ConfigMap and flagd env vars for file delivery, envFrom and the restart checksum for
// env delivery) and its release.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/Result.h"
#include "runtime/kube/ObjectWriter.h"
#include "rollout/planner/Plan.h"

namespace fro::rollout {

class ChildWriter {
 public:
  explicit ChildWriter(kube::ObjectWriter& writer) : writer_(writer) {}

  // rollout: the FeatureRollout (its metadata names and owns the ConfigMap).
  Status applyConfigMap(const nlohmann::json& rollout, const std::string& name, const std::map<std::string, std::string>& data);
  // Claims a workload for `rollout` (names::kOwnerAnnotation), race-free: a JSON patch that tests
  // the resourceVersion it read, so of two rollouts claiming at once exactly one wins. Error code
  // 409 when another rollout holds or just took it.
  Status claimTarget(const std::string& ns, const std::string& kind, const std::string& name, const std::string& rollout,
                     const std::string& previous);
  // One server-side apply of everything we want on the pod template (what we no longer apply, the
  // API server removes). envFrom is an atomic list: applying only our entry would drop the user's,
  // so the applied list is the live one with ours added or removed (read fresh, not from the cache).
  Status injectTarget(const std::string& ns, const std::string& kind, const std::string& name,
                      const std::vector<std::string>& containers, const std::string& configMap, const Plan& plan);
  // Removes our envFrom entry, checksum annotation and claim (when it names `rollout`) from one
  // workload, keeping the user's envFrom entries. A workload claimed by another rollout is left
  // alone. Idempotent: a finalizer that runs again must not take anything else away.
  Status releaseTarget(const std::string& ns, const std::string& kind, const std::string& name, const std::string& configMap,
                       const std::string& rollout = "");

 private:
  kube::ObjectWriter& writer_;
};

}  // namespace fro::rollout
