#include "rollout/gates/GateEvaluator.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "runtime/http/CurlTransport.h"
#include "rollout/gates/GateJudge.h"
#include "rollout/gates/PrometheusClient.h"

namespace fro::gates {

using rollout::Gate;
using rollout::GateObservation;
using rollout::GateRequest;
using rollout::GateResult;

namespace {

// A zero interval would make a key due continuously.
constexpr std::chrono::milliseconds kMinInterval{100};
// Without a timeout a hung Prometheus would hold a worker forever.
constexpr std::chrono::milliseconds kDefaultTimeout{5000};

bool sameThreshold(const rollout::Threshold& a, const rollout::Threshold& b) {
  return a.above == b.above && a.below == b.below;
}

bool sameGate(const Gate& a, const Gate& b) {
  return a.name == b.name && a.query == b.query && sameThreshold(a.warning, b.warning) &&
         sameThreshold(a.critical, b.critical) && a.onNoData == b.onNoData;
}

bool sameRef(const std::optional<rollout::SecretKeyRef>& a, const std::optional<rollout::SecretKeyRef>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->name == b->name && a->key == b->key);
}

bool samePrometheus(const rollout::PrometheusSpec& a, const rollout::PrometheusSpec& b) {
  return a.address == b.address && a.timeout == b.timeout && sameRef(a.bearerTokenSecretRef, b.bearerTokenSecretRef) &&
         sameRef(a.caSecretRef, b.caSecretRef);
}

bool sameGates(const std::vector<Gate>& a, const std::vector<Gate>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), sameGate);
}

const Gate* findGate(const std::vector<Gate>& gates, const std::string& name) {
  for (const auto& g : gates)
    if (g.name == name) return &g;
  return nullptr;
}

std::chrono::milliseconds intervalOf(const GateRequest& r) { return std::max(r.interval, kMinInterval); }

std::string trimmed(std::string s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  return s.substr(i);
}

// Why no query could be sent for any gate of a request.
struct SetupFault {
  std::string message;
  bool permanent = false;
};

}  // namespace

GateEvaluator::TransportFactory GateEvaluator::curlTransports() {
  return [](const http::TlsConfig& tls) -> std::shared_ptr<http::HttpTransport> {
    return std::make_shared<http::CurlTransport>(tls);
  };
}

namespace {

controller::WorkQueueOptions queueOptions(const GateEvaluator::Options& o) {
  controller::WorkQueueOptions q;
  q.clock = o.clock;
  q.delayThread = o.delayThread;
  return q;
}

}  // namespace

GateEvaluator::GateEvaluator(Options options)
    : opts_(std::move(options)),
      queue_(queueOptions(opts_)),
      workers_(
          queue_, [this](const std::string& key) { return run(key); },
          static_cast<int>(std::clamp<std::size_t>(opts_.threads, 1, 1024))) {
  workers_.start();
}

GateEvaluator::~GateEvaluator() {
  cancel_ = true;   // in-flight requests return at once
  workers_.stop();  // queued keys are dropped; ~Workers joins the workers
}

void GateEvaluator::want(const std::string& key, const GateRequest& request) {
  std::optional<std::chrono::nanoseconds> wake;  // when the queue should look at the key
  {
    MutexLock l(mu_);
    auto [it, inserted] = entries_.try_emplace(key);
    Entry& e = it->second;
    bool evaluateNow = inserted;
    if (!inserted) {
      const GateRequest& old = e.request;
      if (old.since != request.since) {
        e.observations.clear();  // a new series: counts restart
        evaluateNow = true;
      } else if (old.nameSpace != request.nameSpace || !sameGates(old.gates, request.gates) ||
                 !samePrometheus(old.prometheus, request.prometheus)) {
        // Keep the series of gates whose definition is unchanged; a changed query starts afresh.
        std::erase_if(e.observations, [&](const auto& kv) {
          const Gate* before = findGate(old.gates, kv.first);
          const Gate* after = findGate(request.gates, kv.first);
          return !(before && after && sameGate(*before, *after));
        });
        evaluateNow = true;
      } else if (old.interval != request.interval) {
        if (e.lastStart != SteadyTime{}) {
          e.nextDue = e.lastStart + intervalOf(request);
          wake = e.nextDue - opts_.clock->steadyNow();
        }
      } else {
        return;  // identical request: a no-op
      }
    }
    e.request = request;
    if (evaluateNow) {
      e.generation = ++generations_;  // an evaluation in flight now answers an outdated request
      // Evaluations before `since` would not count; wait for it if it lies ahead.
      const auto ahead = std::chrono::duration_cast<std::chrono::nanoseconds>(request.since - opts_.clock->now());
      e.nextDue = ahead > ahead.zero() ? opts_.clock->steadyNow() + ahead : SteadyTime::min();
      wake = std::max(ahead, ahead.zero());
    }
  }
  // A key being evaluated is queued again when that evaluation ends; a parked key keeps the
  // earlier of its times, and a wake-up before nextDue re-parks it (run()).
  if (wake) queue_.addAfter(key, *wake);
}

void GateEvaluator::forget(const std::string& key) {
  MutexLock l(mu_);
  entries_.erase(key);  // an evaluation in flight finds no entry and is dropped; so is a wake-up
}

void GateEvaluator::subscribe(Listener listener) {
  if (!listener) return;
  MutexLock l(listenersMu_);
  listeners_.push_back(std::move(listener));
}

std::vector<GateObservation> GateEvaluator::observeLocked(const Entry& e) {
  std::vector<GateObservation> out;
  for (const auto& g : e.request.gates) {
    auto o = e.observations.find(g.name);
    if (o != e.observations.end() && o->second.evaluatedAt >= e.request.since) out.push_back(o->second);
  }
  return out;
}

std::vector<GateObservation> GateEvaluator::observe(const std::string& key) const {
  MutexLock l(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? std::vector<GateObservation>{} : observeLocked(it->second);
}

std::vector<GateEvaluator::KeySnapshot> GateEvaluator::snapshot() const {
  MutexLock l(mu_);
  std::vector<KeySnapshot> out;
  for (const auto& [k, e] : entries_) out.push_back({k, observeLocked(e)});
  return out;
}

std::size_t GateEvaluator::runDue() { return queue_.pump(); }

bool GateEvaluator::waitIdle(std::chrono::milliseconds timeout) { return queue_.waitIdle(timeout); }

controller::ReconcileOutcome GateEvaluator::run(const std::string& key) {
  Job job;
  SteadyTime started;
  {
    MutexLock l(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return controller::ReconcileOutcome::success();  // forgotten
    const Entry& e = it->second;
    started = opts_.clock->steadyNow();
    if (e.nextDue > started) return controller::ReconcileOutcome::requeueAfter(e.nextDue - started);
    job = Job{key, e.request, e.generation};
  }
  auto results = evaluate(job, opts_.clock->now());
  if (cancel_) return controller::ReconcileOutcome::success();  // cut short by shutdown: not an answer
  auto next = store(job, std::move(results), started);
  if (!next) return controller::ReconcileOutcome::success();  // want() has queued the changed request
  // The next evaluation is parked before anyone hears of this one, so whatever a listener does
  // next (a test advancing its clock) finds it scheduled; and the listeners run before done(key),
  // so waitIdle() returning means they have run.
  queue_.addAfter(key, *next);
  notify(key);
  return controller::ReconcileOutcome::success();
}

std::optional<std::chrono::nanoseconds> GateEvaluator::store(const Job& job, std::vector<GateObservation> results,
                                                             SteadyTime started) {
  MutexLock l(mu_);
  auto it = entries_.find(job.key);
  if (it == entries_.end() || it->second.generation != job.generation) return std::nullopt;
  Entry& e = it->second;
  e.lastStart = started;
  e.nextDue = started + intervalOf(e.request);
  for (auto& o : results) {
    auto prev = e.observations.find(o.name);
    const Gate* gate = findGate(job.request.gates, o.name);
    const bool pass = gate && GateJudge::countsAsPass(*gate, o.result);
    const bool error = o.result == GateResult::Error;
    const bool had = prev != e.observations.end();
    o.consecutivePasses = pass ? (had ? prev->second.consecutivePasses : 0) + 1 : 0;
    o.consecutiveErrors = error ? (had ? prev->second.consecutiveErrors : 0) + 1 : 0;
    e.observations[o.name] = std::move(o);
  }
  return e.nextDue - opts_.clock->steadyNow();
}

void GateEvaluator::notify(const std::string& key) {
  std::vector<Listener> listeners;
  {
    MutexLock l(listenersMu_);
    listeners = listeners_;
  }
  // One listener's failure must not skip the others, nor count as a failed evaluation.
  auto call = [&key](const Listener& listener) {
    try {
      listener(key);
    } catch (...) {
    }
  };
  for (const auto& listener : listeners) call(listener);
}

std::shared_ptr<http::HttpTransport> GateEvaluator::transportFor(const std::string& caPem) {
  MutexLock l(transportsMu_);
  auto it = transports_.find(caPem);
  if (it != transports_.end()) return it->second;
  if (transports_.size() >= 16) transports_.clear();  // rotated CAs: drop old ones (users hold shared_ptrs)
  http::TlsConfig tls;
  tls.caPem = caPem;  // verification stays on
  auto t = opts_.transports(tls);
  transports_.emplace(caPem, t);
  return t;
}

std::vector<GateObservation> GateEvaluator::evaluate(const Job& job, std::chrono::system_clock::time_point at) {
  const GateRequest& req = job.request;
  std::optional<SetupFault> fault;

  const std::string address = req.prometheus.address.empty() ? opts_.defaultAddress : req.prometheus.address;
  if (address.empty()) {
    fault = SetupFault{"no Prometheus address: set spec.prometheus.address or --default-prometheus-address", true};
  } else if (!address.starts_with("http://") && !address.starts_with("https://")) {
    fault = SetupFault{fmt::format("Prometheus address \"{}\" is not an http:// or https:// URL",
                                   PrometheusClient::displayAddress(address)),
                       true};
  }

  // Reads one Secret value; never puts the value into a message.
  auto readSecret = [&](const rollout::SecretKeyRef& ref, const char* what) -> std::optional<std::string> {
    const std::string where = fmt::format("Secret {}/{} key \"{}\"", req.nameSpace, ref.name, ref.key);
    if (!opts_.secrets) {
      fault = SetupFault{fmt::format("cannot read the {} from {}: no Secret reader configured", what, where), true};
      return std::nullopt;
    }
    auto v = opts_.secrets(req.nameSpace, ref.name, ref.key);
    if (!v) {
      const Error& err = v.error();
      // The Secret or its key does not exist. A reader that passes an API answer on as it came
      // may say so only by its status (404) or reason; a 404 is an HTTP status, never an errno.
      const bool missing = err.is(ErrorKind::NotFound) || err.reason == "NotFound" ||
                           (err.code == 404 && (err.is(ErrorKind::Http) || err.is(ErrorKind::Unspecified)));
      fault = SetupFault{fmt::format("cannot read the {} from {}: {}", what, where, err.message), missing};
      return std::nullopt;
    }
    std::string s = trimmed(*v);  // `kubectl create secret --from-file` keeps the trailing newline
    if (s.empty()) {
      fault = SetupFault{fmt::format("the {} in {} is empty", what, where), true};
      return std::nullopt;
    }
    return s;
  };

  PrometheusClient::Config cfg;
  cfg.address = address;
  cfg.timeout = req.prometheus.timeout.count() > 0 ? req.prometheus.timeout : kDefaultTimeout;
  cfg.cancel = &cancel_;
  cfg.maxResponseBytes = opts_.maxResponseBytes;
  cfg.maxSeries = opts_.maxSeries;
  std::string caPem;
  if (!fault && req.prometheus.bearerTokenSecretRef)
    if (auto t = readSecret(*req.prometheus.bearerTokenSecretRef, "bearer token")) cfg.bearerToken = std::move(*t);
  if (!fault && req.prometheus.caSecretRef)
    if (auto c = readSecret(*req.prometheus.caSecretRef, "CA certificate")) caPem = std::move(*c);

  std::vector<GateObservation> out;
  std::optional<PrometheusClient> client;
  if (!fault) client.emplace(transportFor(caPem), cfg);
  for (const auto& gate : req.gates) {
    GateObservation o;
    o.name = gate.name;
    o.query = gate.query;
    o.evaluatedAt = at;
    if (fault) {
      o.result = GateResult::Error;
      o.message = fmt::format("{}: {}", gate.name, fault->message);
      o.permanent = fault->permanent;
    } else {
      auto j = GateJudge::judge(gate, client->query(gate.query));
      o.result = j.result;
      o.value = j.value;
      o.threshold = std::move(j.threshold);
      o.message = std::move(j.message);
    }
    out.push_back(std::move(o));
    if (cancel_) break;
  }
  return out;
}

}  // namespace fro::gates
