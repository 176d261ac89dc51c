#pragma once
// The I/O half of the FeatureRollout controller, for one key: read the informer caches and the
// gate provider, ask the pure RolloutPlanner what to do, then write in a crash-safe order:
//   1. finalizer (so deletion can always clean up what we are about to write),
//   2. claims on the targets (one workload, one rollout; a lost race is replanned),
//   3. status (PUT with resourceVersion: a stale cache means a conflict, never a lost update),
//   4. the ConfigMap and each target's pod template, by server-side apply, only when they differ,
//   5. Events of the transitions the stored status records, each exactly once (named after it).
// Deletion: the finalizer removes our envFrom and checksum from every target first, then lets the
// ConfigMap be garbage-collected with its owner.
#include <functional>
#include <map>
#include <mutex>
#include <optional>
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
#include "reconcilers/featurerollout/RolloutPlanner.h"
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

  // Removes our envFrom entry, checksum annotation and claim (when it names `rollout`) from one
  // workload, keeping the user's envFrom entries. A workload claimed by another rollout is left
  // alone. Idempotent: a finalizer that runs again must not take anything else away.
  Status releaseTarget(const std::string& ns, const std::string& kind, const std::string& name,
                       const std::string& configMap, const std::string& rollout = "");
  // Claims a workload for `rollout` (names::kOwnerAnnotation), race-free: a JSON patch that tests
  // the resourceVersion it read, so of two rollouts claiming at once exactly one wins. Error code
  // 409 when another rollout holds or just took it.
  Status claimTarget(const std::string& ns, const std::string& kind, const std::string& name,
                     const std::string& rollout, const std::string& previous);

 private:
  controller::ReconcileOutcome finalize(const nlohmann::json& fr);
  Status applyConfigMap(const nlohmann::json& fr, const std::string& name, const std::map<std::string, std::string>& data);
  Status injectTarget(const std::string& ns, const std::string& kind, const std::string& name,
                      const std::vector<std::string>& containers, const std::string& configMap,
                      const std::string& checksum);
  void log(const std::string& level, const std::string& msg, const nlohmann::json& fields) const;
  // Writes the ConfigMap and the targets' pod templates the plan wants (nullopt: all done).
  std::optional<controller::ReconcileOutcome> writeChildren(const std::string& key, const nlohmann::json& fr,
                                                            const PlanInput& in, const Plan& plan,
                                                            const std::string& claimError);
  // Records the Events of history entries not yet recorded (exactly once: named after the entry).
  bool emitEvents(const std::string& key, const nlohmann::json& fr, const nlohmann::json& storedStatus,
                  const RolloutStatus& written);

  kube::KubeClient& client_;
  const ObjectSource& objects_;
  GateProvider& gates_;
  events::EventRecorder& recorder_;
  Options opts_;
  // The last failed child write per rollout (an observation, like gate results: re-observed on
  // the next attempt), so status can say Stalled/WriteFailed instead of "making progress".
  std::mutex writeErrorsMu_;
  std::map<std::string, std::string> writeErrors_;
  // Per rollout (uid): the history seq whose Event this process recorded last. A key it has not
  // seen yet re-emits the stored status's last transitions: a crash may have come before them.
  struct Emitted {
    std::string uid;
    std::int64_t through = 0;
  };
  std::mutex emittedMu_;
  std::map<std::string, Emitted> emitted_;
};

}  // namespace fro::rollout
