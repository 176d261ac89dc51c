#pragma once
// kubectl-featurerollout's command line: parses the arguments (CLI11), dispatches to the
// commands and returns the exit status. Everything the process touches (streams, terminal,
// NO_COLOR, the clock, the Kubernetes client) comes in through Cli::Env, so tests run the real
// command line in-process, with a fake transport behind the client.
#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "runtime/common/Result.h"
#include "runtime/kube/KubeClient.h"

namespace fro::plugin {

// How to reach the cluster, from --kubeconfig, --context and -n.
struct ClusterAccess {
  std::string kubeconfig;
  std::string context;
  std::string ns;  // "" = the context's namespace
};

struct Connection {
  std::shared_ptr<kube::KubeClient> client;
  std::string ns;  // the namespace to use (from -n or the context)
};

class Cli {
 public:
  struct Env {
    std::istream* in = nullptr;
    std::ostream* out = nullptr;
    std::ostream* err = nullptr;
    bool stdoutIsTerminal = false;
    const char* noColor = nullptr;  // $NO_COLOR
    std::function<std::chrono::system_clock::time_point()> now;
    std::function<Result<Connection>(const ClusterAccess&)> connect;
    std::function<std::string()> commandId;
  };

  // args[0] is the program name.
  static int run(const std::vector<std::string>& args, Env& env);

  // The production Env: std streams, isatty, getenv, the real kubeconfig and libcurl.
  static Env processEnv();
  static Result<Connection> connect(const ClusterAccess& access);
};

}  // namespace fro::plugin
