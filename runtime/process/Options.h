#pragma once
// The operator's command line (controller-runtime's flag names where one exists).
//
// parse() never exits and never prints: --help and --version come back as an Options whose
// action is Help or Version with the text to print in `output` (exit 0); a bad command line is an
// Error (code 2, reason "usage") whose message names the flag and the value, e.g.
//   invalid value "abc" for --workers: must be an integer from 1 to 1000
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/Result.h"
#include "runtime/process/BindAddress.h"
#include "runtime/process/Logger.h"

namespace fro::process {

struct Options {
  enum class Action { Run, Help, Version };
  Action action = Action::Run;
  std::string output;  // Help/Version: what to print on stdout

  // Cluster access, as kube::KubeConfig::LoadOptions takes it.
  std::string kubeconfig;
  std::string context;
  bool preferInCluster = false;  // KUBERNETES_SERVICE_HOST set and neither --kubeconfig nor --context

  std::vector<std::string> watchNamespaces;  // empty: all namespaces
  int workers = 16;  // reconciles wait on the API server, not on a core

  bool leaderElect = false;
  std::string leaderElectionId = "feature-rollout-operator";
  std::string leaderElectionNamespace;  // default: the pod's namespace, else "default"
  std::chrono::milliseconds leaseDuration{15000};
  std::chrono::milliseconds renewDeadline{10000};
  std::chrono::milliseconds retryPeriod{2000};

  BindAddress metricsBindAddress{false, "", 8080};
  BindAddress healthProbeBindAddress{false, "", 8081};
  std::string defaultPrometheusAddress;  // used by rollouts that name no prometheus.address
  // A gate's Prometheus answer is refused above these (0: no limit): one answer must not OOM the operator.
  long long gateMaxResponseBytes = 4LL * 1024 * 1024;
  int gateMaxSeries = 100;

  double kubeQps = 0;  // no client-side limit: the API server's priority and fairness paces us
  int kubeBurst = 100;

  log::Format logFormat = log::Format::Json;
  log::Level logLevel = log::Level::Info;
  std::chrono::milliseconds shutdownTimeout{30000};

  // What the defaults depend on, read from the process by fromProcess(); tests build their own.
  struct Environment {
    bool inCluster = false;            // KUBERNETES_SERVICE_HOST is set
    std::string podNamespace;          // the service account's namespace file; "" when absent
    static Environment fromProcess();  // reads /var/run/secrets/kubernetes.io/serviceaccount/namespace
  };

  static Result<Options> parse(int argc, const char* const* argv);
  // args[0] is the program name.
  static Result<Options> parse(const std::vector<std::string>& args, const Environment& env);

  static std::string helpText();
  static std::string_view version();  // the project version this binary was built from

  bool allNamespaces() const { return watchNamespaces.empty(); }
};

}  // namespace fro::process
