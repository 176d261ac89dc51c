#include "demo/service/DemoOptions.h"

#include <CLI/CLI.hpp>

namespace fro::demo {

Result<DemoOptions> DemoOptions::parse(const std::vector<std::string>& args) {
  DemoOptions o;
  std::string metrics = o.metrics.str(), control = o.control.str(), level = "info";
  CLI::App app{
      "fro-demo-service: synthetic users for the feature-rollout demo. Reads the flag ConfigMap the\n"
      "operator writes, buckets users per flag like the operator (flagd fractional rule), and exports\n"
      "request metrics for Prometheus. Faults are injected into a flag's code path over HTTP:\n"
      "  curl -X POST 'http://127.0.0.1:9465/faults?flag=NAME&errorRate=0.3&latencyMs=1500'\n"
      "  curl -X DELETE 'http://127.0.0.1:9465/faults?flag=NAME'   curl http://127.0.0.1:9465/faults",
      "fro-demo-service"};
  app.option_defaults()->always_capture_default();
  app.add_option("--kubeconfig", o.kubeconfig, "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)");
  app.add_option("--namespace,-n", o.ns, "namespace of the flag ConfigMap");
  app.add_option("--configmap", o.configMap, "name of the flag ConfigMap (the FeatureRollout's configMapName)")
      ->required();
  app.add_option("--users", o.users, "simulated users user-0001 .. user-N")->check(CLI::Range(1, 1000000));
  app.add_option("--rate", o.rate, "synthetic requests per second, all users together")
      ->check(CLI::Range(0.1, 100000.0));
  app.add_option("--seed", o.seed, "seed of the random source (latency, errors, user choice)");
  app.add_option("--metrics-address", metrics, "host:port of the Prometheus /metrics endpoint (port 0: any)");
  app.add_option("--control-address", control, "host:port of the fault-injection endpoint (port 0: any)");
  app.add_option("--log-level", level, "debug, info, warn or error");
  app.add_option("--poll-interval-ms", o.pollIntervalMs, "how often the ConfigMap is read")
      ->check(CLI::Range(100, 60000));

  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    return Error::of(app.help(), 0, "help");
  } catch (const CLI::ParseError& e) {
    return Error::of(e.what(), 2, "usage");
  }
  auto m = Endpoint::parse(metrics);
  if (!m) return Error::of("--metrics-address: " + m.error().message, 2, "usage");
  auto c = Endpoint::parse(control);
  if (!c) return Error::of("--control-address: " + c.error().message, 2, "usage");
  auto l = DemoLog::parseLevel(level);
  if (!l) return Error::of("--log-level: " + l.error().message, 2, "usage");
  o.metrics = *m;
  o.control = *c;
  o.logLevel = *l;
  return o;
}

}  // namespace fro::demo
