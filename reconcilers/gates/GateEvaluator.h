#pragma once
// Asynchronous gate evaluation behind the planner's GateProvider seam.
//
// - want(key, request) records the request. A new key, a new `since`, a changed gate set or a
//   changed Prometheus spec makes the key due at once (a new `since` also restarts the counts);
//   after that each key is due every `interval` from the start of its previous evaluation.
// - Due keys go to a small fixed pool of threads. One evaluation runs the key's gates one after
//   the other; a key is never evaluated twice at once, so a hung Prometheus holds at most one
//   thread per rollout for at most its per-request timeout, and other rollouts keep their turn.
// - After each evaluation onResult(key) is called (on a pool thread, possibly several at once,
//   until the destructor returns); the controller enqueues the rollout, whose reconcile reads
//   observe(key). Answers to a request that changed or was forgotten meanwhile are dropped.
// - Secrets (bearer token, CA) are read through the injected SecretReader on every evaluation,
//   so rotation needs no restart. Their contents never appear in messages.
// - Time comes from the injected Clock. With Options::schedulerThread a thread calls runDue()
//   when the next key is due; tests turn it off and call runDue() from their clock's advance hook.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "operator/common/Clock.h"
#include "operator/common/Result.h"
#include "operator/http/HttpTransport.h"
#include "operator/http/TlsConfig.h"
#include "reconcilers/featurerollout/GateProvider.h"

namespace fro::gates {

class GateEvaluator final : public rollout::GateProvider {
 public:
  // Reads data[key] of Secret ns/name, decoded. Return an Error with code 404 (or reason
  // "NotFound") when the Secret or the key does not exist: that is a permanent fault.
  using SecretReader =
      std::function<Result<std::string>(const std::string& ns, const std::string& name, const std::string& key)>;
  // A transport for one TLS configuration (CA from caSecretRef, else the system store).
  using TransportFactory = std::function<std::shared_ptr<http::HttpTransport>(const http::TlsConfig& tls)>;

  struct Options {
    std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();
    TransportFactory transports = curlTransports();
    SecretReader secrets;  // required when a request names a Secret
    std::function<void(const std::string& key)> onResult;
    std::string defaultAddress;  // --default-prometheus-address, for requests without spec.address
    std::size_t threads = 4;
    // Bounds on one Prometheus answer (PrometheusClient::Config): larger answers, or vectors with
    // more series, are a gate Error naming the limit and are never parsed whole. 0 = unlimited.
    std::size_t maxResponseBytes = 4 * 1024 * 1024;
    std::size_t maxSeries = 100;
    // Keep it with a clock that follows real time; with a fake clock call runDue() after advancing.
    bool schedulerThread = true;
  };

  struct KeySnapshot {
    std::string key;
    std::vector<rollout::GateObservation> gates;
  };

  explicit GateEvaluator(Options options);
  ~GateEvaluator() override;
  GateEvaluator(const GateEvaluator&) = delete;
  GateEvaluator& operator=(const GateEvaluator&) = delete;

  void want(const std::string& key, const rollout::GateRequest& request) override;
  void forget(const std::string& key) override;
  std::vector<rollout::GateObservation> observe(const std::string& key) const override;

  // Hands every due key that is not already being evaluated to the pool; returns how many.
  std::size_t runDue();
  // Blocks until no evaluation is queued or running; false if `timeout` (real time) passed first.
  bool waitIdle(std::chrono::milliseconds timeout);
  // Latest observations of every wanted key, for metrics.
  std::vector<KeySnapshot> snapshot() const;

  // Production factory: one CurlTransport per distinct TLS configuration.
  static TransportFactory curlTransports();

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;

  struct Entry {
    rollout::GateRequest request;
    std::uint64_t generation = 0;  // bumped by every change that outdates an evaluation in flight
    bool inFlight = false;
    bool dueNow = true;
    SteadyTime nextDue{};
    SteadyTime lastStart{};
    std::map<std::string, rollout::GateObservation> observations;  // by gate name
  };

  struct Job {
    std::string key;
    rollout::GateRequest request;
    std::uint64_t generation = 0;
  };

  static std::vector<rollout::GateObservation> observeLocked(const Entry& e);
  std::vector<rollout::GateObservation> evaluate(const Job& job, std::chrono::system_clock::time_point at);
  void finish(const Job& job, std::vector<rollout::GateObservation> results, SteadyTime started);
  std::shared_ptr<http::HttpTransport> transportFor(const std::string& caPem);
  std::size_t dispatchLocked(SteadyTime now);
  void workerLoop();
  void schedulerLoop();

  const Options opts_;

  mutable std::mutex mu_;
  std::condition_variable jobsCv_;       // workers: a job is queued, or stopping
  std::condition_variable schedulerCv_;  // scheduler: the next due time may have moved, or stopping
  std::condition_variable idleCv_;       // waitIdle(): a job finished
  std::map<std::string, Entry> entries_;
  std::set<std::string> busy_;       // keys with an evaluation queued or running
  std::uint64_t generations_ = 0;    // never reused, so a forgotten and re-wanted key is told apart
  std::deque<Job> jobs_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};  // aborts in-flight HTTP requests on shutdown

  std::mutex transportsMu_;
  std::map<std::string, std::shared_ptr<http::HttpTransport>> transports_;  // by CA PEM

  std::vector<std::thread> workers_;
  std::thread scheduler_;
};

}  // namespace fro::gates
