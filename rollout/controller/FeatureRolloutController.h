#pragma once
// The FeatureRollout controller: informers (FeatureRollouts, our ConfigMaps, Deployments,
// StatefulSets, DaemonSets; all namespaces or a list) -> EventRouter -> WorkQueue -> Workers ->
// FeatureRolloutReconciler. Informers run from start(); workers only from startWorkers() (with
// leader election: once leading), so a standby keeps warm caches but never writes.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/controller/QueueMetricsListener.h"
#include "runtime/controller/WorkQueue.h"
#include "runtime/controller/Workers.h"
#include "runtime/events/EventRecorder.h"
#include "runtime/kube/Informer.h"
#include "runtime/kube/KubeClient.h"
#include "rollout/controller/FeatureRolloutReconciler.h"
#include "rollout/controller/TargetIndex.h"
#include "rollout/planner/GateProvider.h"

namespace fro::rollout {

class FeatureRolloutController : public ObjectSource {
 public:
  struct Options {
    std::vector<std::string> namespaces;  // empty: all namespaces
    int workers = 4;
    std::shared_ptr<controller::QueueMetricsListener> queueMetrics;
    // After each reconcile: the rollout's key (namespace/name), its outcome and how long it took
    // (metrics, logs).
    std::function<void(const std::string&, const controller::ReconcileOutcome&, std::chrono::nanoseconds)> onReconcile;
    FeatureRolloutReconciler::Options reconciler;
    // Every informer's failed list/watch, sync and recovery (logs, /readyz?verbose).
    kube::Informer::Observer informerObserver;
    // A reconcile that threw (it skips onReconcile): logged and counted like an error.
    controller::Workers::OnThrow onThrow;
  };

  FeatureRolloutController(kube::KubeClient& client, GateProvider& gates, events::EventRecorder& recorder,
                           Options options);
  ~FeatureRolloutController() override;

  void start();  // informers (threads)
  bool waitForSync(std::chrono::milliseconds timeout) const;
  bool synced() const;
  void startWorkers();
  // Stops taking keys, lets in-flight reconciles finish (bounded), stops the informers.
  bool stop(std::chrono::milliseconds grace);
  void enqueue(const std::string& key);  // e.g. a gate result arrived

  kube::CachedPtr get(const std::string& kind, const std::string& ns, const std::string& name) const override;

 private:
  kube::Informer& add(const std::string& kind, kube::Resource r, const std::string& ns, kube::Informer::Options o);
  std::vector<std::string> rolloutsTargeting(const std::string& kind, const kube::CachedPtr& obj) const;

  kube::KubeClient& client_;
  Options opts_;
  controller::WorkQueue queue_;
  TargetIndex targets_;  // before the informers whose handlers write it
  std::unique_ptr<FeatureRolloutReconciler> reconciler_;
  std::unique_ptr<controller::Workers> workers_;
  // kind -> namespace ("" = all) -> informer
  std::map<std::string, std::map<std::string, std::unique_ptr<kube::Informer>>> informers_;
  std::vector<std::thread> threads_;
};

}  // namespace fro::rollout
