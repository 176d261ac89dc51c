// feature-rollout-operator: the process. Parses flags, connects to the cluster, serves metrics and
// health probes, elects a leader (optional), and runs the FeatureRollout controller with its gate
// evaluator. SIGTERM: stop taking work, finish in-flight reconciles, release the lease, exit 0.
// Signals are honoured at any moment, the wait for the caches included (it runs on another thread
// or inside the leading callback, and gives up when the process stops).
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "operator/common/StopFlag.h"
#include "operator/controller/Workers.h"
#include "operator/events/EventRecorder.h"
#include "operator/health/HealthServer.h"
#include "operator/health/InformerMonitor.h"
#include "operator/http/CurlTransport.h"
#include "operator/kube/ApiError.h"
#include "operator/kube/Base64.h"
#include "operator/kube/Informer.h"
#include "operator/kube/KubeClient.h"
#include "operator/kube/KubeConfig.h"
#include "operator/kube/Resource.h"
#include "operator/kube/TokenSource.h"
#include "operator/leaderelection/LeaderElector.h"
#include "operator/metrics/MetricsServer.h"
#include "operator/metrics/OperatorMetrics.h"
#include "operator/process/JsonLogFields.h"
#include "operator/process/Logger.h"
#include "operator/process/Options.h"
#include "operator/process/SignalWaiter.h"
#include "reconcilers/featurerollout/FeatureRolloutController.h"
#include "reconcilers/gates/GateEvaluator.h"

namespace {

using json = nlohmann::json;
namespace log = fro::log;

std::string identity() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  std::random_device rd;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return std::string(host) + "_" + suffix;
}

// Prometheus credentials named by a rollout: data[key] of a Secret in the rollout's namespace.
fro::Result<std::string> readSecret(fro::kube::KubeClient& client, const std::string& ns, const std::string& name,
                                    const std::string& key) {
  auto s = client.get(fro::kube::Resource::secrets(), ns, name);
  if (!s.ok()) return s.error();
  const json data = s->value("data", json::object());
  if (!data.contains(key) || !data[key].is_string())
    return fro::Error::of("Secret " + ns + "/" + name + " has no key \"" + key + "\"", 404, "NotFound");
  auto d = fro::kube::Base64::decode(data[key].get<std::string>());
  if (!d.ok()) return fro::Error::of("Secret " + ns + "/" + name + " key \"" + key + "\" is not valid base64");
  return std::string(d->begin(), d->end());
}

fro::metrics::RolloutMetricsSnapshot snapshotOf(const std::string& ns, const std::string& name,
                                                const fro::rollout::RolloutStatus& st) {
  fro::metrics::RolloutMetricsSnapshot s;
  s.nameSpace = ns;
  s.name = name;
  s.phaseIndex = st.phaseIndex;
  s.step = st.step;
  s.state = st.state;
  for (const auto& f : st.flags) s.flags.push_back({f.name, static_cast<double>(f.percent)});
  for (const auto& g : st.gates) {
    fro::metrics::GateMetric m{g.name, std::nullopt, g.result.empty() ? "Pending" : g.result};
    if (!g.value.empty()) {
      char* end = nullptr;
      double v = std::strtod(g.value.c_str(), &end);
      if (end && *end == '\0') m.value = v;
    }
    s.gates.push_back(m);
  }
  return s;
}

using Millis = std::chrono::milliseconds;
Millis msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t);
}

int run(const fro::process::Options& opts) {
  auto logger = std::make_shared<log::Logger>(log::Logger::Config{opts.logFormat, opts.logLevel, {}, {}});
  log::Logger::setGlobal(logger);
  log::info("starting feature-rollout-operator",
            {{"version", std::string(fro::process::Options::version())},
             {"namespaces", opts.allNamespaces() ? std::string("all") : std::to_string(opts.watchNamespaces.size())},
             {"leaderElect", opts.leaderElect}});

  auto waiter = fro::process::SignalWaiter::create();
  if (!waiter.ok()) {
    log::error("cannot install signal handlers", {{"error", waiter.error().message}});
    return 1;
  }

  fro::kube::KubeConfig::LoadOptions lo;
  lo.kubeconfigPath = opts.kubeconfig;
  lo.context = opts.context;
  lo.preferInCluster = opts.preferInCluster;
  auto cfg = fro::kube::KubeConfig::load(lo);
  if (!cfg.ok()) {
    log::error("cannot load cluster configuration", {{"error", cfg.error().message}});
    return 1;
  }

  fro::metrics::OperatorMetrics metrics(std::string(fro::process::Options::version()));
  // Every failed list/watch of every informer, as a log line (rate-limited) and in /readyz?verbose.
  fro::health::InformerMonitor informerMonitor;
  auto reportReconcile = [&metrics](const std::string& key, const fro::controller::ReconcileOutcome& o,
                                    std::chrono::nanoseconds took) {
    using K = fro::controller::ReconcileOutcome::Kind;
    metrics.observeReconcile(o.kind == K::kError          ? fro::metrics::ReconcileResult::Error
                             : o.kind == K::kRequeueAfter ? fro::metrics::ReconcileResult::Requeue
                                                          : fro::metrics::ReconcileResult::Success,
                             took);
    if (o.kind == K::kError)
      log::warn("reconcile failed; retrying with backoff", {{"rollout", key}, {"error", o.message}});
  };
  fro::kube::KubeClient::Options co;
  co.server = cfg->server;
  co.bearerToken = fro::kube::TokenSource::bearerProvider(*cfg, std::make_shared<fro::SystemClock>());
  co.qps = opts.kubeQps;
  co.burst = opts.kubeBurst;
  co.observer = metrics.kubeRequestObserver();
  fro::kube::KubeClient client(std::make_shared<fro::http::CurlTransport>(cfg->tls), co);

  auto metricsServer = fro::metrics::MetricsServer::start(opts.metricsBindAddress, metrics.registry());
  if (!metricsServer.ok()) {
    log::error("cannot serve metrics", {{"address", opts.metricsBindAddress.str()}, {"error", metricsServer.error().message}});
    return 1;
  }

  const std::string id = identity();
  fro::events::EventRecorder recorder(client, fro::events::EventRecorder::Options{"feature-rollout-operator", id});

  // The evaluator exists before the controller it wakes; onResult reaches it through this pointer.
  std::atomic<fro::rollout::FeatureRolloutController*> ctrlPtr{nullptr};
  fro::gates::GateEvaluator::Options go;
  go.defaultAddress = opts.defaultPrometheusAddress;
  go.maxResponseBytes = static_cast<std::size_t>(opts.gateMaxResponseBytes);
  go.maxSeries = static_cast<std::size_t>(opts.gateMaxSeries);
  go.secrets = [&client](const std::string& ns, const std::string& name, const std::string& key) {
    return readSecret(client, ns, name, key);
  };
  go.onResult = [&ctrlPtr](const std::string& key) {
    if (auto* c = ctrlPtr.load()) c->enqueue(key);
  };
  fro::gates::GateEvaluator evaluator(go);

  fro::rollout::FeatureRolloutController::Options ro;
  ro.namespaces = opts.watchNamespaces;
  ro.workers = opts.workers;
  ro.queueMetrics = metrics.queueListener("featurerollout");
  ro.onReconcile = reportReconcile;
  ro.informerObserver = informerMonitor.observer();
  ro.onThrow = reportReconcile;  // a reconcile that throws skips onReconcile: the workers report it
  ro.reconciler.log = [](const std::string& level, const std::string& msg, const json& f) {
    auto fields = log::jsonLogFields(f);
    if (level == "error") log::error(msg, fields);
    else if (level == "warn") log::warn(msg, fields);
    else if (level == "debug") log::debug(msg, fields);
    else log::info(msg, fields);
  };
  ro.reconciler.onStatus = [&metrics](const std::string& ns, const std::string& name,
                                      const fro::rollout::RolloutStatus* st) {
    if (st) metrics.setRollout(snapshotOf(ns, name, *st));
    else metrics.forgetRollout(ns, name);
  };
  fro::rollout::FeatureRolloutController controller(client, evaluator, recorder, ro);
  ctrlPtr = &controller;

  std::unique_ptr<fro::leaderelection::LeaderElector> elector;
  std::atomic<bool> lostLease{false};
  std::atomic<bool> stopping{false};  // set on SIGTERM/SIGINT, before the elector is stopped
  fro::StopFlag stopWaiting;               // set with `stopping`: wakes the cache-sync wait
  std::atomic<bool> workersStarted{false};
  fro::health::HealthServer health;
  (void)health.addReadinessCheck(
      "informers",
      [&controller]() -> fro::Status {
        if (controller.synced()) return fro::ok();
        return fro::Error::of("informer caches not synced yet");
      },
      [&informerMonitor] { return informerMonitor.describe(); });
  if (auto p = health.start(opts.healthProbeBindAddress); !p.ok()) {
    log::error("cannot serve health probes", {{"address", opts.healthProbeBindAddress.str()}, {"error", p.error().message}});
    return 1;
  }

  // Waits for the caches (at most 2m, then starts anyway, as before), but not once the process stops.
  auto startWorkersWhenSynced = [&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (!controller.synced()) {
      if (stopWaiting.isSet()) return;
      if (std::chrono::steady_clock::now() >= deadline) {
        fro::log::Fields f;
        auto pending = informerMonitor.unsynced();
        for (std::size_t i = 0; i < pending.size(); ++i) f.push_back({"informer" + std::to_string(i + 1), pending[i]});
        log::warn("caches not synced after 2m; starting anyway", f);
        break;
      }
      if (stopWaiting.waitFor(Millis(100))) return;
    }
    if (stopWaiting.isSet() || lostLease) return;
    workersStarted = true;
    controller.startWorkers();
  };

  controller.start();
  std::thread starter;
  if (opts.leaderElect) {
    fro::leaderelection::LeaderElectionConfig lc{opts.leaderElectionNamespace, opts.leaderElectionId, id,
                                                 opts.leaseDuration, opts.renewDeadline, opts.retryPeriod};
    if (auto v = fro::leaderelection::LeaderElector::validate(lc); !v.ok()) {
      log::error("invalid leader election settings", {{"error", v.error().message}});
      return 2;
    }
    fro::leaderelection::LeaderElector::Callbacks cb;
    // By value: lc ends with this block, the callback runs later on the elector's thread.
    cb.onStartedLeading = [&, lease = lc.leaseNamespace + "/" + lc.leaseName] {
      log::info("became the leader; starting workers", {{"identity", id}, {"lease", lease}});
      metrics.setLeader(true);
      // Not on the elector's thread: it must go on renewing the lease while the caches fill.
      starter = std::thread(startWorkersWhenSynced);
    };
    cb.onStoppedLeading = [&] {
      metrics.setLeader(false);
      // The elector also calls this when we stop it on SIGTERM: that is no loss, the lease is ours
      // to release below.
      if (stopping) return;
      // Another process may lead now: stop writing at once and exit, as controller-runtime does.
      lostLease = true;
      (*waiter)->notify();
    };
    cb.onNewLeader = [](const std::string& who) { log::info("leader elected", {{"leader", who}}); };
    elector = std::make_unique<fro::leaderelection::LeaderElector>(client, lc, cb);
    // A standby is ready too: warm caches, waiting for the lease.
  } else {
    metrics.setLeader(true);
    starter = std::thread(startWorkersWhenSynced);
  }
  std::thread electorThread;
  if (elector) electorThread = std::thread([&] { elector->run(); });
  log::info("running", {{"metrics", opts.metricsBindAddress.str()}, {"probes", opts.healthProbeBindAddress.str()},
                        {"identity", id}});

  int sig = (*waiter)->wait();
  auto stopAt = std::chrono::steady_clock::now();
  stopping = true;
  stopWaiting.set();
  log::info(lostLease ? "lost the lease; shutting down" : "shutting down",
            {{"signal", sig}, {"timeout", std::to_string(opts.shutdownTimeout.count()) + "ms"}});
  const int code = lostLease ? 1 : 0;
  ctrlPtr = nullptr;

  // The shutdown runs on its own thread so that it is bounded: an informer or the elector can be
  // inside an API call that retries against an unreachable server for seconds, and joining it
  // must not keep a stopping process alive. In-flight reconciles get the shutdown timeout.
  std::mutex doneMu;
  std::condition_variable doneCv;
  bool done = false;
  std::thread stopper([&] {
    // civetweb takes about a second to stop: meanwhile, the rest.
    std::thread metricsStop([&] { metricsServer->reset(); });
    bool drained = controller.stop(opts.shutdownTimeout);
    if (!drained) log::warn("in-flight reconciles did not finish within the shutdown timeout");
    if (elector) {
      elector->stop();
      if (electorThread.joinable()) electorThread.join();
    }
    // After the elector's thread: the leading callback, which may start it, can no longer run.
    if (starter.joinable()) starter.join();
    if (elector) {
      if (!lostLease) {
        if (auto r = elector->release(); !r.ok()) log::warn("releasing the lease failed", {{"error", r.error().message}});
        else log::info("released the lease");
      }
    }
    metricsStop.join();
    std::lock_guard l(doneMu);
    done = true;
    doneCv.notify_all();
  });
  // Workers that never started have nothing in flight: only the hand-over of threads remains.
  auto bound = (workersStarted ? opts.shutdownTimeout : Millis(0)) + Millis(1200);
  bool finished;
  {
    std::unique_lock l(doneMu);
    finished = doneCv.wait_for(l, bound, [&] { return done; });
  }
  if (!finished) {
    log::warn("shutdown did not finish in time (an API call is still retrying); exiting anyway",
              {{"waitedMs", static_cast<std::int64_t>(msSince(stopAt).count())}});
    log::info("stopped", {{"exitCode", code}, {"signal", sig},
                          {"shutdownMs", static_cast<std::int64_t>(msSince(stopAt).count())}});
    logger->flush();
    // Threads are still inside blocking calls: no destructor may run under them.
    std::_Exit(code);
  }
  stopper.join();
  log::info("stopped", {{"exitCode", code}, {"signal", sig},
                        {"shutdownMs", static_cast<std::int64_t>(msSince(stopAt).count())}});
  logger->flush();
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  auto opts = fro::process::Options::parse(argc, argv);
  if (!opts.ok()) {
    std::cerr << "feature-rollout-operator: " << opts.error().message << "\nRun with --help for usage.\n";
    return 2;
  }
  if (opts->action != fro::process::Options::Action::Run) {
    std::cout << opts->output;
    return 0;
  }
  return run(*opts);
}
