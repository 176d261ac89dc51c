#include "runtime/process/Options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "runtime/common/Duration.h"

#ifndef FRO_VERSION
#define FRO_VERSION "0.0.0-dev"
#endif

namespace fro::process {

namespace {

constexpr const char* kServiceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

// One table drives both the parser and --help, so they cannot drift apart.
struct FlagDoc {
  const char* name;
  const char* value;  // "" for flags without a value
  const char* help;   // ends with the default
};

constexpr FlagDoc kFlags[] = {
    {"--kubeconfig", "PATH",
     "Kubeconfig file to use (this file only). Default: $KUBECONFIG, else the in-cluster service account when "
     "running in a pod, else ~/.kube/config."},
    {"--context", "NAME", "Kubeconfig context to use instead of its current-context. Default: the current context."},
    {"--watch-namespaces", "NS[,NS...]",
     "Only handle FeatureRollouts (and their workloads) in these namespaces, comma-separated. Default: all "
     "namespaces."},
    {"--workers", "N", "Rollouts reconciled in parallel, 1 to 1000. Default: 16."},
    {"--leader-elect", "[=BOOL]",
     "Run as one active replica among several: only the holder of a coordination.k8s.io Lease reconciles, the "
     "others stand by. Write --leader-elect=false to turn it off explicitly. Default: false."},
    {"--leader-election-id", "NAME", "Name of the Lease. Default: feature-rollout-operator."},
    {"--leader-election-namespace", "NS",
     "Namespace of the Lease. Default: the pod's namespace (read from "
     "/var/run/secrets/kubernetes.io/serviceaccount/namespace), else default."},
    {"--lease-duration", "DURATION",
     "How long standbys wait after the leader's last renewal before taking over. Default: 15s."},
    {"--renew-deadline", "DURATION",
     "How long the leader keeps retrying a renewal before it stops leading; must be shorter than "
     "--lease-duration. Default: 10s."},
    {"--retry-period", "DURATION",
     "Interval between attempts to acquire or renew the Lease; must be shorter than --renew-deadline. Default: 2s."},
    {"--metrics-bind-address", "ADDR",
     "Where Prometheus metrics are served (/metrics): host:port, :port for all interfaces, or 0 to disable. "
     "Default: :8080."},
    {"--health-probe-bind-address", "ADDR",
     "Where the liveness and readiness probes are served (/healthz, /readyz): host:port, :port, or 0 to "
     "disable. Default: :8081."},
    {"--default-prometheus-address", "URL",
     "Prometheus base URL for rollouts whose spec.prometheus.address is empty, e.g. "
     "http://prometheus.monitoring.svc:9090. Default: none (such rollouts must name one)."},
    {"--gate-max-response-bytes", "N",
     "Largest Prometheus answer a gate reads, in bytes, 0 to 1073741824 (0: no limit); a larger one is a gate "
     "error naming the limit, so one query without sum() cannot exhaust the operator's memory. Default: 4194304."},
    {"--gate-max-series", "N",
     "Most series a gate's answer may hold, 0 to 1000000 (0: no limit); a gate needs one. Default: 100."},
    {"--kube-qps", "QPS",
     "Client-side limit on sustained Kubernetes API requests per second, 0 for none: the API server's priority "
     "and fairness paces the operator and answers 429 with Retry-After when it must (honoured), as "
     "controller-runtime does by default. Default: 0."},
    {"--kube-burst", "N", "Kubernetes API requests allowed in a burst above a --kube-qps limit. Default: 100."},
    {"--log-format", "FORMAT",
     "json (one object per line, for log collectors) or text (for people at a terminal). Default: json."},
    {"--log-level", "LEVEL", "Least severe records written: debug, info, warn or error. Default: info."},
    {"--shutdown-timeout", "DURATION",
     "On SIGTERM or SIGINT, how long running reconciles may take to finish before the process exits anyway. "
     "Default: 30s."},
    {"--version", "", "Print the version and exit."},
    {"-h, --help", "", "Print this help and exit."},
};

constexpr const char* kDescription =
    "feature-rollout-operator carries out FeatureRollout resources (rollouts.featureflags.dev/v1alpha1): it "
    "switches feature flags on phase by phase and step by step, to a growing share of users, by writing them to "
    "a ConfigMap that the target Deployments, StatefulSets and DaemonSets read through envFrom; before each step "
    "advances it checks the rollout's Prometheus gates, holds on a warning and rolls back on a critical value. "
    "Progress, gate results and every transition are written to the resource's status and to Events, so "
    "kubectl shows what it does. The process serves Prometheus metrics and health probes, and with "
    "--leader-elect several replicas can run with one of them active. "
    "DURATION values are a number with a unit: 500ms, 15s, 2m, 1h, or combined as in 1m30s.";

constexpr const char* kExamples[][2] = {
    {"Run on a workstation against the current kubectl context, readable logs:",
     "feature-rollout-operator --kubeconfig ~/.kube/config \\\n"
     "    --log-format text --log-level debug"},
    {"In a Deployment with two replicas (in-cluster credentials, one active):",
     "feature-rollout-operator --leader-elect \\\n"
     "    --metrics-bind-address :8080 --health-probe-bind-address :8081"},
    {"Only two team namespaces, a shared Prometheus, no metrics endpoint:",
     "feature-rollout-operator --watch-namespaces team-a,team-b \\\n"
     "    --default-prometheus-address http://prometheus.monitoring.svc:9090 \\\n"
     "    --metrics-bind-address 0"},
    {"Faster failover for a test cluster:",
     "feature-rollout-operator --leader-elect \\\n"
     "    --lease-duration 6s --renew-deadline 4s --retry-period 1s"},
};

// Wraps `text` to `width` columns, every line prefixed with `indent`.
std::string wrap(std::string_view text, std::size_t indent, std::size_t width = 80) {
  std::istringstream words{std::string(text)};
  std::string word, out, line;
  const std::string pad(indent, ' ');
  while (words >> word) {
    if (!line.empty() && pad.size() + line.size() + 1 + word.size() > width) {
      out += fmt::format("{}{}\n", pad, line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += fmt::format("{}{}\n", pad, line);
  return out;
}

Error usage(std::string message) { return Error::of(std::move(message), 2, "usage"); }

Error invalid(std::string_view flag, std::string_view value, std::string_view why) {
  return usage(fmt::format("invalid value \"{}\" for {}: {}", value, flag, why));
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

bool isDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && !(c == '-' && i != 0 && i + 1 != s.size())) return false;
  }
  return true;
}

bool isDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  for (;;) {
    auto dot = s.find('.', start);
    if (!isDnsLabel(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start)))
      return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Result<bool> parseBool(std::string_view flag, const std::string& v) {
  std::string low;
  for (char c : v) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (low == "true" || low == "1" || low == "t") return true;
  if (low == "false" || low == "0" || low == "f") return false;
  return invalid(flag, v, "must be true or false");
}

Result<int> parseInt(std::string_view flag, const std::string& v, int lo, int hi) {
  int n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n < lo || n > hi)
    return invalid(flag, v, fmt::format("must be an integer from {} to {}", lo, hi));
  return n;
}

Result<std::chrono::milliseconds> parseDuration(std::string_view flag, const std::string& v) {
  auto d = Duration::parse(v);
  if (!d) return invalid(flag, v, fmt::format("{}; expected a duration such as 500ms, 15s or 2m", d.error().message));
  if (d->count() <= 0) return invalid(flag, v, "must be longer than 0");
  return *d;
}

// "--workers: 1 required TEXT missing" -> "--workers"
std::string flagOf(const std::string& cliMessage) {
  auto colon = cliMessage.find(':');
  return colon == std::string::npos ? std::string() : cliMessage.substr(0, colon);
}

}  // namespace

Options::Environment Options::Environment::fromProcess() {
  Environment env;
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  env.inCluster = host != nullptr && *host != '\0';
  std::ifstream in(kServiceAccountNamespace);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    env.podNamespace = trim(ss.str());
  }
  return env;
}

std::string_view Options::version() { return FRO_VERSION; }

std::string Options::helpText() {
  std::string out = "NAME\n    feature-rollout-operator - staged feature-flag rollouts "
                    "gated by Prometheus\n\nSYNOPSIS\n    feature-rollout-operator [OPTIONS]\n\nDESCRIPTION\n";
  out += wrap(kDescription, 4);
  out += "\nOPTIONS\n";
  for (const auto& f : kFlags) {
    std::string head = f.name;
    if (*f.value) head += fmt::format("{}{}", f.value[0] == '[' ? "" : " ", f.value);
    out += fmt::format("    {}\n{}\n", head, wrap(f.help, 8));
  }
  out += "EXAMPLES\n";
  for (const auto& ex : kExamples) {
    out += wrap(ex[0], 4);
    std::istringstream lines{std::string(ex[1])};
    for (std::string l; std::getline(lines, l);) out += fmt::format("        {}\n", l);
    out += "\n";
  }
  out += "EXIT STATUS\n";
  out += wrap("0 after --help, --version or a graceful shutdown on SIGTERM/SIGINT; 2 for a bad command line; 1 when "
              "the operator cannot start or fails. A second SIGTERM/SIGINT during shutdown exits at once with "
              "128 + the signal number.",
              4);
  return out;
}

Result<Options> Options::parse(int argc, const char* const* argv) {
  std::vector<std::string> args(argv, argv + argc);
  return parse(args, Environment::fromProcess());
}

Result<Options> Options::parse(const std::vector<std::string>& args, const Environment& env) {
  Options o;
  CLI::App app{"feature-rollout-operator"};
  app.set_help_flag();  // our own --help text, not CLI11's
  app.allow_extras();   // unknown arguments are reported below in our words
  std::map<std::string, std::string> v;
  std::map<std::string, CLI::Option*> given;
  bool help = false, showVersion = false;
  for (const auto& f : kFlags) {
    std::string name = f.name;
    if (name == "--version") {
      app.add_flag("--version", showVersion);
    } else if (name == "-h, --help") {
      app.add_flag("-h,--help", help);
    } else if (name == "--leader-elect") {
      given[name] = app.add_flag("--leader-elect{true}", v[name]);
    } else {
      given[name] = app.add_option(name, v[name]);
    }
  }

  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ArgumentMismatch& e) {
    std::string what = e.what(), flag = flagOf(what);
    if (what.find("missing") != std::string::npos) return usage(fmt::format("flag {} needs a value", flag));
    if (what.find("At Most") != std::string::npos) return usage(fmt::format("flag {} is given more than once", flag));
    return usage(fmt::format("{} (see --help)", what));
  } catch (const CLI::ParseError& e) {
    return usage(fmt::format("{} (see --help)", e.what()));
  }
  if (help) {
    o.action = Action::Help;
    o.output = helpText();
    return o;
  }
  if (showVersion) {
    o.action = Action::Version;
    o.output = fmt::format("feature-rollout-operator {}\n", Options::version());
    return o;
  }
  for (const auto& extra : app.remaining()) {
    if (!extra.empty() && extra[0] == '-') return usage(fmt::format("unknown flag \"{}\" (see --help)", extra));
    return usage(fmt::format("unexpected argument \"{}\": the operator takes flags only (see --help)", extra));
  }
  auto has = [&](const char* name) { return given[name]->count() > 0; };

  o.kubeconfig = v["--kubeconfig"];
  o.context = v["--context"];
  if (has("--kubeconfig") && o.kubeconfig.empty()) return invalid("--kubeconfig", "", "must name a file");
  o.preferInCluster = env.inCluster && o.kubeconfig.empty() && o.context.empty();

  if (has("--watch-namespaces")) {
    const auto& list = v["--watch-namespaces"];
    std::set<std::string> seen;
    std::size_t start = 0;
    while (!list.empty()) {
      auto comma = list.find(',', start);
      auto ns = trim(std::string_view(list).substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (ns.empty()) return invalid("--watch-namespaces", list, "empty namespace in the list");
      if (!isDnsLabel(ns))
        return invalid("--watch-namespaces", list, fmt::format("\"{}\" is not a valid namespace name", ns));
      if (seen.insert(ns).second) o.watchNamespaces.push_back(ns);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (has("--workers")) {
    auto n = parseInt("--workers", v["--workers"], 1, 1000);
    if (!n) return n.error();
    o.workers = *n;
  }
  if (has("--leader-elect")) {
    auto b = parseBool("--leader-elect", v["--leader-elect"]);
    if (!b) return b.error();
    o.leaderElect = *b;
  }
  if (has("--leader-election-id")) {
    o.leaderElectionId = v["--leader-election-id"];
    if (!isDnsSubdomain(o.leaderElectionId))
      return invalid("--leader-election-id", o.leaderElectionId,
                     "must be a valid Lease name (lower-case letters, digits, '-' and '.', at most 253)");
  }
  if (has("--leader-election-namespace")) {
    o.leaderElectionNamespace = v["--leader-election-namespace"];
    if (!isDnsLabel(o.leaderElectionNamespace))
      return invalid("--leader-election-namespace", o.leaderElectionNamespace,
                     "must be a valid namespace name (lower-case letters, digits and '-', at most 63)");
  } else {
    o.leaderElectionNamespace = isDnsLabel(env.podNamespace) ? env.podNamespace : "default";
  }
  struct DurationFlag {
    const char* name;
    std::chrono::milliseconds* out;
  };
  for (auto [name, out] : {DurationFlag{"--lease-duration", &o.leaseDuration},
                           DurationFlag{"--renew-deadline", &o.renewDeadline},
                           DurationFlag{"--retry-period", &o.retryPeriod},
                           DurationFlag{"--shutdown-timeout", &o.shutdownTimeout}}) {
    if (!has(name)) continue;
    auto d = parseDuration(name, v[name]);
    if (!d) return d.error();
    *out = *d;
  }
  // The same ordering LeaderElector::validate() insists on, reported in flag terms.
  if (o.renewDeadline >= o.leaseDuration)
    return usage(fmt::format("--renew-deadline ({}) must be shorter than --lease-duration ({})",
                             Duration::format(o.renewDeadline), Duration::format(o.leaseDuration)));
  if (o.retryPeriod >= o.renewDeadline)
    return usage(fmt::format("--retry-period ({}) must be shorter than --renew-deadline ({})",
                             Duration::format(o.retryPeriod), Duration::format(o.renewDeadline)));

  for (auto [name, out] : {std::pair{"--metrics-bind-address", &o.metricsBindAddress},
                           std::pair{"--health-probe-bind-address", &o.healthProbeBindAddress}}) {
    if (!has(name)) continue;
    auto a = BindAddress::parse(v[name]);
    if (!a) return invalid(name, v[name], a.error().message);
    *out = *a;
  }
  if (!o.metricsBindAddress.disabled && !o.healthProbeBindAddress.disabled &&
      o.metricsBindAddress.port != 0 && o.metricsBindAddress.port == o.healthProbeBindAddress.port &&
      (o.metricsBindAddress.host == o.healthProbeBindAddress.host || o.metricsBindAddress.host.empty() ||
       o.healthProbeBindAddress.host.empty()))
    return usage(fmt::format("--metrics-bind-address ({}) and --health-probe-bind-address ({}) must use different ports",
                             o.metricsBindAddress.str(), o.healthProbeBindAddress.str()));

  if (has("--default-prometheus-address")) {
    const auto& url = v["--default-prometheus-address"];
    auto scheme = url.find("://");
    bool okScheme = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
    if (!okScheme || scheme + 3 >= url.size() || url[scheme + 3] == '/')
      return invalid("--default-prometheus-address", url, "must be an http:// or https:// URL with a host");
    o.defaultPrometheusAddress = url;
    while (!o.defaultPrometheusAddress.empty() && o.defaultPrometheusAddress.back() == '/')
      o.defaultPrometheusAddress.pop_back();
  }
  if (has("--gate-max-response-bytes")) {
    auto n = parseInt("--gate-max-response-bytes", v["--gate-max-response-bytes"], 0, 1073741824);
    if (!n) return n.error();
    o.gateMaxResponseBytes = *n;
  }
  if (has("--gate-max-series")) {
    auto n = parseInt("--gate-max-series", v["--gate-max-series"], 0, 1000000);
    if (!n) return n.error();
    o.gateMaxSeries = *n;
  }
  if (has("--kube-qps")) {
    const auto& s = v["--kube-qps"];
    double q = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), q);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(q) || q < 0 || q > 100000)
      return invalid("--kube-qps", s, "must be a number from 0 (no client-side limit) to 100000");
    o.kubeQps = q;
  }
  if (has("--kube-burst")) {
    auto n = parseInt("--kube-burst", v["--kube-burst"], 1, 100000);
    if (!n) return n.error();
    o.kubeBurst = *n;
  }
  if (has("--log-format")) {
    auto f = log::Logger::parseFormat(v["--log-format"]);
    if (!f) return invalid("--log-format", v["--log-format"], f.error().message);
    o.logFormat = *f;
  }
  if (has("--log-level")) {
    auto l = log::Logger::parseLevel(v["--log-level"]);
    if (!l) return invalid("--log-level", v["--log-level"], l.error().message);
    o.logLevel = *l;
  }
  return o;
}

}  // namespace fro::process
