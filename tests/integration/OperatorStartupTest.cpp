// Issue 11, defect 5: what a user sees when the operator PROCESS cannot start working. Run as users
// run it (build/bin/feature-rollout-operator, JSON log) against (a) an API server that is not there,
// (b) a CA that is not the server's, (c) the chart's RBAC minus one verb (list on deployments); and
// SIGTERM while it waits for its caches, (d) with --leader-elect too. Each failure must be named in
// the log (resource, verb, HTTP status or transport error) and in /readyz?verbose, and SIGTERM must
// end the process with 0 within 2 s whatever it is waiting for.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "runtime/http/CurlTransport.h"
#include "tests/integration/RolloutFixture.h"
#include "tests/kube/TestPki.h"
#include "tests/support/ChartRbac.h"
#include "tests/support/RunningOperator.h"
#include "tests/support/ShellCommand.h"
#include "tests/support/TokenKubeconfig.h"

namespace fro {
namespace {

using json = nlohmann::json;
using kube::Resource;
using testing::freePort;
using Operator = testing::RunningOperator;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class OperatorStartup : public testing::RolloutFixture {
 protected:
  void TearDown() override {
    testing::terminateAll(operators, 10s);
    operators.clear();
    RolloutFixture::TearDown();
  }

  std::string writeKubeconfig(const std::string& label, const std::string& server, const std::string& clusterExtra,
                              const std::string& token) {
    std::string path = std::string(::testing::TempDir()) + "/kubeconfig-startup-" + ns + "-" + label;
    testing::writeTokenKubeconfig(path, server, clusterExtra, "u", token);
    return path;
  }

  // The chart's ServiceAccount and RBAC for watchNamespaces={ns}, minus `list` on deployments only,
  // and a kubeconfig with that ServiceAccount's token.
  void chartRbacWithoutListOnDeployments() {
    ASSERT_NO_FATAL_FAILURE(testing::requireHelmAndKubectl());
    releaseNs = createNamespace("fro-system");
    leaseName = uniqueName("fro-startup");
    std::string rbacFile = std::string(::testing::TempDir()) + "/rbac-startup-" + ns + ".yaml";
    ASSERT_NO_FATAL_FAILURE(testing::renderChartRbac(releaseNs, ns, rbacFile, " --set leaderElection.leaseName=" + leaseName));
    testing::ShellResult applied;
    ASSERT_NO_FATAL_FAILURE(testing::applyManifest(rbacFile, applied));
    Resource roles{"rbac.authorization.k8s.io", "v1", "roles", true};
    auto role = client->get(roles, ns, sa);
    ASSERT_TRUE(role.ok()) << role.error().message;
    json rules = json::array();
    bool split = false;
    for (auto& rule : (*role)["rules"]) {
      bool apps = rule["apiGroups"] == json::array({"apps"});
      bool hasDeployments = false;
      for (auto& res : rule["resources"]) hasDeployments = hasDeployments || res == "deployments";
      if (!apps || !hasDeployments) {
        rules.push_back(rule);
        continue;
      }
      json others = rule, deployments = rule;
      others["resources"] = json::array();
      for (auto& res : rule["resources"])
        if (res != "deployments") others["resources"].push_back(res);
      deployments["resources"] = json::array({"deployments"});
      deployments["verbs"] = json::array();
      for (auto& v : rule["verbs"])
        if (v != "list") deployments["verbs"].push_back(v);
      if (!others["resources"].empty()) rules.push_back(others);
      rules.push_back(deployments);
      split = true;
    }
    ASSERT_TRUE(split) << role->dump();
    (*role)["rules"] = rules;
    auto u = client->update(roles, *role);
    ASSERT_TRUE(u.ok()) << u.error().message;
    std::string as = " -n " + ns + " --as system:serviceaccount:" + releaseNs + ":" + sa;
    for (auto deadline = Clock::now() + 10s;; std::this_thread::sleep_for(100ms)) {
      if (testing::trimmed(testing::sh("kubectl auth can-i list deployments.apps" + as).out) == "no" &&
          testing::trimmed(testing::sh("kubectl auth can-i list statefulsets.apps" + as).out) == "yes")
        break;
      ASSERT_LT(Clock::now(), deadline) << "the authorizer did not see the changed Role within 10s";
    }
    std::string token;
    ASSERT_NO_FATAL_FAILURE(testing::serviceAccountToken(sa, releaseNs, token));
    testing::ClusterEndpoint cluster;
    ASSERT_NO_FATAL_FAILURE(testing::adminCluster(cluster));
    kubeconfig = writeKubeconfig("sa", cluster.server, cluster.caLines, token);
  }

  Operator& startOperator(const std::string& kc, const std::vector<std::string>& extra = {}) {
    std::string label = std::to_string(operators.size());
    std::string logPath = std::string(::testing::TempDir()) + "/operator-startup-" + ns + "-" + label + ".log";
    operators.push_back(Operator::start(label, kc, ns, logPath, "10s", extra));
    return *operators.back();
  }

  Result<http::HttpResponse> probe(const Operator& op, const std::string& path) { return op.probe(plain, path); }
  // Polls the probe until it answers and `pred` holds for the answer (bounded).
  std::optional<http::HttpResponse> probeUntil(const Operator& op, const std::string& path,
                                               const std::function<bool(const http::HttpResponse&)>& pred,
                                               std::chrono::milliseconds limit) {
    std::optional<http::HttpResponse> last;
    for (auto deadline = Clock::now() + limit; Clock::now() < deadline; std::this_thread::sleep_for(100ms)) {
      auto r = probe(op, path);
      if (!r.ok()) continue;
      last = *r;
      if (pred(*r)) return last;
    }
    return last;
  }

  // A warning that names a failed `verb` of `resource` in our namespace.
  std::function<bool(const json&)> failure(const std::string& verb, const std::string& resource) const {
    return [verb, resource, n = ns](const json& r) {
      return r.value("level", "") == "warn" && r.value("verb", "") == verb && r.value("resource", "") == resource &&
             r.value("namespace", "") == n && !r.value("error", "").empty();
    };
  }

  // SIGTERM; the exit code and how long it took, or nullopt when it is still running after 10 s.
  std::optional<int> sigterm(Operator& op, long long& tookMs) {
    auto at = Clock::now();
    auto code = op.proc->terminate(10s);
    tookMs = msSince(at);
    return code;
  }

  void expectLoggedTheExit(const Operator& op) {
    auto stopped = op.waitFor(Operator::msg("stopped"), 1s);
    ASSERT_TRUE(stopped.has_value()) << "no exit record:\n" << op.proc->log();
    EXPECT_EQ(stopped->value("exitCode", -1), 0) << stopped->dump();
    EXPECT_EQ(stopped->value("signal", -1), SIGTERM) << stopped->dump();
  }

  std::string releaseNs, leaseName, kubeconfig;
  const std::string sa = testing::kChartServiceAccount;
  std::vector<std::unique_ptr<Operator>> operators;
  http::CurlTransport plain{http::TlsConfig{}};
};

// (a) Nothing listens at the server's address.
TEST_F(OperatorStartup, UnreachableApiServerIsNamedInTheLogAndReadyzAndSigtermExitsAtOnce) {
  int port = freePort();
  std::string kc = writeKubeconfig("closed", "https://127.0.0.1:" + std::to_string(port),
                                   "    insecure-skip-tls-verify: true\n", "not-a-token");
  Operator& op = startOperator(kc);
  std::string where = "127.0.0.1 port " + std::to_string(port);
  auto logged = op.waitFor(
      [&](const json& r) {
        return failure("list", "featurerollouts.rollouts.featureflags.dev")(r) && contains(r.value("error", ""), where) &&
               contains(r.value("error", ""), "connect");
      },
      5s);
  ASSERT_TRUE(logged.has_value()) << "no record naming the refused connection within 5s:\n" << op.proc->log();
  std::printf("[ figure ] first record naming the refused connection after %lld ms\n[ log    ] %s\n", msSince(op.started),
              logged->dump().c_str());
  EXPECT_FALSE(logged->contains("status")) << "a transport failure has no HTTP status: " << logged->dump();

  auto verbose = probeUntil(op, "/readyz?verbose", [&](const http::HttpResponse& r) { return contains(r.body, where); }, 3s);
  ASSERT_TRUE(verbose.has_value()) << "/readyz?verbose did not answer";
  std::printf("[ readyz ] %s", verbose->body.c_str());
  EXPECT_EQ(verbose->status, 503);
  EXPECT_TRUE(contains(verbose->body, "featurerollouts.rollouts.featureflags.dev in " + ns + ": not synced"))
      << verbose->body;
  EXPECT_TRUE(contains(verbose->body, where)) << verbose->body;
  auto plainReadyz = probe(op, "/readyz");
  ASSERT_TRUE(plainReadyz.ok());
  EXPECT_EQ(plainReadyz->status, 503);
  EXPECT_EQ(plainReadyz->body, "[+]ping ok\n[-]informers failed: informer caches not synced yet\nreadyz check failed\n");

  // SIGTERM about 3 s after the start, while it still waits for its caches.
  auto at = op.started + 3s;
  if (Clock::now() < at) std::this_thread::sleep_until(at);
  long long took = 0;
  auto code = sigterm(op, took);
  std::printf("[ figure ] SIGTERM-to-exit with an unreachable API server: %lld ms (SIGTERM %lld ms after the start)\n",
              took, msSince(op.started) - took);
  ASSERT_TRUE(code.has_value()) << "still running 10s after SIGTERM:\n" << op.proc->log();
  EXPECT_EQ(*code, 0) << op.proc->log();
  EXPECT_LE(took, 2000) << op.proc->log();
  expectLoggedTheExit(op);
}

// (b) The server's certificate is not signed by the CA the kubeconfig names.
TEST_F(OperatorStartup, AWrongCaIsNamedAsATlsVerificationFailure) {
  testing::ClusterEndpoint cluster;
  ASSERT_NO_FATAL_FAILURE(testing::adminCluster(cluster));
  auto now = std::time(nullptr);
  auto wrong = testing::TestPki::selfSignedCa("not-the-cluster-ca", now - 60, now + 3600);
  std::string caFile = std::string(::testing::TempDir()) + "/wrong-ca-" + ns + ".crt";
  std::ofstream(caFile) << wrong.certPem;
  Operator& op = startOperator(writeKubeconfig("wrong-ca", cluster.server, "    certificate-authority: " + caFile + "\n", "x"));
  auto logged = op.waitFor(
      [&](const json& r) {
        std::string e = r.value("error", "");
        return failure("list", "deployments.apps")(r) && contains(e, "certificate") &&
               (contains(e, "verif") || contains(e, "issuer") || contains(e, "SSL certificate problem"));
      },
      8s);
  ASSERT_TRUE(logged.has_value()) << "no record naming the TLS verification failure:\n" << op.proc->log();
  std::printf("[ log    ] %s\n", logged->dump().c_str());
  auto verbose = probeUntil(op, "/readyz?verbose",
                            [](const http::HttpResponse& r) { return contains(r.body, "certificate"); }, 3s);
  ASSERT_TRUE(verbose.has_value());
  EXPECT_TRUE(contains(verbose->body, "deployments.apps in " + ns + ": not synced")) << verbose->body;
  EXPECT_TRUE(contains(verbose->body, "certificate")) << verbose->body;
  long long took = 0;
  auto code = sigterm(op, took);
  std::printf("[ figure ] SIGTERM-to-exit with a wrong CA: %lld ms\n", took);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_LE(took, 2000) << op.proc->log();
}

// (c) The chart's RBAC minus `list` on deployments: the 403, the resource and the verb, at once.
TEST_F(OperatorStartup, AMissingRbacVerbIsNamedWith403TheResourceAndTheVerb) {
  ASSERT_NO_FATAL_FAILURE(chartRbacWithoutListOnDeployments());
  Operator& op = startOperator(kubeconfig);
  auto logged = op.waitFor(
      [&](const json& r) {
        return failure("list", "deployments.apps")(r) && r.value("status", 0) == 403 &&
               contains(r.value("error", ""), "cannot list resource \"deployments\" in API group \"apps\"");
      },
      5s);
  ASSERT_TRUE(logged.has_value()) << "no record naming the 403 on list deployments:\n" << op.proc->log();
  std::printf("[ figure ] the 403 was logged %lld ms after the start\n[ log    ] %s\n", msSince(op.started),
              logged->dump().c_str());
  EXPECT_TRUE(contains(logged->value("msg", ""), "list deployments.apps")) << logged->dump();
  EXPECT_TRUE(contains(logged->value("error", ""), "system:serviceaccount:" + releaseNs + ":" + sa)) << logged->dump();
  // Only the informer that lacks the verb fails; the others are fine.
  for (auto& r : op.records()) {
    if (r.value("level", "") == "warn" && r.contains("verb")) {
      EXPECT_EQ(r.value("resource", ""), "deployments.apps") << r.dump();
    }
  }
  // The other informers sync meanwhile (a moment after the first 403).
  auto verbose = probeUntil(op, "/readyz?verbose",
                            [&](const http::HttpResponse& r) {
                              return contains(r.body, "403") && contains(r.body, "statefulsets.apps in " + ns + ": synced");
                            },
                            5s);
  ASSERT_TRUE(verbose.has_value());
  std::printf("[ readyz ] %s", verbose->body.c_str());
  EXPECT_EQ(verbose->status, 503);
  EXPECT_TRUE(contains(verbose->body, "deployments.apps in " + ns + ": not synced")) << verbose->body;
  EXPECT_TRUE(contains(verbose->body, "statefulsets.apps in " + ns + ": synced")) << verbose->body;
  EXPECT_TRUE(contains(verbose->body, "cannot list resource \"deployments\"")) << verbose->body;
  long long took = 0;
  auto code = sigterm(op, took);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_LE(took, 2000) << op.proc->log();
}

// (d) With --leader-elect the cache-sync wait runs once the lease is ours: SIGTERM then too.
TEST_F(OperatorStartup, SigtermDuringTheCacheSyncWaitOfTheLeaderExitsWithin2s) {
  ASSERT_NO_FATAL_FAILURE(chartRbacWithoutListOnDeployments());
  Operator& op = startOperator(kubeconfig, {"--leader-elect", "--leader-election-namespace", releaseNs,
                                            "--leader-election-id", leaseName, "--lease-duration", "3s",
                                            "--renew-deadline", "2s", "--retry-period", "500ms"});
  auto leading = op.waitFor(Operator::msg("became the leader; starting workers"), 15s);
  ASSERT_TRUE(leading.has_value()) << op.proc->log();
  EXPECT_TRUE(op.waitFor(failure("list", "deployments.apps"), 5s).has_value()) << op.proc->log();
  // Still waiting for the caches: not ready, and it stays so.
  auto r = probe(op, "/readyz");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  std::this_thread::sleep_for(1s);
  long long took = 0;
  auto code = sigterm(op, took);
  std::printf("[ figure ] SIGTERM-to-exit of a leader waiting for its caches: %lld ms\n", took);
  ASSERT_TRUE(code.has_value()) << "still running 10s after SIGTERM:\n" << op.proc->log();
  EXPECT_EQ(*code, 0) << op.proc->log();
  EXPECT_LE(took, 2000) << op.proc->log();
  expectLoggedTheExit(op);
  EXPECT_TRUE(op.waitFor(Operator::msg("released the lease"), 100ms).has_value()) << op.proc->log();
}

}  // namespace
}  // namespace fro
