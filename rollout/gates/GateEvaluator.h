#pragma once
// Asynchronous gate evaluation behind the planner's GateProvider seam, on the controller runtime:
// a WorkQueue of rollout keys drained by Workers.
//
// - want(key, request) records the request. A new key, a new `since`, a changed gate set or a
//   changed Prometheus spec makes the key due at once (a new `since` also restarts the counts);
//   after that each key is due every `interval` from the start of its previous evaluation: the
//   evaluation re-adds its key to the queue after the rest of the interval.
// - One evaluation runs the key's gates one after the other. The queue never hands a key to two
//   workers at once, so a hung Prometheus holds at most one worker per rollout for at most its
//   per-request timeout, and other rollouts keep their turn. A queued wake-up that is not due
//   (an outdated delay) re-parks the key without evaluating.
// - After each evaluation every listener (subscribe(), in the order subscribed) is called
//   with the key, on a worker thread, possibly several at once, until the destructor returns;
//   the controller enqueues the rollout, whose reconcile reads observe(key). Answers to a request
//   that changed or was forgotten meanwhile are dropped, with no call.
// - Secrets (bearer token, CA) are read through the injected SecretReader on every evaluation,
//   so rotation needs no restart. Their contents never appear in messages.
// - Time comes from the injected Clock. With Options::delayThread the queue's delay thread makes
//   keys due on time; tests with a fake clock turn it off and call runDue() from the clock's
//   advance hook, then waitIdle().
// - The destructor aborts in-flight HTTP requests (what they return is dropped), drops queued
//   keys and joins the workers.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/common/Clock.h"
#include "runtime/common/Result.h"
#include "runtime/common/ThreadSafety.h"
#include "runtime/controller/ReconcileOutcome.h"
#include "runtime/controller/WorkQueue.h"
#include "runtime/controller/Workers.h"
#include "runtime/http/HttpTransport.h"
#include "runtime/http/TlsConfig.h"
#include "rollout/planner/GateProvider.h"

namespace fro::gates {

class GateEvaluator final : public rollout::GateProvider {
 public:
  // Reads data[key] of Secret ns/name, decoded. When the Secret or the key does not exist,
  // return an Error of kind NotFound (Error::notFound, KubeClient::secretValue); an API answer's
  // code 404 or reason "NotFound" is taken the same way. That is a permanent fault; any other
  // error is retried at the next evaluation.
  using SecretReader =
      std::function<Result<std::string>(const std::string& ns, const std::string& name, const std::string& key)>;
  // A transport for one TLS configuration (CA from caSecretRef, else the system store).
  using TransportFactory = std::function<std::shared_ptr<http::HttpTransport>(const http::TlsConfig& tls)>;
  using Listener = std::function<void(const std::string& key)>;

  struct Options {
    std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();
    TransportFactory transports = curlTransports();
    SecretReader secrets;        // required when a request names a Secret
    std::string defaultAddress;  // --default-prometheus-address, for requests without spec.address
    std::size_t threads = 4;
    // Bounds on one Prometheus answer (PrometheusClient::Config): larger answers, or vectors with
    // more series, are a gate Error naming the limit and are never parsed whole. 0 = unlimited.
    std::size_t maxResponseBytes = 4 * 1024 * 1024;
    std::size_t maxSeries = 100;
    // The queue's delay thread (WorkQueueOptions::delayThread). Keep it with a clock that follows
    // real time; with a fake clock call runDue() after advancing.
    bool delayThread = true;
  };

  struct KeySnapshot {
    std::string key;
    std::vector<rollout::GateObservation> gates;
  };

  explicit GateEvaluator(Options options);
  ~GateEvaluator() override;
  GateEvaluator(const GateEvaluator&) = delete;
  GateEvaluator& operator=(const GateEvaluator&) = delete;

  void want(const std::string& key, const rollout::GateRequest& request) override FRO_EXCLUDES(mu_);
  void forget(const std::string& key) override FRO_EXCLUDES(mu_);
  std::vector<rollout::GateObservation> observe(const std::string& key) const override FRO_EXCLUDES(mu_);

  // Adds a listener called after each evaluation whose answer was kept (see above). Safe at any
  // time, also before the first want(); a listener cannot be removed, so it must outlive this.
  void subscribe(Listener listener) FRO_EXCLUDES(listenersMu_);

  // Makes the keys whose delay has passed on the clock ready for the workers; returns how many.
  std::size_t runDue();
  // Blocks until no evaluation is ready or running; false if `timeout` (real time) passed first.
  bool waitIdle(std::chrono::milliseconds timeout);
  // Latest observations of every wanted key, for metrics.
  std::vector<KeySnapshot> snapshot() const FRO_EXCLUDES(mu_);

  // Production factory: one CurlTransport per distinct TLS configuration.
  static TransportFactory curlTransports();

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;

  struct Entry {
    rollout::GateRequest request;
    std::uint64_t generation = 0;            // bumped by every change that outdates an evaluation in flight
    SteadyTime nextDue = SteadyTime::min();  // due at once until the first evaluation
    SteadyTime lastStart{};
    std::map<std::string, rollout::GateObservation> observations;  // by gate name
  };

  struct Job {
    std::string key;
    rollout::GateRequest request;
    std::uint64_t generation = 0;
  };

  static std::vector<rollout::GateObservation> observeLocked(const Entry& e);
  // The workers' reconcile: one evaluation of `key` if it is due, and when to look again.
  controller::ReconcileOutcome run(const std::string& key) FRO_EXCLUDES(mu_);
  std::vector<rollout::GateObservation> evaluate(const Job& job, std::chrono::system_clock::time_point at);
  // Stores the answer unless the request changed meanwhile; the delay until the next one, if kept.
  std::optional<std::chrono::nanoseconds> store(const Job& job, std::vector<rollout::GateObservation> results,
                                                SteadyTime started) FRO_EXCLUDES(mu_);
  void notify(const std::string& key) FRO_EXCLUDES(listenersMu_);
  std::shared_ptr<http::HttpTransport> transportFor(const std::string& caPem) FRO_EXCLUDES(transportsMu_);

  const Options opts_;

  mutable Mutex mu_;
  std::map<std::string, Entry> entries_ FRO_GUARDED_BY(mu_);
  // Never reused, so a forgotten and re-wanted key is told apart.
  std::uint64_t generations_ FRO_GUARDED_BY(mu_) = 0;

  Mutex listenersMu_;
  std::vector<Listener> listeners_ FRO_GUARDED_BY(listenersMu_);

  std::atomic<bool> cancel_{false};  // aborts in-flight HTTP requests on shutdown

  Mutex transportsMu_;
  std::map<std::string, std::shared_ptr<http::HttpTransport>> transports_ FRO_GUARDED_BY(transportsMu_);  // by CA PEM

  // Last: the workers use everything above, and stop (destructor) before it is destroyed.
  controller::WorkQueue queue_;
  controller::Workers workers_;
};

}  // namespace fro::gates
