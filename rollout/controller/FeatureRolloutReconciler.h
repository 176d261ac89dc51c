#pragma once
// The I/O half of the FeatureRollout controller, for one key: read the informer caches and the
// gate provider, ask the pure RolloutPlanner what to do, and have the PlanExecutor write it:
// finalizer first (so deletion can always clean up what is about to be written), then claims,
// status, children, Events. Deletion: the finalizer removes our envFrom and checksum from every
// target first, then lets the ConfigMap be garbage-collected with its owner.
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/common/Clock.h"
#include "runtime/controller/ReconcileOutcome.h"
#include "runtime/events/EventRecorder.h"
#include "runtime/kube/ObjectCache.h"
#include "runtime/kube/ObjectWriter.h"
#include "rollout/controller/Finalizer.h"
#include "rollout/planner/GateProvider.h"
#include "rollout/controller/PlanExecutor.h"
#include "rollout/controller/RecentWrites.h"
#include "rollout/planner/RolloutPlanner.h"

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
  using Log = PlanExecutor::Log;
  using StatusObserver = PlanExecutor::StatusObserver;

  struct Options {
    std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();
    Log log;
    StatusObserver onStatus;
    // Every plan before it is executed (tests, debugging).
    std::function<void(const std::string& key, const Plan& plan)> onPlan;
  };

  FeatureRolloutReconciler(kube::ObjectWriter& writer, const ObjectSource& objects, GateProvider& gates,
                           events::EventRecorder& recorder, Options options);

  controller::ReconcileOutcome reconcile(const std::string& key);

 private:
  Result<PlanInput> observe(const std::string& key, const nlohmann::json& rollout);
  controller::ReconcileOutcome finalize(const std::string& key, const nlohmann::json& rollout);

  kube::ObjectWriter& writer_;
  const ObjectSource& objects_;
  GateProvider& gates_;
  Options opts_;
  Finalizer finalizer_;
  RecentWrites recent_;
  PlanExecutor executor_;
};

}  // namespace fro::rollout
