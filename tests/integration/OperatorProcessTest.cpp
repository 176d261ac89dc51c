// The operator PROCESS the way users run it (issue 6, "How it is proven"): build/bin/feature-rollout-operator
// as a child process against the local control plane, with the chart's own RBAC and a ServiceAccount
// token (never the admin kubeconfig), its JSON log, its probes, its metrics scraped by the real
// Prometheus, leader election over a real Lease, SIGKILL and SIGTERM mid-rollout.
//
// Isolation: every test has its own namespaces, Lease, ports and scrape job, and runs its operators
// with --watch-namespaces. Another operator watching all namespaces (hack/demo.sh runs one with the
// admin kubeconfig) would also reconcile our rollouts; a ValidatingAdmissionPolicy "fence" on the
// test's namespace denies writes of rollouts, ConfigMaps, workloads and Events by anyone who is not a
// system: user (admin, people), so only our ServiceAccount's operator (and the control plane's own
// controllers) can act there. The test client itself only creates and deletes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "runtime/http/CurlTransport.h"
#include "tests/integration/RolloutFixture.h"
#include "tests/support/ChartRbac.h"
#include "tests/support/NamespaceFence.h"
#include "tests/support/ObjectEvents.h"
#include "tests/support/RunningOperator.h"
#include "tests/support/ShellCommand.h"
#include "tests/support/TokenKubeconfig.h"

namespace fro {
namespace {

using json = nlohmann::json;
using kube::Resource;
using Operator = testing::RunningOperator;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace names = rollout::names;

long long msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

std::string urlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}


// Three steps: the second one's pause is long enough to stop an operator in the middle of it,
// even on a loaded machine (the test does a few API reads between seeing step 1 and the kill).
json threeStepSpec(const std::string& middlePause = "2s") {
  json spec = json::parse(testing::kTwoPhaseSpec);
  spec["phases"][0]["steps"] = json::parse(R"([{"percent": 10, "pause": "2s"}, {"percent": 40, "pause": ")" +
                                           middlePause + R"("}, {"percent": 100}])");
  return spec;
}
const char* kThreeStepPath =
    "PhaseStarted:checkout/0 StepActive:checkout/0 StepAdvanced:checkout/1 StepActive:checkout/1 "
    "StepAdvanced:checkout/2 StepActive:checkout/2 PhaseCompleted:checkout/2 PhaseStarted:cleanup/0 "
    "StepActive:cleanup/0 PhaseCompleted:cleanup/0 RolloutSucceeded:cleanup/0 ";

std::string historyPath(const json& fr) {
  std::string path;
  for (auto& h : fr.value("/status/history"_json_pointer, json::array()))
    path += h.value("reason", "") + ":" + h.value("phase", "") + "/" + std::to_string(h.value("step", 0)) + " ";
  return path;
}

bool isState(const json& fr, const std::string& s) { return fr.value("/status/state"_json_pointer, std::string()) == s; }

class OperatorProcess : public testing::RolloutFixture {
 protected:
  void SetUp() override {
    RolloutFixture::SetUp();
    if (HasFatalFailure()) return;
    releaseNs = createNamespace("fro-system");
    leaseName = uniqueName("fro-proc");
    ASSERT_NO_FATAL_FAILURE(testing::requireHelmAndKubectl());
    fenceName = "fro-proc-fence-" + ns;
    ASSERT_NO_FATAL_FAILURE(testing::installNamespaceFence(*client, fenceName, ns, "OperatorProcessTest"));
    ASSERT_NO_FATAL_FAILURE(installChartRbac());
    ASSERT_NO_FATAL_FAILURE(writeServiceAccountKubeconfig());
  }

  void TearDown() override {
    // Rollouts go first while an operator can still finalize them; then the processes; then
    // whatever finalizer is left (a forbidden or stopped operator) is stripped so the namespace goes.
    (void)client->remove(Resource::featureRollouts(), ns, "checkout");
    (void)client->remove(Resource::featureRollouts(), ns, "second");
    for (int i = 0; i < 50; ++i) {
      auto l = client->list(Resource::featureRollouts(), ns);
      if (!l.ok() || (*l)["items"].empty()) break;
      std::this_thread::sleep_for(100ms);
    }
    testing::terminateAll(operators, 10s);
    operators.clear();
    if (!fenceName.empty()) testing::removeNamespaceFence(*client, fenceName);
    testing::dropRolloutFinalizers(*client, ns);
    if (!targetFile.empty()) std::filesystem::remove(targetFile);
    RolloutFixture::TearDown();
  }

  // `helm template` of the chart's ServiceAccount and RBAC for watchNamespaces={ns} in the release
  // namespace, applied as rendered.
  void installChartRbac() {
    rbacFile = std::string(::testing::TempDir()) + "/rbac-" + ns + ".yaml";
    ASSERT_NO_FATAL_FAILURE(testing::renderChartRbac(releaseNs, ns, rbacFile, " --set leaderElection.leaseName=" + leaseName));
    std::ifstream f(rbacFile);
    std::string rendered((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ASSERT_EQ(rendered.find("ClusterRole"), std::string::npos) << "watchNamespaces must render no cluster-wide RBAC";
    testing::ShellResult a;
    ASSERT_NO_FATAL_FAILURE(testing::applyManifest(rbacFile, a));
    EXPECT_NE(a.out.find("role.rbac.authorization.k8s.io/fro-feature-rollout-operator created"), std::string::npos) << a.out;
    EXPECT_NE(a.out.find("role.rbac.authorization.k8s.io/fro-feature-rollout-operator-leader-election created"),
              std::string::npos)
        << a.out;
  }

  // A TokenRequest token of the chart's ServiceAccount, with the cluster's server and CA.
  void writeServiceAccountKubeconfig() {
    ASSERT_NO_FATAL_FAILURE(testing::serviceAccountToken(sa, releaseNs, token));
    ASSERT_EQ(std::count(token.begin(), token.end(), '.'), 2) << "not a JWT";
    testing::ClusterEndpoint cluster;
    ASSERT_NO_FATAL_FAILURE(testing::adminCluster(cluster));
    kubeconfig = std::string(::testing::TempDir()) + "/kubeconfig-" + ns;
    testing::writeTokenKubeconfig(kubeconfig, cluster.server, cluster.caLines, sa, token);
  }

  Operator& startOperator(const std::string& label, const std::vector<std::string>& extra = {}) {
    std::string logPath = std::string(::testing::TempDir()) + "/operator-" + ns + "-" + label + ".log";
    operators.push_back(Operator::start(label, kubeconfig, ns, logPath, "10s", extra));
    return *operators.back();
  }
  std::vector<std::string> leaderArgs() const {
    return {"--leader-elect", "--leader-election-namespace", releaseNs, "--leader-election-id", leaseName,
            "--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "500ms"};
  }
  // Up: it logged "running" (after its caches synced when it does not elect) and /readyz answers 200.
  void waitRunning(Operator& op) {
    auto r = op.waitFor(Operator::msg("running"), 20s);
    ASSERT_TRUE(r.has_value()) << op.label << " did not start:\n" << op.proc->log();
    ASSERT_FALSE(op.identity().empty());
    auto deadline = Clock::now() + 20s;
    while (Clock::now() < deadline) {
      auto h = probe(op, "/readyz");
      if (h.ok() && h->status == 200) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << op.label << ": /readyz did not answer 200 within 20s\n" << op.proc->log();
  }

  Result<http::HttpResponse> probe(const Operator& op, const std::string& path) { return op.probe(plain, path); }

  json lease() {
    auto l = client->get(Resource::leases(), releaseNs, leaseName);
    return l.ok() ? *l : json();
  }
  std::string leaseHolder() { return lease().value("/spec/holderIdentity"_json_pointer, std::string()); }

  std::vector<json> events(const std::string& name) { return testing::eventsAbout(*client, ns, name); }

  void expectNoTokenIn(const Operator& op) {
    std::string log = op.proc->log();
    EXPECT_EQ(log.find(token), std::string::npos) << op.label << " logged the ServiceAccount token";
    EXPECT_EQ(log.find(token.substr(token.rfind('.') + 1)), std::string::npos) << op.label << " logged the token's signature";
  }

  std::string releaseNs, leaseName, fenceName, rbacFile, kubeconfig, token, targetFile;
  const std::string sa = testing::kChartServiceAccount;
  std::vector<std::unique_ptr<Operator>> operators;
  http::CurlTransport plain{http::TlsConfig{}};
};

// 1. The chart's RBAC is enough for a whole rollout and its deletion; without one verb the operator
//    says which permission is missing and changes nothing.
TEST_F(OperatorProcess, RunsARolloutWithExactlyTheChartsRbacAndNamesAMissingPermission) {
  Operator& op = startOperator("rbac");
  ASSERT_NO_FATAL_FAILURE(waitRunning(op));
  createDeployment("web");
  auto started = Clock::now();
  createRollout(json::parse(testing::kTwoPhaseSpec));
  json fr = waitFor("checkout", [](const json& o) { return isState(o, "Succeeded"); }, 60s, "state Succeeded");
  std::printf("[ figure ] rollout with the chart's RBAC: Succeeded in %lld ms\n", msSince(started));
  EXPECT_EQ(historyPath(fr),
            "PhaseStarted:checkout/0 StepActive:checkout/0 StepAdvanced:checkout/1 StepActive:checkout/1 "
            "PhaseCompleted:checkout/1 PhaseStarted:cleanup/0 StepActive:cleanup/0 PhaseCompleted:cleanup/0 "
            "RolloutSucceeded:cleanup/0 ");
  EXPECT_EQ(condition(fr, "Ready"), "True");

  auto cm = client->get(Resource::configMaps(), ns, "checkout-flags");
  ASSERT_TRUE(cm.ok()) << cm.error().message;
  EXPECT_EQ((*cm)["data"]["NEW_CHECKOUT"], "true");
  EXPECT_EQ((*cm)["data"]["NEW_CHECKOUT_PERCENT"], "100");
  EXPECT_EQ((*cm)["data"]["OLD_CART"], "false");
  EXPECT_EQ((*cm)["metadata"]["ownerReferences"][0]["uid"], fr["metadata"]["uid"]);
  auto d = client->get(Resource::deployments(), ns, "web");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)["spec"]["template"]["metadata"]["annotations"][names::kChecksumAnnotation], fr["status"]["checksum"]);
  auto& app = (*d)["spec"]["template"]["spec"]["containers"][0];
  ASSERT_EQ(app["envFrom"].size(), 2u) << app.dump();
  EXPECT_EQ(app["envFrom"][1]["configMapRef"]["name"], "checkout-flags");

  // Events, each reported by this process (the last one follows the status write: wait for it).
  EXPECT_TRUE(hasEvent("checkout", "RolloutSucceeded"));
  std::vector<std::string> reasons;
  for (auto& e : events("checkout")) {
    reasons.push_back(e.value("reason", ""));
    EXPECT_EQ(e.value("reportingComponent", ""), "feature-rollout-operator");
    EXPECT_EQ(e.value("reportingInstance", ""), op.identity()) << e.dump();
  }
  for (const char* r : {"PhaseStarted", "StepAdvanced", "PhaseCompleted", "RolloutSucceeded"})
    EXPECT_TRUE(has(reasons, r)) << r;

  // Deletion: the injection goes, the finalizer goes, the garbage collector takes the ConfigMap.
  ASSERT_TRUE(client->remove(Resource::featureRollouts(), ns, "checkout").ok());
  bool gone = false;
  for (auto deadline = Clock::now() + 20s; !gone && Clock::now() < deadline;) {
    auto g = client->get(Resource::featureRollouts(), ns, "checkout");
    gone = !g.ok() && kube::ApiError::isNotFound(g.error());
    if (!gone) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(gone) << "the finalizer was not removed:\n" << op.proc->log();
  d = client->get(Resource::deployments(), ns, "web");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->value("/spec/template/metadata/annotations"_json_pointer, json::object()).contains(names::kChecksumAnnotation));
  EXPECT_EQ((*d)["spec"]["template"]["spec"]["containers"][0]["envFrom"].size(), 1u);
  bool cmGone = false;
  for (auto deadline = Clock::now() + 30s; !cmGone && Clock::now() < deadline;) {
    auto g = client->get(Resource::configMaps(), ns, "checkout-flags");
    cmGone = !g.ok() && kube::ApiError::isNotFound(g.error());
    if (!cmGone) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(cmGone) << "ConfigMap checkout-flags was not garbage-collected";

  // Take `patch` on apps workloads away from the Role the chart rendered.
  auto role = client->get(Resource{"rbac.authorization.k8s.io", "v1", "roles", true}, ns, sa);
  ASSERT_TRUE(role.ok()) << role.error().message;
  bool removed = false;
  for (auto& rule : (*role)["rules"])
    if (rule["apiGroups"] == json::array({"apps"})) {
      json verbs = json::array();
      for (auto& v : rule["verbs"])
        if (v != "patch") verbs.push_back(v);
        else removed = true;
      rule["verbs"] = verbs;
    }
  ASSERT_TRUE(removed) << role->dump();
  auto u = client->update(Resource{"rbac.authorization.k8s.io", "v1", "roles", true}, *role);
  ASSERT_TRUE(u.ok()) << u.error().message;
  // The authorizer sees it a moment later.
  for (auto deadline = Clock::now() + 10s; Clock::now() < deadline;) {
    auto c = testing::sh("kubectl auth can-i patch deployments.apps -n " + ns + " --as system:serviceaccount:" + releaseNs +
                         ":" + sa);
    if (testing::trimmed(c.out) == "no") break;
    std::this_thread::sleep_for(100ms);
  }

  createDeployment("api");
  json spec = json::parse(testing::kTwoPhaseSpec);
  spec["targets"][0]["name"] = "api";
  createRollout(spec, "second");
  auto forbidden = op.waitFor(
      [](const json& r) {
        std::string e = r.value("error", "");
        return (r.value("level", "") == "warn" || r.value("level", "") == "error") &&
               e.find("forbidden") != std::string::npos &&
               e.find("cannot patch resource \"deployments\" in API group \"apps\"") != std::string::npos;
      },
      20s);
  ASSERT_TRUE(forbidden.has_value()) << "no Forbidden record naming the verb and resource:\n" << op.proc->log();
  std::printf("[ log    ] %s\n", forbidden->dump().c_str());
  std::string err = (*forbidden)["error"];
  EXPECT_NE(err.find("Deployment api"), std::string::npos) << "names the workload: " << err;
  EXPECT_NE(err.find("403"), std::string::npos) << err;
  EXPECT_NE(err.find("system:serviceaccount:" + releaseNs + ":" + sa), std::string::npos) << "names who: " << err;
  EXPECT_NE(forbidden->value("rollout", ""), "") << "names the rollout: " << forbidden->dump();

  // It does not advance (the step's 1 s pause passes three times over) and the process lives on.
  std::this_thread::sleep_for(3s);
  auto second = client->get(Resource::featureRollouts(), ns, "second");
  ASSERT_TRUE(second.ok());
  std::printf("[ status ] state=%s step=%d message=%s\n", second->value("/status/state"_json_pointer, std::string()).c_str(),
              second->value("/status/step"_json_pointer, -1), second->value("/status/message"_json_pointer, std::string()).c_str());
  for (auto& c : second->value("/status/conditions"_json_pointer, json::array()))
    std::printf("[ cond   ] %s=%s %s: %s\n", c.value("type", "").c_str(), c.value("status", "").c_str(),
                c.value("reason", "").c_str(), c.value("message", "").c_str());
  std::vector<std::string> secondReasons;
  for (auto& e : events("second")) {
    secondReasons.push_back(e.value("reason", ""));
    std::printf("[ event  ] %s %s: %s\n", e.value("type", "").c_str(), e.value("reason", "").c_str(),
                e.value("message", "").c_str());
  }
  // kubectl describe shows why: a Warning Event naming the verb and resource.
  bool warned = false;
  for (auto& e : events("second"))
    warned = warned || (e.value("type", "") == "Warning" && e.value("reason", "") == "WriteFailed" &&
                        e.value("message", "").find("cannot patch resource \"deployments\" in API group \"apps\"") !=
                            std::string::npos);
  EXPECT_TRUE(warned) << "no Warning Event about the missing permission";
  // Issue 17: nothing reached the workload, so no Event may say a phase started for its users.
  EXPECT_EQ(std::count(secondReasons.begin(), secondReasons.end(), "PhaseStarted"), 0)
      << "a transition Event for values that were never written";
  // And status says so too (kstatus: Failed), instead of "making progress".
  std::string stalledReason, stalledMessage;
  for (auto& c : second->value("/status/conditions"_json_pointer, json::array()))
    if (c.value("type", "") == "Stalled" && c.value("status", "") == "True")
      stalledReason = c.value("reason", ""), stalledMessage = c.value("message", "");
  EXPECT_EQ(stalledReason, "WriteFailed");
  EXPECT_NE(stalledMessage.find("cannot patch resource \"deployments\""), std::string::npos) << stalledMessage;
  EXPECT_EQ(second->value("/status/step"_json_pointer, -1), 0);
  EXPECT_EQ(second->value("/status/phaseIndex"_json_pointer, -1), 0);
  EXPECT_FALSE(isState(*second, "Succeeded"));
  EXPECT_FALSE(has(secondReasons, "StepAdvanced"));
  auto api = client->get(Resource::deployments(), ns, "api");
  ASSERT_TRUE(api.ok());
  EXPECT_FALSE(api->value("/spec/template/metadata/annotations"_json_pointer, json::object()).contains(names::kChecksumAnnotation))
      << "the Deployment was changed without permission";
  EXPECT_TRUE(op.proc->running()) << "the operator exited:\n" << op.proc->log();
  auto h = probe(op, "/healthz");
  EXPECT_TRUE(h.ok() && h->status == 200);
  expectNoTokenIn(op);
}

// 2. Two processes, one Lease: one leads and only it reconciles; SIGKILL it mid-rollout and the
//    standby takes over within the lease duration and finishes without repeating or skipping a step.
TEST_F(OperatorProcess, LeaderElectionOneReconcilesAndTheStandbyTakesOverAfterSigkill) {
  Operator& a = startOperator("a", leaderArgs());
  Operator& b = startOperator("b", leaderArgs());
  ASSERT_NO_FATAL_FAILURE(waitRunning(a));
  ASSERT_NO_FATAL_FAILURE(waitRunning(b));
  ASSERT_NE(a.identity(), b.identity());
  auto deadline = Clock::now() + 15s;
  while (Clock::now() < deadline && !a.becameLeader() && !b.becameLeader()) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(a.becameLeader() || b.becameLeader()) << "no leader within 15s:\n" << a.proc->log() << b.proc->log();
  Operator& leader = a.becameLeader() ? a : b;
  Operator& standby = a.becameLeader() ? b : a;
  std::printf("[ leader ] %s (%s); standby %s (%s)\n", leader.label.c_str(), leader.identity().c_str(), standby.label.c_str(),
              standby.identity().c_str());
  EXPECT_EQ(leaseHolder(), leader.identity());
  EXPECT_EQ(leader.find(Operator::msg("became the leader; starting workers"))->value("lease", ""), releaseNs + "/" + leaseName);
  auto seen = standby.waitFor([&](const json& r) { return r.value("msg", "") == "leader elected" && r.value("leader", "") == leader.identity(); }, 5s);
  EXPECT_TRUE(seen.has_value()) << "the standby does not name the leader:\n" << standby.proc->log();

  createDeployment("web");
  createRollout(threeStepSpec("8s"));
  waitFor("checkout", [](const json& o) { return o.value("/status/step"_json_pointer, 0) == 1; }, 40s, "step 1");
  EXPECT_FALSE(standby.becameLeader());
  EXPECT_FALSE(standby.find([](const json& r) { return r.contains("rollout"); }).has_value())
      << "the standby reconciled:\n" << standby.proc->log();
  EXPECT_TRUE(leader.find([](const json& r) { return r.value("rollout", "") != ""; }).has_value());
  for (auto& e : events("checkout")) EXPECT_EQ(e.value("reportingInstance", ""), leader.identity()) << e.dump();
  auto mf = client->get(Resource::featureRollouts(), ns, "checkout");
  ASSERT_TRUE(mf.ok());
  json managers = json::array();
  for (auto& f : (*mf)["metadata"]["managedFields"]) managers.push_back(f.value("manager", ""));
  std::printf("[ fields ] managedFields managers of the rollout: %s\n", managers.dump().c_str());

  // SIGKILL: no release, the standby must wait the lease out. Mid-rollout, or the test proves nothing.
  auto before = client->get(Resource::featureRollouts(), ns, "checkout");
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->value("/status/step"_json_pointer, -1), 1) << "the rollout moved on before the kill";
  std::string lastRenew = lease().value("/spec/renewTime"_json_pointer, std::string());
  auto killed = Clock::now();
  leader.proc->signal(SIGKILL);
  ASSERT_TRUE(leader.proc->waitExit(2s).has_value());
  long long failover = -1;
  for (auto until = Clock::now() + 10s; Clock::now() < until;) {
    if (leaseHolder() == standby.identity()) {
      failover = msSince(killed);
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_GE(failover, 0) << "the standby did not take the Lease within 10s:\n" << standby.proc->log();
  json l = lease();
  std::printf("[ figure ] failover: standby holds the Lease %lld ms after SIGKILL (lease 3s, retry 500ms); "
              "leader's last renewTime %s, standby acquireTime %s, leaseTransitions %d\n",
              failover, lastRenew.c_str(), l.value("/spec/acquireTime"_json_pointer, std::string()).c_str(),
              l.value("/spec/leaseTransitions"_json_pointer, -1));
  EXPECT_LE(failover, 3000 + 2 * 500 + 500) << "longer than the lease duration plus two retry periods";
  EXPECT_TRUE(standby.waitFor(Operator::msg("became the leader; starting workers"), 2s).has_value());

  json fr = waitFor("checkout", [](const json& o) { return isState(o, "Succeeded"); }, 60s, "state Succeeded after failover");
  EXPECT_EQ(historyPath(fr), kThreeStepPath) << "a step was repeated or skipped";
  int advanced = 0;
  for (auto& h : fr["status"]["history"]) advanced += h["reason"] == "StepAdvanced";
  EXPECT_EQ(advanced, 2);
  // The Event follows the status write that the wait above saw: give it a moment to land.
  bool successByStandby = false, successSeen = false;
  for (auto until = Clock::now() + 5s; !successSeen && Clock::now() < until;) {
    for (auto& e : events("checkout")) {
      std::string who = e.value("reportingInstance", "");
      EXPECT_TRUE(who == leader.identity() || who == standby.identity()) << e.dump();
      if (e.value("reason", "") == "RolloutSucceeded") successSeen = true, successByStandby = who == standby.identity();
    }
    if (!successSeen) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(successSeen) << "no RolloutSucceeded Event";
  EXPECT_TRUE(successByStandby) << "the new leader finished the rollout";
  EXPECT_EQ(standby.proc->terminate(10s), std::optional<int>(0)) << standby.proc->log();
  expectNoTokenIn(leader);
  expectNoTokenIn(standby);
}

// 3. SIGTERM mid-rollout: exit 0 promptly, the Lease released, and a new process continues.
TEST_F(OperatorProcess, SigtermMidRolloutExitsZeroReleasesTheLeaseAndANewProcessContinues) {
  Operator& first = startOperator("first", leaderArgs());
  ASSERT_NO_FATAL_FAILURE(waitRunning(first));
  auto led = first.waitFor(Operator::msg("became the leader; starting workers"), 15s);
  ASSERT_TRUE(led.has_value()) << first.proc->log();
  EXPECT_EQ(led->value("lease", ""), releaseNs + "/" + leaseName) << "the record names the Lease it holds";
  createDeployment("web");
  createRollout(threeStepSpec("6s"));
  waitFor("checkout", [](const json& o) { return o.value("/status/step"_json_pointer, 0) == 1; }, 40s, "step 1");
  EXPECT_EQ(leaseHolder(), first.identity());

  auto t0 = Clock::now();
  auto code = first.proc->terminate(15s);
  long long shutdownMs = msSince(t0);
  ASSERT_TRUE(code.has_value()) << "still running 15s after SIGTERM:\n" << first.proc->log();
  std::printf("[ figure ] shutdown: exit code %d %lld ms after SIGTERM\n", *code, shutdownMs);
  EXPECT_EQ(*code, 0) << first.proc->log();
  EXPECT_LT(shutdownMs, 5000);
  EXPECT_TRUE(first.find(Operator::msg("released the lease")).has_value()) << first.proc->log();
  EXPECT_TRUE(first.find(Operator::msg("stopped")).has_value());
  json l = lease();
  EXPECT_EQ(l.value("/spec/holderIdentity"_json_pointer, std::string()), "") << l["spec"].dump();
  EXPECT_EQ(l.value("/spec/leaseDurationSeconds"_json_pointer, 0), 1) << l["spec"].dump();
  auto mid = client->get(Resource::featureRollouts(), ns, "checkout");
  ASSERT_TRUE(mid.ok());
  std::printf("[ state  ] after SIGTERM: %s step %d\n", mid->value("/status/state"_json_pointer, std::string()).c_str(),
              mid->value("/status/step"_json_pointer, -1));
  EXPECT_FALSE(isState(*mid, "Succeeded")) << "SIGTERM was meant to land mid-rollout";

  // A released Lease is taken at once, not after the lease duration.
  auto t1 = Clock::now();
  Operator& second = startOperator("second", leaderArgs());
  ASSERT_TRUE(second.waitFor(Operator::msg("became the leader; starting workers"), 10s).has_value()) << second.proc->log();
  long long acquireMs = msSince(t1);
  std::printf("[ figure ] a new process leads %lld ms after it was started\n", acquireMs);
  EXPECT_LT(acquireMs, 3000) << "it waited for the lease to expire: the Lease was not released";
  EXPECT_EQ(leaseHolder(), second.identity());

  json fr = waitFor("checkout", [](const json& o) { return isState(o, "Succeeded"); }, 60s, "state Succeeded after restart");
  EXPECT_EQ(historyPath(fr), kThreeStepPath) << "a step was repeated or skipped";
  EXPECT_EQ(second.proc->terminate(15s), std::optional<int>(0));
  expectNoTokenIn(first);
  expectNoTokenIn(second);
}

// 4. The metrics endpoint through the real Prometheus (file_sd), matching the rollout's status; probes.
TEST_F(OperatorProcess, MetricsThroughPrometheusMatchTheRolloutsStatus) {
  std::string promUrl = env("PROMETHEUS_URL"), targetsDir = env("PROMETHEUS_TARGETS_DIR");
  ASSERT_FALSE(promUrl.empty() || targetsDir.empty()) << "PROMETHEUS_URL / PROMETHEUS_TARGETS_DIR not set";
  Operator& op = startOperator("metrics");
  ASSERT_NO_FATAL_FAILURE(waitRunning(op));
  // "running" is logged after the caches synced: both probes answer 200 from then on.
  for (const char* path : {"/readyz", "/healthz"}) {
    auto r = probe(op, path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    EXPECT_EQ(r->body, "ok") << path;
  }
  auto verbose = probe(op, "/readyz?verbose");
  ASSERT_TRUE(verbose.ok());
  EXPECT_NE(verbose->body.find("informers ok"), std::string::npos) << verbose->body;

  std::string job = "fro-proc-" + ns;
  targetFile = targetsDir + "/" + job + ".json";
  std::ofstream(targetFile + ".tmp")
      << json::array({{{"targets", {"127.0.0.1:" + std::to_string(op.metricsPort)}}, {"labels", {{"job", job}}}}}).dump();
  std::filesystem::rename(targetFile + ".tmp", targetFile);

  createDeployment("web");
  createRollout(json::parse(testing::kTwoPhaseSpec));
  json fr = waitFor("checkout", [](const json& o) { return isState(o, "Succeeded"); }, 60s, "state Succeeded");

  auto query = [&](const std::string& q) -> json {
    http::HttpRequest req;
    req.url = promUrl + "/api/v1/query?query=" + urlEncode(q);
    req.timeout = 5s;
    auto r = plain.send(req);
    if (!r.ok() || r->status != 200) return json::array();
    auto j = json::parse(r->body, nullptr, false);
    return j.is_discarded() ? json::array() : j.value("/data/result"_json_pointer, json::array());
  };
  std::string sel = "job=\"" + job + "\",rollout=\"checkout\"";
  auto scraped = Clock::now();
  json states;
  for (auto deadline = Clock::now() + 30s; Clock::now() < deadline;) {
    states = query("fro_rollout_state{" + sel + "} == 1");
    if (states.size() == 1 && states[0]["metric"]["state"] == "Succeeded") break;
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_EQ(states.size(), 1u) << "Prometheus has no current state for the rollout: " << states.dump();
  std::printf("[ figure ] Prometheus shows state Succeeded %lld ms after the status did\n", msSince(scraped));
  EXPECT_EQ(states[0]["metric"]["state"], fr["status"]["state"]);
  EXPECT_EQ(states[0]["metric"]["namespace"], ns);

  std::map<std::string, double> want, got;
  for (auto& f : fr["status"]["flags"]) want[f["name"]] = f["percent"].get<double>();
  for (auto& s : query("fro_flag_percent{" + sel + "}")) got[s["metric"]["flag"]] = std::stod(s["value"][1].get<std::string>());
  EXPECT_EQ(got, want) << "fro_flag_percent vs status.flags";
  EXPECT_EQ(want["new-checkout"], 100);
  EXPECT_EQ(want["old-cart"], 0);
  auto one = [&](const std::string& q) {
    auto r = query(q);
    return r.size() == 1 ? std::stod(r[0]["value"][1].get<std::string>()) : -1.0;
  };
  EXPECT_EQ(one("fro_rollout_phase_index{" + sel + "}"), fr["status"]["phaseIndex"].get<double>());
  EXPECT_EQ(one("fro_rollout_step{" + sel + "}"), fr["status"]["step"].get<double>());
  EXPECT_EQ(one("sum(fro_rollout_state{" + sel + "})"), 1.0) << "one-hot";
  EXPECT_EQ(one("fro_leader{job=\"" + job + "\"}"), 1.0);
  double reconciles = one("fro_reconcile_total{job=\"" + job + "\",result=\"success\"}");
  double errors = one("fro_reconcile_total{job=\"" + job + "\",result=\"error\"}");
  std::printf("[ metric ] fro_reconcile_total success=%g error=%g\n", reconciles, errors);
  EXPECT_GE(reconciles, 1.0);
  EXPECT_EQ(errors, 0.0);
  EXPECT_EQ(one("up{job=\"" + job + "\"}"), 1.0);
  // The scraped counter is not ahead of the process's own /metrics.
  http::HttpRequest mreq;
  mreq.url = "http://127.0.0.1:" + std::to_string(op.metricsPort) + "/metrics";
  auto m = plain.send(mreq);
  ASSERT_TRUE(m.ok() && m->status == 200);
  auto pos = m->body.find("fro_reconcile_total{result=\"success\"} ");
  ASSERT_NE(pos, std::string::npos) << m->body;
  EXPECT_GE(std::stod(m->body.substr(pos + std::string("fro_reconcile_total{result=\"success\"} ").size())), reconciles);
  expectNoTokenIn(op);
}

}  // namespace
}  // namespace fro
