// The command line as an operator (the person) sees it: defaults, every flag, the exact message
// for bad values, and a --help that documents every flag.
#include "runtime/process/Options.h"

#include <gtest/gtest.h>

#include "runtime/leaderelection/LeaderElector.h"

namespace fro::process {
namespace {

using namespace std::chrono_literals;

Options::Environment outsideCluster() { return {}; }
Options::Environment inPod() { return {true, "operators"}; }

Result<Options> parse(std::vector<std::string> args, Options::Environment env = outsideCluster()) {
  args.insert(args.begin(), "feature-rollout-operator");
  return Options::parse(args, env);
}

std::string errorOf(std::vector<std::string> args) {
  auto r = parse(std::move(args));
  if (r.ok()) return "<parsed>";
  EXPECT_EQ(r.error().code, 2);
  EXPECT_EQ(r.error().reason, "usage");
  return r.error().message;
}

TEST(OptionsTest, KubeQpsZeroTurnsTheClientSideLimitOffAndAPositiveOneOn) {
  auto off = parse({"--kube-qps", "0"});
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_EQ(off->kubeQps, 0);
  auto on = parse({"--kube-qps", "50", "--kube-burst", "100"});
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_EQ(on->kubeQps, 50);
}

TEST(OptionsTest, DefaultsOutsideACluster) {
  auto o = parse({});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->action, Options::Action::Run);
  EXPECT_EQ(o->kubeconfig, "");
  EXPECT_EQ(o->context, "");
  EXPECT_FALSE(o->preferInCluster);
  EXPECT_TRUE(o->allNamespaces());
  EXPECT_EQ(o->workers, 16);
  EXPECT_FALSE(o->leaderElect);
  EXPECT_EQ(o->leaderElectionId, "feature-rollout-operator");
  EXPECT_EQ(o->leaderElectionNamespace, "default");
  EXPECT_EQ(o->leaseDuration, 15s);
  EXPECT_EQ(o->renewDeadline, 10s);
  EXPECT_EQ(o->retryPeriod, 2s);
  EXPECT_EQ(o->metricsBindAddress.str(), ":8080");
  EXPECT_EQ(o->healthProbeBindAddress.str(), ":8081");
  EXPECT_EQ(o->defaultPrometheusAddress, "");
  EXPECT_EQ(o->kubeQps, 0) << "no client-side limit by default";
  EXPECT_EQ(o->kubeBurst, 100);
  EXPECT_EQ(o->logFormat, log::Format::Json);
  EXPECT_EQ(o->logLevel, log::Level::Info);
  EXPECT_EQ(o->shutdownTimeout, 30s);
}

TEST(OptionsTest, InAPodTheServiceAccountAndItsNamespaceAreTheDefaults) {
  auto o = parse({}, inPod());
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->preferInCluster);
  EXPECT_EQ(o->leaderElectionNamespace, "operators");
  // An explicit kubeconfig or context means the person wants that, not the pod's account.
  EXPECT_FALSE(parse({"--kubeconfig", "/etc/kc"}, inPod())->preferInCluster);
  EXPECT_FALSE(parse({"--context", "kind"}, inPod())->preferInCluster);
  EXPECT_EQ(parse({"--leader-election-namespace", "other"}, inPod())->leaderElectionNamespace, "other");
}

TEST(OptionsTest, EveryFlag) {
  auto o = parse({"--kubeconfig", "/home/me/.kube/config", "--context=staging", "--watch-namespaces", "team-a, team-b,team-a",
                  "--workers", "8", "--leader-elect", "--leader-election-id", "fro.example.com",
                  "--leader-election-namespace", "ops", "--lease-duration", "1m", "--renew-deadline", "45s",
                  "--retry-period", "500ms", "--metrics-bind-address", "127.0.0.1:9090",
                  "--health-probe-bind-address", "[::1]:9091", "--default-prometheus-address",
                  "http://prometheus.monitoring:9090/", "--kube-qps", "12.5", "--kube-burst", "30", "--gate-max-response-bytes", "0", "--gate-max-series", "7", "--log-format",
                  "text", "--log-level", "debug", "--shutdown-timeout", "1m30s"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->kubeconfig, "/home/me/.kube/config");
  EXPECT_EQ(o->context, "staging");
  EXPECT_EQ(o->watchNamespaces, (std::vector<std::string>{"team-a", "team-b"}));
  EXPECT_EQ(o->workers, 8);
  EXPECT_EQ(o->gateMaxResponseBytes, 0);
  EXPECT_EQ(o->gateMaxSeries, 7);
  EXPECT_TRUE(o->leaderElect);
  EXPECT_EQ(o->leaderElectionId, "fro.example.com");
  EXPECT_EQ(o->leaderElectionNamespace, "ops");
  EXPECT_EQ(o->leaseDuration, 60s);
  EXPECT_EQ(o->renewDeadline, 45s);
  EXPECT_EQ(o->retryPeriod, 500ms);
  EXPECT_EQ(o->metricsBindAddress.host, "127.0.0.1");
  EXPECT_EQ(o->metricsBindAddress.port, 9090);
  EXPECT_EQ(o->healthProbeBindAddress.host, "::1");
  EXPECT_EQ(o->healthProbeBindAddress.port, 9091);
  EXPECT_EQ(o->defaultPrometheusAddress, "http://prometheus.monitoring:9090");
  EXPECT_EQ(o->kubeQps, 12.5);
  EXPECT_EQ(o->kubeBurst, 30);
  EXPECT_EQ(o->logFormat, log::Format::Text);
  EXPECT_EQ(o->logLevel, log::Level::Debug);
  EXPECT_EQ(o->shutdownTimeout, 90s);
}

TEST(OptionsTest, LeaderElectTakesAnExplicitBool) {
  EXPECT_TRUE(parse({"--leader-elect=true"})->leaderElect);
  EXPECT_FALSE(parse({"--leader-elect=false"})->leaderElect);
}

TEST(OptionsTest, ZeroDisablesTheServers) {
  auto o = parse({"--metrics-bind-address", "0", "--health-probe-bind-address=0"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->metricsBindAddress.disabled);
  EXPECT_TRUE(o->healthProbeBindAddress.disabled);
}

TEST(OptionsTest, BadValuesNameTheFlagAndTheValue) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--workers", "abc"}, "invalid value \"abc\" for --workers: must be an integer from 1 to 1000"},
      {{"--workers", "0"}, "invalid value \"0\" for --workers: must be an integer from 1 to 1000"},
      {{"--workers=4x"}, "invalid value \"4x\" for --workers: must be an integer from 1 to 1000"},
      {{"--lease-duration", "15"},
       "invalid value \"15\" for --lease-duration: missing unit (ms, s, m or h); expected a duration such as 500ms, "
       "15s or 2m"},
      {{"--renew-deadline", "10sec"},
       "invalid value \"10sec\" for --renew-deadline: unknown unit \"sec\" (ms, s, m or h); expected a duration "
       "such as 500ms, 15s or 2m"},
      {{"--shutdown-timeout", "0s"}, "invalid value \"0s\" for --shutdown-timeout: must be longer than 0"},
      {{"--retry-period", "-1s"},
       "invalid value \"-1s\" for --retry-period: expected a number; expected a duration such as 500ms, 15s or 2m"},
      {{"--lease-duration", "5s"}, "--renew-deadline (10s) must be shorter than --lease-duration (5s)"},
      {{"--retry-period", "10s"}, "--retry-period (10s) must be shorter than --renew-deadline (10s)"},
      {{"--metrics-bind-address", "8080"},
       "invalid value \"8080\" for --metrics-bind-address: expected host:port, :port or 0"},
      {{"--health-probe-bind-address", ":70000"},
       "invalid value \":70000\" for --health-probe-bind-address: port must be a number from 0 to 65535"},
      {{"--metrics-bind-address", ":8081"},
       "--metrics-bind-address (:8081) and --health-probe-bind-address (:8081) must use different ports"},
      {{"--log-format", "yaml"}, "invalid value \"yaml\" for --log-format: must be json or text"},
      {{"--log-level", "verbose"},
       "invalid value \"verbose\" for --log-level: must be one of debug, info, warn, error"},
      {{"--kube-qps", "-3"}, "invalid value \"-3\" for --kube-qps: must be a number from 0 (no client-side limit) to 100000"},
      {{"--kube-burst", "1e3"}, "invalid value \"1e3\" for --kube-burst: must be an integer from 1 to 100000"},
      {{"--gate-max-response-bytes", "-1"},
       "invalid value \"-1\" for --gate-max-response-bytes: must be an integer from 0 to 1073741824"},
      {{"--gate-max-series", "many"}, "invalid value \"many\" for --gate-max-series: must be an integer from 0 to 1000000"},
      {{"--leader-elect=maybe"}, "invalid value \"maybe\" for --leader-elect: must be true or false"},
      {{"--leader-election-id", "Feature_Rollout"},
       "invalid value \"Feature_Rollout\" for --leader-election-id: must be a valid Lease name (lower-case letters, "
       "digits, '-' and '.', at most 253)"},
      {{"--leader-election-namespace", "kube.system"},
       "invalid value \"kube.system\" for --leader-election-namespace: must be a valid namespace name (lower-case "
       "letters, digits and '-', at most 63)"},
      {{"--watch-namespaces", "a,,b"}, "invalid value \"a,,b\" for --watch-namespaces: empty namespace in the list"},
      {{"--watch-namespaces", "team-a,Team-B"},
       "invalid value \"team-a,Team-B\" for --watch-namespaces: \"Team-B\" is not a valid namespace name"},
      {{"--default-prometheus-address", "prometheus:9090"},
       "invalid value \"prometheus:9090\" for --default-prometheus-address: must be an http:// or https:// URL with "
       "a host"},
      {{"--kubeconfig="}, "flag --kubeconfig needs a value"},
      {{"--workers"}, "flag --workers needs a value"},
      {{"--workers", "2", "--workers", "3"}, "flag --workers is given more than once"},
      {{"--worker", "2"}, "unknown flag \"--worker\" (see --help)"},
      {{"run"}, "unexpected argument \"run\": the operator takes flags only (see --help)"},
  };
  for (const auto& c : cases) {
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    EXPECT_EQ(errorOf(c.args), c.message) << "args: " << joined;
  }
}

TEST(OptionsTest, HelpIsAManPageDocumentingEveryFlagWithItsDefault) {
  auto o = parse({"--help"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->action, Options::Action::Help);
  const auto& h = o->output;
  for (const char* section : {"NAME\n", "SYNOPSIS\n", "DESCRIPTION\n", "OPTIONS\n", "EXAMPLES\n", "EXIT STATUS\n"})
    EXPECT_NE(h.find(section), std::string::npos) << section;
  const std::vector<std::pair<std::string, std::string>> flags = {
      {"--kubeconfig PATH", "Default: $KUBECONFIG"},
      {"--context NAME", "Default: the current context."},
      {"--watch-namespaces NS[,NS...]", "Default: all namespaces."},
      {"--workers N", "Default: 16."},
      {"--leader-elect[=BOOL]", "Default: false."},
      {"--leader-election-id NAME", "Default: feature-rollout-operator."},
      {"--leader-election-namespace NS", "else default."},
      {"--lease-duration DURATION", "Default: 15s."},
      {"--renew-deadline DURATION", "Default: 10s."},
      {"--retry-period DURATION", "Default: 2s."},
      {"--metrics-bind-address ADDR", "Default: :8080."},
      {"--health-probe-bind-address ADDR", "Default: :8081."},
      {"--default-prometheus-address URL", "Default: none"},
      {"--gate-max-response-bytes N", "Default: 4194304."},
      {"--gate-max-series N", "Default: 100."},
      {"--kube-qps QPS", "Default: 0."},
      {"--kube-burst N", "Default: 100."},
      {"--log-format FORMAT", "Default: json."},
      {"--log-level LEVEL", "Default: info."},
      {"--shutdown-timeout DURATION", "Default: 30s."},
      {"--version", "Print the version"},
      {"-h, --help", "Print this help"},
  };
  for (const auto& [flag, def] : flags) {
    auto at = h.find("\n    " + flag + "\n");
    ASSERT_NE(at, std::string::npos) << flag;
    // The default is stated in the flag's own paragraph (before the next blank line).
    auto paragraph = h.substr(at, h.find("\n\n", at + 1) - at);
    std::string flat;  // wrapping may break the default across lines
    for (char ch : paragraph)
      if (!(ch == ' ' && !flat.empty() && (flat.back() == ' ' || flat.back() == '\n'))) flat += ch == '\n' ? ' ' : ch;
    EXPECT_NE(flat.find(def), std::string::npos) << flag << " should say " << def << " in: " << flat;
  }
  // Lines fit a terminal.
  std::size_t start = 0;
  while (start < h.size()) {
    auto end = h.find('\n', start);
    if (end == std::string::npos) end = h.size();
    EXPECT_LE(end - start, 80u) << h.substr(start, end - start);
    start = end + 1;
  }
  // -h is the short form, and --help wins over anything else on the line.
  EXPECT_EQ(parse({"-h"})->action, Options::Action::Help);
  EXPECT_EQ(parse({"--workers", "x", "--help"})->action, Options::Action::Help);
}

TEST(OptionsTest, Version) {
  auto o = parse({"--version"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->action, Options::Action::Version);
  EXPECT_EQ(o->output, "feature-rollout-operator " + std::string(Options::version()) + "\n");
  EXPECT_FALSE(Options::version().empty());
}

// The defaults and any accepted timing must also satisfy the leader elector itself.
TEST(OptionsTest, AcceptedLeaseTimingsPassTheLeaderElectorsValidation) {
  for (auto args : std::vector<std::vector<std::string>>{
           {}, {"--lease-duration", "6s", "--renew-deadline", "4s", "--retry-period", "1s"}}) {
    auto o = parse(args);
    ASSERT_TRUE(o.ok()) << o.error().message;
    leaderelection::LeaderElectionConfig cfg{o->leaderElectionNamespace, o->leaderElectionId, "pod-1",
                                             o->leaseDuration, o->renewDeadline, o->retryPeriod};
    EXPECT_TRUE(leaderelection::LeaderElector::validate(cfg).ok());
  }
}

}  // namespace
}  // namespace fro::process
