#pragma once
// Every Prometheus series the operator exports, in one registry that MetricsServer serves.
//
//   fro_build_info{version} 1                                  fro_leader 0|1
//   fro_reconcile_total{result=success|error|requeue}          fro_reconcile_errors_total
//   fro_reconcile_duration_seconds (histogram)
//   fro_kube_requests_total{verb,code}                         fro_kube_request_duration_seconds{verb}
//   fro_workqueue_{depth,adds_total,retries_total,queue_duration_seconds,work_duration_seconds}{name}
//   fro_flag_enabled{namespace,rollout,flag}  1 when on for 100% of users
//   fro_flag_percent{namespace,rollout,flag}  fro_flag_changes_total{namespace,rollout,flag}
//   fro_rollout_phase_index / fro_rollout_step {namespace,rollout}
//   fro_rollout_state{namespace,rollout,state}       one-hot over the known states
//   fro_rollout_info{namespace,rollout,phase,state}  1; its labels follow the rollout (an alert can
//                                                    name the phase)
//   fro_rollout_condition{namespace,rollout,type,status}  one-hot over True|False|Unknown per
//                                                    condition type (kube-state-metrics' shape)
//   fro_gate_value{namespace,rollout,gate}           only while the gate has a value
//   fro_gate_result{namespace,rollout,gate,result}   one-hot over the known results
//
// Thread-safe: any thread may call any method at any time, scrapes included.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "runtime/common/ThreadSafety.h"
#include "runtime/controller/QueueMetricsListener.h"
#include "rollout/metrics/RolloutMetricsSnapshot.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace fro::metrics {

enum class ReconcileResult { Success, Error, Requeue };

class OperatorMetrics {
 public:
  // Same signature as kube::RequestObserver (KubeClient::Options::observer).
  using RequestObserver = std::function<void(const std::string& verb, int code, std::chrono::nanoseconds latency)>;

  explicit OperatorMetrics(const std::string& version);
  ~OperatorMetrics();
  OperatorMetrics(const OperatorMetrics&) = delete;
  OperatorMetrics& operator=(const OperatorMetrics&) = delete;

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void observeReconcile(ReconcileResult result, std::chrono::nanoseconds duration);
  // code 0 (no HTTP response: connect/TLS/timeout) is exported as code="<error>", like client-go.
  void observeKubeRequest(const std::string& verb, int code, std::chrono::nanoseconds latency);
  // For KubeClient::Options::observer. The metrics must outlive the client.
  RequestObserver kubeRequestObserver();
  void setLeader(bool leading);

  // A listener for WorkQueue::Options::metrics; `queue` is the name label (e.g. "featurerollout").
  std::shared_ptr<controller::QueueMetricsListener> queueListener(const std::string& queue);

  // Replaces every rollout series of snapshot.nameSpace/name with the snapshot: flags and gates no
  // longer listed lose their series. fro_flag_changes_total counts percent changes between
  // snapshots seen by this process (the first snapshot of a flag starts it at 0).
  void setRollout(const RolloutMetricsSnapshot& snapshot);
  // Removes every series of a deleted rollout.
  void forgetRollout(const std::string& nameSpace, const std::string& name);

  static const std::vector<std::string>& knownStates();
  static const std::vector<std::string>& knownGateResults();

 private:
  struct RolloutSeries {
    std::map<std::string, double> flagPercent;               // flag -> last exported percent
    std::map<std::string, std::set<std::string>> gateResults;  // gate -> result labels exported
    std::set<std::string> gateValues;                        // gates with a fro_gate_value series
    std::set<std::string> states;                            // state labels exported
    std::pair<std::string, std::string> info;                // phase and state of the fro_rollout_info series
    bool hasInfo = false;
    std::set<std::string> conditionTypes;                    // types with fro_rollout_condition series
  };
  void removeFlag(const std::string& ns, const std::string& name, const std::string& flag);
  void removeGate(const std::string& ns, const std::string& name, const std::string& gate, RolloutSeries& s);
  void removeAll(const std::string& ns, const std::string& name, RolloutSeries& s);

  std::shared_ptr<prometheus::Registry> registry_;

  prometheus::Family<prometheus::Counter>* reconcileTotal_;
  prometheus::Family<prometheus::Counter>* reconcileErrors_;
  prometheus::Family<prometheus::Histogram>* reconcileDuration_;
  prometheus::Family<prometheus::Counter>* kubeRequests_;
  prometheus::Family<prometheus::Histogram>* kubeLatency_;
  prometheus::Family<prometheus::Gauge>* leader_;
  prometheus::Family<prometheus::Gauge>* buildInfo_;

  prometheus::Family<prometheus::Gauge>* queueDepth_;
  prometheus::Family<prometheus::Counter>* queueAdds_;
  prometheus::Family<prometheus::Counter>* queueRetries_;
  prometheus::Family<prometheus::Histogram>* queueLatency_;
  prometheus::Family<prometheus::Histogram>* workDuration_;

  prometheus::Family<prometheus::Gauge>* flagEnabled_;
  prometheus::Family<prometheus::Gauge>* flagPercent_;
  prometheus::Family<prometheus::Counter>* flagChanges_;
  prometheus::Family<prometheus::Gauge>* phaseIndex_;
  prometheus::Family<prometheus::Gauge>* step_;
  prometheus::Family<prometheus::Gauge>* state_;
  prometheus::Family<prometheus::Gauge>* info_;
  prometheus::Family<prometheus::Gauge>* condition_;
  prometheus::Family<prometheus::Gauge>* gateValue_;
  prometheus::Family<prometheus::Gauge>* gateResult_;

  Mutex mu_;  // makes setRollout/forgetRollout atomic with respect to each other
  std::map<std::pair<std::string, std::string>, RolloutSeries> rollouts_ FRO_GUARDED_BY(mu_);
};

}  // namespace fro::metrics
