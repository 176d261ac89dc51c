// feature-rollout-operator: the process. Parses flags, connects to the cluster and assembles its
// parts as runnables of a process::Manager, which owns start, leader election, the wait for the
// caches, signals and the bounded shutdown: metrics and health probes and the informers run in
// every replica; the controller's workers only in the leader. SIGTERM: stop taking work, finish
// in-flight reconciles, release the lease, exit 0.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "runtime/events/EventRecorder.h"
#include "runtime/health/HealthServer.h"
#include "runtime/health/InformerMonitor.h"
#include "runtime/http/CurlTransport.h"
#include "runtime/kube/KubeClient.h"
#include "runtime/kube/KubeConfig.h"
#include "runtime/kube/TokenSource.h"
#include "runtime/metrics/MetricsServer.h"
#include "rollout/metrics/OperatorMetrics.h"
#include "runtime/process/FunctionRunnable.h"
#include "runtime/process/JsonLogFields.h"
#include "runtime/process/Logger.h"
#include "runtime/process/Manager.h"
#include "runtime/process/Options.h"
#include "runtime/process/SignalWaiter.h"
#include "rollout/controller/FeatureRolloutController.h"
#include "rollout/gates/GateEvaluator.h"

namespace {

using json = nlohmann::json;
namespace log = fro::log;
using fro::process::FunctionRunnable;
using fro::process::Runnable;

std::string identity() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  std::random_device rd;
  return fmt::format("{}_{:08x}", host, rd());
}

fro::metrics::RolloutMetricsSnapshot snapshotOf(const std::string& ns, const std::string& name,
                                                const fro::rollout::RolloutStatus& st) {
  fro::metrics::RolloutMetricsSnapshot s;
  s.nameSpace = ns;
  s.name = name;
  s.phase = st.phase;
  s.phaseIndex = st.phaseIndex;
  s.step = st.step;
  for (const auto& c : st.conditions) s.conditions.push_back({c.type, fro::rollout::toString(c.status)});
  s.state = fro::rollout::toString(st.state);
  for (const auto& f : st.flags) s.flags.push_back({f.name, static_cast<double>(f.percent)});
  for (const auto& g : st.gates) {
    fro::metrics::GateMetric m{g.name, std::nullopt, g.result ? fro::rollout::toString(*g.result) : "Pending"};
    if (!g.value.empty()) {
      char* end = nullptr;
      double v = std::strtod(g.value.c_str(), &end);
      if (end && *end == '\0') m.value = v;
    }
    s.gates.push_back(m);
  }
  return s;
}

using Controller = fro::rollout::FeatureRolloutController;

// Counts every reconcile; logs the failed ones (also those that threw: the workers report them).
auto reconcileReporter(fro::metrics::OperatorMetrics& metrics) {
  return [&metrics](const std::string& key, const fro::controller::ReconcileOutcome& o, std::chrono::nanoseconds took) {
    using K = fro::controller::ReconcileOutcome::Kind;
    metrics.observeReconcile(o.kind == K::kError          ? fro::metrics::ReconcileResult::Error
                             : o.kind == K::kRequeueAfter ? fro::metrics::ReconcileResult::Requeue
                                                          : fro::metrics::ReconcileResult::Success,
                             took);
    if (o.kind == K::kError) log::warn("reconcile failed; retrying with backoff", {{"rollout", key}, {"error", o.message}});
  };
}

void logFromReconciler(const std::string& level, const std::string& msg, const json& f) {
  auto fields = log::jsonLogFields(f);
  if (level == "error") log::error(msg, fields);
  else if (level == "warn") log::warn(msg, fields);
  else if (level == "debug") log::debug(msg, fields);
  else log::info(msg, fields);
}

Controller::Options controllerOptions(const fro::process::Options& opts, fro::metrics::OperatorMetrics& metrics,
                                      fro::health::InformerMonitor& informerMonitor) {
  Controller::Options ro;
  ro.namespaces = opts.watchNamespaces;
  ro.workers = opts.workers;
  ro.queueMetrics = metrics.queueListener("featurerollout");
  ro.onReconcile = reconcileReporter(metrics);
  ro.onThrow = reconcileReporter(metrics);  // a reconcile that throws skips onReconcile
  ro.informerObserver = informerMonitor.observer();
  ro.reconciler.log = logFromReconciler;
  ro.reconciler.onStatus = [&metrics](const std::string& ns, const std::string& name, const fro::rollout::RolloutStatus* st) {
    if (st) metrics.setRollout(snapshotOf(ns, name, *st));
    else metrics.forgetRollout(ns, name);
  };
  return ro;
}

fro::gates::GateEvaluator::Options gateOptions(const fro::process::Options& opts, fro::kube::KubeClient& client) {
  fro::gates::GateEvaluator::Options go;
  go.defaultAddress = opts.defaultPrometheusAddress;
  go.maxResponseBytes = static_cast<std::size_t>(opts.gateMaxResponseBytes);
  go.maxSeries = static_cast<std::size_t>(opts.gateMaxSeries);
  // A missing Secret or key is kind NotFound: a permanent fault of the rollout.
  go.secrets = [&client](const std::string& ns, const std::string& name, const std::string& key) {
    return client.secretValue(ns, name, key);
  };
  return go;
}

fro::kube::KubeClient::Options clientOptions(const fro::process::Options& opts, const fro::kube::ClusterConfig& cfg,
                                             fro::metrics::OperatorMetrics& metrics) {
  fro::kube::KubeClient::Options co;
  co.server = cfg.server;
  co.bearerToken = fro::kube::TokenSource::bearerProvider(cfg, std::make_shared<fro::SystemClock>());
  co.qps = opts.kubeQps;
  co.burst = opts.kubeBurst;
  co.observer = metrics.kubeRequestObserver();
  return co;
}

fro::process::Manager::Options managerOptions(const fro::process::Options& opts, const std::string& id,
                                              fro::metrics::OperatorMetrics& metrics) {
  fro::process::Manager::Options mo;
  mo.identity = id;
  if (opts.leaderElect)
    mo.leaderElection = fro::leaderelection::LeaderElectionConfig{
        opts.leaderElectionNamespace, opts.leaderElectionId, id, opts.leaseDuration, opts.renewDeadline, opts.retryPeriod};
  mo.shutdownTimeout = opts.shutdownTimeout;
  mo.onLeading = [&metrics](bool leading) { metrics.setLeader(leading); };
  mo.runningFields = {{"metrics", opts.metricsBindAddress.str()}, {"probes", opts.healthProbeBindAddress.str()}};
  return mo;
}

std::shared_ptr<Runnable> metricsServer(const fro::process::BindAddress& at, std::shared_ptr<prometheus::Registry> registry) {
  auto server = std::make_shared<std::unique_ptr<fro::metrics::MetricsServer>>();
  return std::make_shared<FunctionRunnable>(
      "metrics server", false,
      FunctionRunnable::Functions{.start = [=]() -> fro::Status {
                                    auto s = fro::metrics::MetricsServer::start(at, registry);
                                    if (!s.ok()) return s.error();
                                    *server = std::move(*s);
                                    return fro::ok();
                                  },
                                  .stop = [=](auto) {
                                    server->reset();  // civetweb takes about a second
                                    return true;
                                  }});
}

std::shared_ptr<Runnable> healthProbes(fro::health::HealthServer& health, const fro::process::BindAddress& at) {
  return std::make_shared<FunctionRunnable>(
      "health probes", false,
      FunctionRunnable::Functions{.start = [&health, at]() -> fro::Status {
                                    auto p = health.start(at);
                                    if (!p.ok()) return fro::Error::of(fmt::format("{}: {}", at.str(), p.error().message));
                                    return fro::ok();
                                  },
                                  .stop = [&health](auto) {
                                    health.stop();
                                    return true;
                                  }});
}

// Both stop with controller.stop(), which drains the workers if they run and stops the informers;
// a second call does nothing more.
std::shared_ptr<Runnable> informers(Controller& controller, fro::health::InformerMonitor& monitor) {
  return std::make_shared<FunctionRunnable>(
      "informers", false,
      FunctionRunnable::Functions{.start = [&controller]() -> fro::Status {
                                    controller.start();
                                    return fro::ok();
                                  },
                                  .stop = [&controller](std::chrono::milliseconds grace) { return controller.stop(grace); },
                                  .synced = [&controller] { return controller.synced(); },
                                  .pending = [&monitor] { return monitor.unsynced(); }});
}

std::shared_ptr<Runnable> workers(Controller& controller) {
  return std::make_shared<FunctionRunnable>(
      "controller workers", true,
      FunctionRunnable::Functions{.start = [&controller]() -> fro::Status {
                                    controller.startWorkers();
                                    return fro::ok();
                                  },
                                  .stop = [&controller](std::chrono::milliseconds grace) { return controller.stop(grace); }});
}

int run(const fro::process::Options& opts) {
  auto logger = std::make_shared<log::Logger>(log::Logger::Config{opts.logFormat, opts.logLevel, {}, {}});
  log::Logger::setGlobal(logger);
  log::info("starting feature-rollout-operator",
            {{"version", std::string(fro::process::Options::version())},
             {"namespaces", opts.allNamespaces() ? std::string("all") : fmt::format("{}", opts.watchNamespaces.size())},
             {"leaderElect", opts.leaderElect}});
  auto waiter = fro::process::SignalWaiter::create();
  if (!waiter.ok()) {
    log::error("cannot install signal handlers", {{"error", waiter.error().message}});
    return 1;
  }
  auto cfg = fro::kube::KubeConfig::load(
      {.kubeconfigPath = opts.kubeconfig, .context = opts.context, .preferInCluster = opts.preferInCluster});
  if (!cfg.ok()) {
    log::error("cannot load cluster configuration", {{"error", cfg.error().message}});
    return 1;
  }

  fro::metrics::OperatorMetrics metrics{std::string(fro::process::Options::version())};
  // Every failed list/watch of every informer, as a log line (rate-limited) and in /readyz?verbose.
  fro::health::InformerMonitor informerMonitor;
  fro::kube::KubeClient client(std::make_shared<fro::http::CurlTransport>(cfg->tls), clientOptions(opts, *cfg, metrics));
  const std::string id = identity();
  fro::events::EventRecorder recorder(client, fro::events::EventRecorder::Options{"feature-rollout-operator", id});
  // Declared before the evaluator so that it outlives it: the evaluator calls its subscribers until
  // its destructor returns.
  std::optional<Controller> controller;
  fro::gates::GateEvaluator evaluator(gateOptions(opts, client));
  controller.emplace(client, evaluator, recorder, controllerOptions(opts, metrics, informerMonitor));
  // A gate result wakes its rollout (a stopped queue ignores it).
  evaluator.subscribe([&controller](const std::string& key) { controller->enqueue(key); });
  fro::health::HealthServer health;
  (void)health.addReadinessCheck(
      "informers",
      [&controller]() -> fro::Status {
        if (controller->synced()) return fro::ok();
        return fro::Error::of("informer caches not synced yet");
      },
      [&informerMonitor] { return informerMonitor.describe(); });

  fro::process::Manager manager(client, managerOptions(opts, id, metrics));
  manager.add(metricsServer(opts.metricsBindAddress, metrics.registry()));
  manager.add(healthProbes(health, opts.healthProbeBindAddress));
  manager.add(informers(*controller, informerMonitor));
  manager.add(workers(*controller));
  const auto exit = manager.run(**waiter);
  logger->flush();
  // Threads are still inside blocking calls: no destructor may run under them.
  if (!exit.finished) std::_Exit(exit.code);
  return exit.code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
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
  } catch (const std::exception& e) {
    std::cerr << "feature-rollout-operator: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "feature-rollout-operator: unknown exception\n";
  }
  return 1;
}
