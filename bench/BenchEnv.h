#pragma once
// Shared set-up for the benchmarks: a client from $KUBECONFIG, RSS readings, a throwaway namespace.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "runtime/http/CurlTransport.h"
#include "runtime/kube/KubeClient.h"
#include "runtime/kube/KubeConfig.h"
#include "runtime/kube/TokenSource.h"

namespace fro::bench {

inline long rssKiB() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

inline std::shared_ptr<kube::KubeClient> clientFromEnv(kube::KubeClient::Options o = {}) {
  kube::KubeConfig::LoadOptions lo;
  auto cfg = kube::KubeConfig::load(lo);
  if (!cfg.ok()) {
    std::cerr << "kubeconfig: " << cfg.error().message << "\n(run: eval \"$(hack/cluster.sh env)\")\n";
    std::exit(2);
  }
  o.server = cfg->server;
  o.bearerToken = kube::TokenSource::bearerProvider(*cfg, std::make_shared<SystemClock>());
  return std::make_shared<kube::KubeClient>(std::make_shared<http::CurlTransport>(cfg->tls), o);
}

}  // namespace fro::bench
