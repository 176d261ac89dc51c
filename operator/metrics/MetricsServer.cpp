#include "operator/metrics/MetricsServer.h"

#include <exception>

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

namespace fro::metrics {

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(std::string_view bindAddress,
                                                            std::shared_ptr<prometheus::Registry> registry) {
  auto at = process::BindAddress::parse(bindAddress);
  if (!at) return Error::of("metrics server: invalid bind address \"" + std::string(bindAddress) + "\": " + at.error().message);
  return start(*at, std::move(registry));
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const process::BindAddress& at,
                                                            std::shared_ptr<prometheus::Registry> registry) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->registry_ = std::move(registry);
  if (at.disabled) return server;
  // civetweb syntax: "+port" is every interface (dual-stack when IPv6 works, IPv4 otherwise).
  std::string ports = at.host.empty()                            ? "+" + std::to_string(at.port)
                      : at.host.find(':') != std::string::npos   ? "[" + at.host + "]:" + std::to_string(at.port)
                                                                 : at.host + ":" + std::to_string(at.port);
  try {
    // A slow or stuck scraper must not hold a server thread for long.
    server->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", ports, "num_threads", "4", "request_timeout_ms", "10000"});
    server->exposer_->RegisterCollectable(server->registry_);
    auto bound = server->exposer_->GetListeningPorts();
    server->port_ = bound.empty() ? at.port : bound.front();
  } catch (const std::exception& e) {
    return Error::of("metrics server: cannot listen on " + at.str() + " (address in use or not local?): " + e.what());
  }
  return server;
}

MetricsServer::~MetricsServer() = default;

}  // namespace fro::metrics
