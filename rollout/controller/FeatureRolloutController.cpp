#include "rollout/controller/FeatureRolloutController.h"

#include <algorithm>

#include "runtime/controller/EventRouter.h"
#include "runtime/kube/Resource.h"
#include "rollout/planner/Annotations.h"
#include "rollout/planner/ConfigMapView.h"
#include "rollout/planner/WorkloadView.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;

controller::WorkQueueOptions queueOptions(const std::shared_ptr<controller::QueueMetricsListener>& m) {
  controller::WorkQueueOptions o;
  o.metrics = m;
  return o;
}

}  // namespace

FeatureRolloutController::FeatureRolloutController(kube::KubeClient& client, GateProvider& gates,
                                                   events::EventRecorder& recorder, Options options)
    : client_(client), opts_(std::move(options)), queue_(queueOptions(opts_.queueMetrics)) {
  reconciler_ = std::make_unique<FeatureRolloutReconciler>(client_, *this, gates, recorder, opts_.reconciler);
  std::vector<std::string> nss = opts_.namespaces.empty() ? std::vector<std::string>{""} : opts_.namespaces;
  for (const auto& ns : nss) {
    auto& fr = add("FeatureRollout", kube::Resource::featureRollouts(), ns, {});
    // The index first: a rollout woken by its own event already finds its targets' events routed.
    fr.addHandlers({[this](const kube::CachedPtr& o) { targets_.set(o->key(), o->namespace_, o->fields); },
                    [this](const kube::CachedPtr&, const kube::CachedPtr& o) { targets_.set(o->key(), o->namespace_, o->fields); },
                    [this](const kube::CachedPtr& o, bool) { targets_.remove(o->key()); }});
    controller::EventRouter::enqueueSelf(fr, queue_);

    kube::Informer::Options cmo;
    cmo.labelSelector = names::kRolloutLabel;
    cmo.project = ConfigMapView::project;
    auto& cm = add("ConfigMap", kube::Resource::configMaps(), ns, cmo);
    controller::EventRouter::enqueueOwner(cm, queue_, "rollouts.featureflags.dev", "FeatureRollout");

    for (const char* kind : {"Deployment", "StatefulSet", "DaemonSet"}) {
      kube::Informer::Options wo;
      wo.project = WorkloadView::project;
      auto& inf = add(kind, *kube::Resource::workload(kind), ns, wo);
      std::string k = kind;
      controller::EventRouter::enqueueMapped(inf, queue_, [this, k](const kube::CachedPtr& o) { return rolloutsTargeting(k, o); });
    }
  }
  workers_ = std::make_unique<controller::Workers>(
      queue_,
      [this](const std::string& key) {
        auto start = std::chrono::steady_clock::now();
        auto outcome = reconciler_->reconcile(key);
        if (opts_.onReconcile) opts_.onReconcile(key, outcome, std::chrono::steady_clock::now() - start);
        return outcome;
      },
      opts_.workers, opts_.onThrow);
}

FeatureRolloutController::~FeatureRolloutController() { stop(std::chrono::seconds(5)); }

kube::Informer& FeatureRolloutController::add(const std::string& kind, kube::Resource r, const std::string& ns,
                                              kube::Informer::Options o) {
  o.namespace_ = ns;
  o.observer = opts_.informerObserver;
  auto inf = std::make_unique<kube::Informer>(client_, r, o);
  auto& ref = *inf;
  informers_[kind][ns] = std::move(inf);
  return ref;
}

std::vector<std::string> FeatureRolloutController::rolloutsTargeting(const std::string& kind,
                                                                     const kube::CachedPtr& obj) const {
  return targets_.rolloutsTargeting(kind, obj->namespace_, obj->name);
}

kube::CachedPtr FeatureRolloutController::get(const std::string& kind, const std::string& ns,
                                              const std::string& name) const {
  auto it = informers_.find(kind);
  if (it == informers_.end()) return nullptr;
  for (const auto& [infNs, inf] : it->second)
    if (infNs.empty() || infNs == ns)
      if (auto o = inf->cache().get(ns, name)) return o;
  return nullptr;
}

void FeatureRolloutController::start() {
  if (!threads_.empty()) return;
  for (auto& [kind, byNs] : informers_)
    for (auto& [ns, inf] : byNs) threads_.emplace_back([i = inf.get()] { i->run(); });
}

bool FeatureRolloutController::synced() const {
  for (const auto& [kind, byNs] : informers_)
    for (const auto& [ns, inf] : byNs)
      if (!inf->hasSynced()) return false;
  return true;
}

bool FeatureRolloutController::waitForSync(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& [kind, byNs] : informers_)
    for (const auto& [ns, inf] : byNs) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !inf->waitForSync(left)) return false;
    }
  return true;
}

void FeatureRolloutController::startWorkers() { workers_->start(); }

void FeatureRolloutController::enqueue(const std::string& key) { queue_.add(key); }

bool FeatureRolloutController::stop(std::chrono::milliseconds grace) {
  bool drained = workers_ ? workers_->shutDown(grace) : true;
  for (auto& [kind, byNs] : informers_)
    for (auto& [ns, inf] : byNs) inf->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  return drained;
}

}  // namespace fro::rollout
