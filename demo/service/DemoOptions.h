#pragma once
// Command line of fro-demo-service. --help comes back as an Error with reason "help" and the
// usage text as message (the caller prints it and exits 0); any other Error is a usage error.
#include <cstdint>
#include <string>
#include <vector>

#include "demo/service/DemoLog.h"
#include "demo/service/Endpoint.h"
#include "runtime/common/Result.h"

namespace fro::demo {

struct DemoOptions {
  std::string kubeconfig;  // empty: $KUBECONFIG, then ~/.kube/config
  std::string ns = "default";
  std::string configMap;
  int users = 1000;
  double rate = 50;  // requests per second, all users together
  std::uint64_t seed = 1;
  Endpoint metrics{"127.0.0.1", 9464};
  Endpoint control{"127.0.0.1", 9465};
  DemoLog::Level logLevel = DemoLog::Level::Info;
  int pollIntervalMs = 1000;

  // args[0] is the program name.
  static Result<DemoOptions> parse(const std::vector<std::string>& args);
};

}  // namespace fro::demo
