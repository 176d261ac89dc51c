#include "runtime/metrics/MetricsServer.h"

#include <exception>

#include <fmt/format.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include "runtime/metrics/ProcessCollector.h"

namespace fro::metrics {

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(std::string_view bindAddress,
                                                            std::shared_ptr<prometheus::Registry> registry) {
  auto at = process::BindAddress::parse(bindAddress);
  if (!at) return Error::invalid(fmt::format("metrics server: invalid bind address \"{}\": {}", bindAddress, at.error().message));
  return start(*at, std::move(registry));
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const process::BindAddress& at,
                                                            std::shared_ptr<prometheus::Registry> registry) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->registry_ = std::move(registry);
  if (at.disabled) return server;
  // civetweb syntax: "+port" is every interface (dual-stack when IPv6 works, IPv4 otherwise).
  std::string ports = at.host.empty()                          ? fmt::format("+{}", at.port)
                      : at.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", at.host, at.port)
                                                               : fmt::format("{}:{}", at.host, at.port);
  try {
    // A slow or stuck scraper must not hold a server thread for long.
    server->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", ports, "num_threads", "4", "request_timeout_ms", "10000"});
    server->exposer_->RegisterCollectable(server->registry_);
    server->process_ = std::make_shared<ProcessCollector>();
    server->exposer_->RegisterCollectable(server->process_);
    auto bound = server->exposer_->GetListeningPorts();
    server->port_ = bound.empty() ? at.port : bound.front();
  } catch (const std::exception& e) {
    return Error::of(fmt::format("metrics server: cannot listen on {} (address in use or not local?): {}", at.str(), e.what()));
  }
  return server;
}

MetricsServer::~MetricsServer() = default;

}  // namespace fro::metrics
