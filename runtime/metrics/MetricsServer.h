#pragma once
// Serves a prometheus::Registry on http://<bind address>/metrics (prometheus-cpp's Exposer), with
// the process_* series of ProcessCollector beside it.
// ":8080" listens on every interface (IPv6 and IPv4 where the host has IPv6, else IPv4);
// "0" gives a disabled server, so callers need no special case.
#include <memory>
#include <string>
#include <string_view>

#include "runtime/common/Result.h"
#include "runtime/process/BindAddress.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace fro::metrics {

class ProcessCollector;

class MetricsServer {
 public:
  // Listens at once; an address in use or not local is an Error naming the address.
  static Result<std::unique_ptr<MetricsServer>> start(const process::BindAddress& at,
                                                      std::shared_ptr<prometheus::Registry> registry);
  static Result<std::unique_ptr<MetricsServer>> start(std::string_view bindAddress,
                                                      std::shared_ptr<prometheus::Registry> registry);
  ~MetricsServer();  // stops serving
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  bool enabled() const { return exposer_ != nullptr; }
  // The bound port (the kernel's choice for port 0); 0 when disabled.
  int port() const { return port_; }

 private:
  MetricsServer() = default;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ProcessCollector> process_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace fro::metrics
