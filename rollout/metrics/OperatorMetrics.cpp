#include "rollout/metrics/OperatorMetrics.h"

#include <algorithm>

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "runtime/metrics/WorkQueueMetrics.h"

namespace fro::metrics {

namespace {

using prometheus::Labels;

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

// controller-runtime's reconcile buckets: 5 ms .. 60 s.
const prometheus::Histogram::BucketBoundaries kReconcileBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2,
                                                                   0.25,  0.3,  0.35,  0.4,  0.45, 0.5, 0.6,
                                                                   0.7,   0.8,  0.9,   1.0,  1.25, 1.5, 1.75,
                                                                   2.0,   2.5,  3.0,   3.5,  4.0,  4.5, 5,
                                                                   6,     7,    8,     9,    10,   15,  20,
                                                                   25,    30,   40,    50,   60};
// client-go's rest_client_request_duration_seconds buckets.
const prometheus::Histogram::BucketBoundaries kKubeBuckets = {0.005, 0.025, 0.1, 0.25, 0.5, 1.0,
                                                              2.0,   4.0,   8.0, 15.0, 30.0, 60.0};
// client-go's workqueue buckets: 1 ns .. 10 s, factor 10.
const prometheus::Histogram::BucketBoundaries kQueueBuckets = {1e-9, 1e-8, 1e-7, 1e-6, 1e-5,
                                                               1e-4, 1e-3, 1e-2, 1e-1, 1,  10};

const char* resultLabel(ReconcileResult r) {
  switch (r) {
    case ReconcileResult::Success: return "success";
    case ReconcileResult::Error: return "error";
    case ReconcileResult::Requeue: return "requeue";
  }
  return "error";
}

template <class T>
void removeSeries(prometheus::Family<T>& family, const Labels& labels) {
  if (family.Has(labels)) family.Remove(&family.Add(labels));
}

}  // namespace

const std::vector<std::string>& OperatorMetrics::knownStates() {
  static const std::vector<std::string> s = {"Pending",   "Progressing", "Holding", "Paused",
                                             "Succeeded", "RolledBack",  "Invalid"};
  return s;
}

const std::vector<std::string>& OperatorMetrics::knownGateResults() {
  static const std::vector<std::string> r = {"Passed", "Warning", "Critical", "NoData", "Error"};
  return r;
}

OperatorMetrics::OperatorMetrics(const std::string& version) : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  reconcileTotal_ = &prometheus::BuildCounter()
                         .Name("fro_reconcile_total")
                         .Help("Reconciles of FeatureRollouts by result (success, error, requeue)")
                         .Register(r);
  reconcileErrors_ =
      &prometheus::BuildCounter().Name("fro_reconcile_errors_total").Help("Reconciles that returned an error").Register(r);
  reconcileDuration_ = &prometheus::BuildHistogram()
                            .Name("fro_reconcile_duration_seconds")
                            .Help("Time a reconcile of one FeatureRollout took")
                            .Register(r);
  kubeRequests_ = &prometheus::BuildCounter()
                       .Name("fro_kube_requests_total")
                       .Help("Kubernetes API requests by verb and HTTP status code (<error>: no response)")
                       .Register(r);
  kubeLatency_ = &prometheus::BuildHistogram()
                      .Name("fro_kube_request_duration_seconds")
                      .Help("Kubernetes API request latency by verb")
                      .Register(r);
  leader_ = &prometheus::BuildGauge().Name("fro_leader").Help("1 while this replica is the leader").Register(r);
  buildInfo_ = &prometheus::BuildGauge().Name("fro_build_info").Help("Version of the running operator").Register(r);
  queueDepth_ = &prometheus::BuildGauge().Name("fro_workqueue_depth").Help("Current depth of the work queue").Register(r);
  queueAdds_ = &prometheus::BuildCounter()
                    .Name("fro_workqueue_adds_total")
                    .Help("Keys added to the work queue (not counting duplicates of pending keys)")
                    .Register(r);
  queueRetries_ =
      &prometheus::BuildCounter().Name("fro_workqueue_retries_total").Help("Rate-limited re-adds (retries)").Register(r);
  queueLatency_ = &prometheus::BuildHistogram()
                       .Name("fro_workqueue_queue_duration_seconds")
                       .Help("How long a key waited in the work queue before a worker took it")
                       .Register(r);
  workDuration_ = &prometheus::BuildHistogram()
                       .Name("fro_workqueue_work_duration_seconds")
                       .Help("How long a worker held a key")
                       .Register(r);
  flagEnabled_ = &prometheus::BuildGauge()
                      .Name("fro_flag_enabled")
                      .Help("1 when the flag is on for 100% of users, else 0")
                      .Register(r);
  flagPercent_ =
      &prometheus::BuildGauge().Name("fro_flag_percent").Help("Share of users (0-100) the flag is on for").Register(r);
  flagChanges_ = &prometheus::BuildCounter()
                      .Name("fro_flag_changes_total")
                      .Help("Changes of the flag's percent seen by this operator process")
                      .Register(r);
  phaseIndex_ = &prometheus::BuildGauge()
                     .Name("fro_rollout_phase_index")
                     .Help("Index of the rollout's current phase (0-based)")
                     .Register(r);
  step_ = &prometheus::BuildGauge().Name("fro_rollout_step").Help("Step within the current phase").Register(r);
  state_ = &prometheus::BuildGauge().Name("fro_rollout_state").Help("1 for the rollout's current state").Register(r);
  info_ = &prometheus::BuildGauge()
               .Name("fro_rollout_info")
               .Help("1, labelled with the rollout's current phase and state")
               .Register(r);
  condition_ = &prometheus::BuildGauge()
                    .Name("fro_rollout_condition")
                    .Help("1 for each condition type's current status (True, False or Unknown)")
                    .Register(r);
  gateValue_ = &prometheus::BuildGauge()
                    .Name("fro_gate_value")
                    .Help("Last value a gate's query returned (absent without data)")
                    .Register(r);
  gateResult_ = &prometheus::BuildGauge()
                     .Name("fro_gate_result")
                     .Help("1 for the gate's latest result (Passed, Warning, Critical, NoData, Error)")
                     .Register(r);

  // Series that exist from the start, so rate() and alerts work before the first event.
  for (auto res : {ReconcileResult::Success, ReconcileResult::Error, ReconcileResult::Requeue})
    reconcileTotal_->Add({{"result", resultLabel(res)}});
  reconcileErrors_->Add({});
  reconcileDuration_->Add({}, kReconcileBuckets);
  leader_->Add({}).Set(0);
  buildInfo_->Add({{"version", version}}).Set(1);
}

OperatorMetrics::~OperatorMetrics() = default;

void OperatorMetrics::observeReconcile(ReconcileResult result, std::chrono::nanoseconds duration) {
  reconcileTotal_->Add({{"result", resultLabel(result)}}).Increment();
  if (result == ReconcileResult::Error) reconcileErrors_->Add({}).Increment();
  reconcileDuration_->Add({}, kReconcileBuckets).Observe(seconds(duration));
}

void OperatorMetrics::observeKubeRequest(const std::string& verb, int code, std::chrono::nanoseconds latency) {
  kubeRequests_->Add({{"verb", verb}, {"code", code > 0 ? fmt::format("{}", code) : "<error>"}}).Increment();
  kubeLatency_->Add({{"verb", verb}}, kKubeBuckets).Observe(seconds(latency));
}

OperatorMetrics::RequestObserver OperatorMetrics::kubeRequestObserver() {
  return [this](const std::string& verb, int code, std::chrono::nanoseconds latency) {
    observeKubeRequest(verb, code, latency);
  };
}

void OperatorMetrics::setLeader(bool leading) { leader_->Add({}).Set(leading ? 1 : 0); }

std::shared_ptr<controller::QueueMetricsListener> OperatorMetrics::queueListener(const std::string& queue) {
  Labels l{{"name", queue}};
  return std::make_shared<WorkQueueMetrics>(registry_, queueDepth_->Add(l), queueAdds_->Add(l), queueRetries_->Add(l),
                                            queueLatency_->Add(l, kQueueBuckets), workDuration_->Add(l, kQueueBuckets));
}

// fro_rollout_condition is one-hot over these, per condition type.
constexpr const char* kConditionStatuses[] = {"True", "False", "Unknown"};

void OperatorMetrics::setRollout(const RolloutMetricsSnapshot& snap) {
  const auto& ns = snap.nameSpace;
  const auto& name = snap.name;
  MutexLock lock(mu_);
  auto& s = rollouts_[{ns, name}];
  Labels rollout{{"namespace", ns}, {"rollout", name}};

  phaseIndex_->Add(rollout).Set(snap.phaseIndex);
  step_->Add(rollout).Set(snap.step);

  // One-hot: every known state is present, unknown ones too once seen, only the current one is 1.
  std::set<std::string> states(knownStates().begin(), knownStates().end());
  if (!snap.state.empty()) states.insert(snap.state);
  for (const auto& old : s.states)
    if (!states.count(old)) removeSeries(*state_, {{"namespace", ns}, {"rollout", name}, {"state", old}});
  for (const auto& st : states)
    state_->Add({{"namespace", ns}, {"rollout", name}, {"state", st}}).Set(st == snap.state ? 1 : 0);
  s.states = std::move(states);

  // One series whose labels follow the rollout: the old one goes when phase or state changes.
  const std::pair<std::string, std::string> info{snap.phase, snap.state};
  if (s.hasInfo && s.info != info)
    removeSeries(*info_, {{"namespace", ns}, {"rollout", name}, {"phase", s.info.first}, {"state", s.info.second}});
  info_->Add({{"namespace", ns}, {"rollout", name}, {"phase", info.first}, {"state", info.second}}).Set(1);
  s.info = info;
  s.hasInfo = true;

  std::set<std::string> typesNow;
  for (const auto& cond : snap.conditions) {
    typesNow.insert(cond.type);
    for (const char* st : kConditionStatuses)
      condition_->Add({{"namespace", ns}, {"rollout", name}, {"type", cond.type}, {"status", st}})
          .Set(cond.status == st ? 1 : 0);
  }
  for (const auto& old : s.conditionTypes)
    if (!typesNow.count(old))
      for (const char* st : kConditionStatuses)
        removeSeries(*condition_, {{"namespace", ns}, {"rollout", name}, {"type", old}, {"status", st}});
  s.conditionTypes = std::move(typesNow);

  std::set<std::string> flagsNow;
  for (const auto& f : snap.flags) {
    flagsNow.insert(f.name);
    double pct = std::clamp(f.percent, 0.0, 100.0);
    Labels l{{"namespace", ns}, {"rollout", name}, {"flag", f.name}};
    auto& changes = flagChanges_->Add(l);  // created at 0 on first sight
    auto prev = s.flagPercent.find(f.name);
    if (prev != s.flagPercent.end() && prev->second != pct) changes.Increment();
    s.flagPercent[f.name] = pct;
    flagPercent_->Add(l).Set(pct);
    flagEnabled_->Add(l).Set(pct >= 100 ? 1 : 0);
  }
  for (auto it = s.flagPercent.begin(); it != s.flagPercent.end();) {
    if (flagsNow.count(it->first)) {
      ++it;
      continue;
    }
    removeFlag(ns, name, it->first);
    it = s.flagPercent.erase(it);
  }

  std::set<std::string> gatesNow;
  for (const auto& g : snap.gates) {
    gatesNow.insert(g.name);
    Labels l{{"namespace", ns}, {"rollout", name}, {"gate", g.name}};
    if (g.value) {
      gateValue_->Add(l).Set(*g.value);
      s.gateValues.insert(g.name);
    } else if (s.gateValues.erase(g.name)) {
      removeSeries(*gateValue_, l);
    }
    std::set<std::string> results(knownGateResults().begin(), knownGateResults().end());
    if (!g.result.empty()) results.insert(g.result);
    auto& exported = s.gateResults[g.name];
    for (const auto& old : exported)
      if (!results.count(old))
        removeSeries(*gateResult_, {{"namespace", ns}, {"rollout", name}, {"gate", g.name}, {"result", old}});
    for (const auto& res : results)
      gateResult_->Add({{"namespace", ns}, {"rollout", name}, {"gate", g.name}, {"result", res}})
          .Set(res == g.result ? 1 : 0);
    exported = std::move(results);
  }
  std::vector<std::string> stale;
  for (const auto& [gate, _] : s.gateResults)
    if (!gatesNow.count(gate)) stale.push_back(gate);
  for (const auto& gate : stale) removeGate(ns, name, gate, s);
}

void OperatorMetrics::forgetRollout(const std::string& ns, const std::string& name) {
  MutexLock lock(mu_);
  auto it = rollouts_.find({ns, name});
  if (it == rollouts_.end()) return;
  removeAll(ns, name, it->second);
  rollouts_.erase(it);
}

void OperatorMetrics::removeFlag(const std::string& ns, const std::string& name, const std::string& flag) {
  Labels l{{"namespace", ns}, {"rollout", name}, {"flag", flag}};
  removeSeries(*flagEnabled_, l);
  removeSeries(*flagPercent_, l);
  removeSeries(*flagChanges_, l);
}

void OperatorMetrics::removeGate(const std::string& ns, const std::string& name, const std::string& gate,
                                 RolloutSeries& s) {
  Labels l{{"namespace", ns}, {"rollout", name}, {"gate", gate}};
  if (s.gateValues.erase(gate)) removeSeries(*gateValue_, l);
  for (const auto& res : s.gateResults[gate])
    removeSeries(*gateResult_, {{"namespace", ns}, {"rollout", name}, {"gate", gate}, {"result", res}});
  s.gateResults.erase(gate);
}

void OperatorMetrics::removeAll(const std::string& ns, const std::string& name, RolloutSeries& s) {
  Labels rollout{{"namespace", ns}, {"rollout", name}};
  removeSeries(*phaseIndex_, rollout);
  removeSeries(*step_, rollout);
  for (const auto& st : s.states) removeSeries(*state_, {{"namespace", ns}, {"rollout", name}, {"state", st}});
  if (s.hasInfo)
    removeSeries(*info_, {{"namespace", ns}, {"rollout", name}, {"phase", s.info.first}, {"state", s.info.second}});
  for (const auto& type : s.conditionTypes)
    for (const char* st : kConditionStatuses)
      removeSeries(*condition_, {{"namespace", ns}, {"rollout", name}, {"type", type}, {"status", st}});
  for (const auto& [flag, _] : s.flagPercent) removeFlag(ns, name, flag);
  std::vector<std::string> gates;
  for (const auto& [gate, _] : s.gateResults) gates.push_back(gate);
  for (const auto& gate : gates) removeGate(ns, name, gate, s);
}

}  // namespace fro::metrics
