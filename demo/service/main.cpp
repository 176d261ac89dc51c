// fro-demo-service: stands in for the application whose pods receive the rollout's flags.
#include <csignal>
#include <cstdio>
#include <memory>
#include <pthread.h>

#include "demo/service/DemoService.h"
#include "runtime/http/CurlTransport.h"
#include "runtime/kube/ApiError.h"
#include "runtime/kube/KubeClient.h"
#include "runtime/kube/KubeConfig.h"
#include "runtime/kube/TokenSource.h"

using namespace fro;

int main(int argc, char** argv) {
  auto opts = demo::DemoOptions::parse(std::vector<std::string>(argv, argv + argc));
  if (!opts) {
    if (opts.error().reason == "help") {
      std::fputs(opts.error().message.c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "fro-demo-service: %s\nRun with --help for usage.\n", opts.error().message.c_str());
    return 2;
  }
  demo::DemoLog log(opts->logLevel);

  kube::KubeConfig::LoadOptions lo;
  lo.kubeconfigPath = opts->kubeconfig;
  auto cfg = kube::KubeConfig::load(lo);
  if (!cfg) {
    log.error("kubeconfig: " + cfg.error().message);
    return 1;
  }
  kube::KubeClient::Options ko;
  ko.server = cfg->server;
  ko.bearerToken = kube::TokenSource::bearerProvider(*cfg, std::make_shared<SystemClock>());
  ko.userAgent = "fro-demo-service";
  ko.timeout = std::chrono::seconds(5);  // a poll must not hang behind a dead API server
  auto client = std::make_shared<kube::KubeClient>(std::make_shared<http::CurlTransport>(cfg->tls), ko);

  const std::string ns = opts->ns, name = opts->configMap;
  demo::FlagPoller::Fetch fetch = [client, ns, name]() -> Result<std::optional<nlohmann::json>> {
    auto cm = client->get(kube::Resource::configMaps(), ns, name);
    if (cm) return std::optional<nlohmann::json>(std::move(*cm));
    if (kube::ApiError::isNotFound(cm.error())) return std::optional<nlohmann::json>();
    return cm.error();
  };

  // SIGINT/SIGTERM are taken by sigwait below; block them before any thread starts so none of
  // the service's threads is interrupted instead.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  demo::DemoService service(*opts, fetch, log);
  if (auto st = service.start(); !st) {
    log.error(st.error().message);
    return 1;
  }
  int sig = 0;
  sigwait(&sigs, &sig);
  log.info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ", shutting down");
  service.stop();
  log.info("stopped");
  return 0;
}
