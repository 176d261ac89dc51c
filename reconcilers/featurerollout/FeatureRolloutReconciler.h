#pragma once
// The I/O half of the FeatureRollout controller, for one key: read the informer caches and the
// gate provider, ask the pure RolloutPlanner what to do, then write in a crash-safe order:
//   1. finalizer (so deletion can always clean up what we are about to write),
//   2. status (PUT with resourceVersion: a stale cache means a conflict, never a lost update),
//   3. Events (only for transitions the stored status now records),
//   4. the ConfigMap and each target's pod template, by server-side apply, only when they differ.
// Deletion: the finalizer removes our envFrom and checksum from every target first, then lets the
// ConfigMap be garbage-collected with its owner.
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/common/Clock.h"
#include "operator/controller/ReconcileOutcome.h"
#include "operator/events/EventRecorder.h"
#include "operator/kube/KubeClient.h"
#include "operator/kube/ObjectCache.h"
#include "reconcilers/featurerollout/GateProvider.h"
#include "reconcilers/featurerollout/RolloutStatus.h"

namespace fro::rollout {

// Read access to the caches (informers in production, maps in tests).
class ObjectSource {
 public:
  virtual ~ObjectSource() = default;
  // kind: FeatureRollout | ConfigMap | Deployment | StatefulSet | DaemonSet
  virtual kube::CachedPtr get(const std::string& kind, const std::string& ns, const std::string& name) const = 0;
};

class FeatureRolloutReconciler {
 public:
  using Log = std::function<void(const std::string& level, const std::string& msg, const nlohmann::json& fields)>;
  // Called after every reconcile with the stored status (nullptr: the rollout is gone): metrics.
  using StatusObserver = std::function<void(const std::string& ns, const std::string& name, const RolloutStatus* status)>;

  struct Options {
    std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();
    Log log;
    StatusObserver onStatus;
  };

  FeatureRolloutReconciler(kube::KubeClient& client, const ObjectSource& objects, GateProvider& gates,
                           events::EventRecorder& recorder, Options options);

  controller::ReconcileOutcome reconcile(const std::string& key);

  // Removes our envFrom entry and checksum annotation from one workload, keeping the user's
  // envFrom entries. Idempotent: a finalizer that runs again must not take anything else away.
  Status releaseTarget(const std::string& ns, const std::string& kind, const std::string& name,
                       const std::string& configMap);

 private:
  controller::ReconcileOutcome finalize(const nlohmann::json& fr);
  Status applyConfigMap(const nlohmann::json& fr, const std::string& name, const std::map<std::string, std::string>& data);
  Status injectTarget(const std::string& ns, const std::string& kind, const std::string& name,
                      const std::vector<std::string>& containers, const std::string& configMap,
                      const std::string& checksum);
  void log(const std::string& level, const std::string& msg, const nlohmann::json& fields) const;

  kube::KubeClient& client_;
  const ObjectSource& objects_;
  GateProvider& gates_;
  events::EventRecorder& recorder_;
  Options opts_;
  // The last failed child write per rollout (an observation, like gate results: re-observed on
  // the next attempt), so status can say Stalled/WriteFailed instead of "making progress".
  std::mutex writeErrorsMu_;
  std::map<std::string, std::string> writeErrors_;
};

}  // namespace fro::rollout
