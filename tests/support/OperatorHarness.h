#pragma once
// The operator PROCESS (build-*/bin/feature-rollout-operator) against the local control plane, for
// the fault and at-rest tests of issue 11 (KillMatrixTest, AtRestTest):
//  - the product CRD, a fresh namespace, the chart's own RBAC for that namespace and a
//    ServiceAccount token kubeconfig (never the admin kubeconfig) for the operator;
//  - the operator run with --watch-namespaces <ns>, its JSON log in a file per incarnation;
//  - a fence on the namespace (NamespaceFence.h), so that only the operator under test acts there.
//    The test client itself only creates and deletes; an edit goes through kubectl impersonating a
//    system: user (patchAsSystemUser).
// FRO_KEEP_FAILED=1 leaves a failed test's namespaces, fence and logs in place for a look.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/kube/ApiError.h"
#include "runtime/kube/Resource.h"
#include "tests/integration/IntegrationEnv.h"
#include "tests/support/ChartRbac.h"
#include "tests/support/FeatureRolloutCrd.h"
#include "tests/support/NamespaceFence.h"
#include "tests/support/ObjectEvents.h"
#include "tests/support/RunningOperator.h"
#include "tests/support/ShellCommand.h"
#include "tests/support/TokenKubeconfig.h"

namespace fro::testing::harness {

using json = nlohmann::json;
using kube::Resource;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Operator = RunningOperator;

inline long long msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

class OperatorHarness : public IntegrationTest {
 protected:
  // What the fence's denial says (and how the test sees that it is active).
  virtual std::string fenceOwner() const = 0;

  void SetUp() override {
    IntegrationTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(requireHelmAndKubectl());
    ASSERT_NO_FATAL_FAILURE(installFeatureRolloutCrd(*client));
    ns = createNamespace("rollout");
    releaseNs = createNamespace("fro-system");
    fenceName = "fro-fence-" + ns;
    ASSERT_NO_FATAL_FAILURE(installNamespaceFence(*client, fenceName, ns, fenceOwner()));
    ASSERT_NO_FATAL_FAILURE(installChartRbac());
    ASSERT_NO_FATAL_FAILURE(writeServiceAccountKubeconfig());
  }

  void TearDown() override {
    if (std::getenv("FRO_KEEP_FAILED") && HasFailure()) {
      std::printf("[ kept   ] namespaces %s and %s, fence %s, operator logs %s/operator-%s-*.log (FRO_KEEP_FAILED)\n",
                  ns.c_str(), releaseNs.c_str(), fenceName.c_str(), ::testing::TempDir().c_str(), ns.c_str());
      terminateAll(operators, 10s);
      return;
    }
    // Rollouts go first while an operator can still finalize them, then the process, then the
    // fence; whatever finalizer is left is stripped so the namespace can go.
    if (client && !ns.empty() && !kubeconfig.empty()) {
      if (current() == nullptr || !current()->proc->running()) startOperator("teardown");
      if (auto l = client->list(Resource::featureRollouts(), ns); l.ok())
        for (auto& fr : (*l)["items"]) (void)client->remove(Resource::featureRollouts(), ns, fr["metadata"].value("name", ""));
      for (auto until = Clock::now() + 10s; Clock::now() < until;) {
        auto l = client->list(Resource::featureRollouts(), ns);
        if (!l.ok() || (*l)["items"].empty()) break;
        std::this_thread::sleep_for(100ms);
      }
    }
    terminateAll(operators, 10s);
    operators.clear();
    if (!fenceName.empty()) removeNamespaceFence(*client, fenceName);
    if (client && !ns.empty()) dropRolloutFinalizers(*client, ns);
    if (!kubeconfig.empty()) std::filesystem::remove(kubeconfig);
    if (!rbacFile.empty()) std::filesystem::remove(rbacFile);
    IntegrationTest::TearDown();
  }

  // The chart's ServiceAccount and RBAC for watchNamespaces={ns}.
  void installChartRbac() {
    rbacFile = std::string(::testing::TempDir()) + "/rbac-" + ns + ".yaml";
    ASSERT_NO_FATAL_FAILURE(renderChartRbac(releaseNs, ns, rbacFile));
    ShellResult applied;
    ASSERT_NO_FATAL_FAILURE(applyManifest(rbacFile, applied));
  }

  // A TokenRequest token of the chart's ServiceAccount, with the cluster's server and CA.
  void writeServiceAccountKubeconfig() {
    std::string token;
    ASSERT_NO_FATAL_FAILURE(serviceAccountToken(sa, releaseNs, token));
    ASSERT_EQ(std::count(token.begin(), token.end(), '.'), 2) << "not a JWT";
    ClusterEndpoint cluster;
    ASSERT_NO_FATAL_FAILURE(adminCluster(cluster));
    ASSERT_TRUE(cluster.server.rfind("https://127.0.0.1:", 0) == 0 || cluster.server.rfind("https://localhost:", 0) == 0)
        << "the API server is not on loopback: " << cluster.server;
    kubeconfig = std::string(::testing::TempDir()) + "/kubeconfig-" + ns;
    writeTokenKubeconfig(kubeconfig, cluster.server, cluster.caLines, sa, token);
  }

  // A new operator process (the previous one must have exited), restricted to the test namespace.
  Operator& startOperator(const std::string& label, const std::vector<std::string>& extra = {}) {
    std::string logPath = std::string(::testing::TempDir()) + "/operator-" + ns + "-" + label + ".log";
    operators.push_back(Operator::start(label, kubeconfig, ns, logPath, "5s", extra));
    return *operators.back();
  }
  Operator* current() { return operators.empty() ? nullptr : operators.back().get(); }

  // It logged "running" (after its caches synced).
  bool waitRunning(Operator& op, std::chrono::milliseconds limit = 20s) {
    for (auto deadline = Clock::now() + limit; Clock::now() < deadline;) {
      if (op.logged("running")) return true;
      if (!op.proc->running()) return false;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  void createDeployment(const std::string& name, int replicas = 1) {
    json d = {{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", name}}},
              {"spec",
               {{"replicas", replicas},
                {"selector", {{"matchLabels", {{"app", name}}}}},
                {"template",
                 {{"metadata", {{"labels", {{"app", name}}}}},
                  {"spec", {{"containers", {{{"name", "app"}, {"image", "registry.invalid/" + name + ":1"}}}}}}}}}}};
    auto r = client->create(Resource::deployments(), ns, d);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  // A spec without spec.delivery gets the default delivery with no propagation allowance (kwok
  // pods read no files: the 90s default would only slow every step down).
  json createRollout(const json& spec, const std::string& name) {
    json fr = {{"apiVersion", "rollouts.featureflags.dev/v1alpha1"},
               {"kind", "FeatureRollout"},
               {"metadata", {{"name", name}}},
               {"spec", spec}};
    if (!spec.contains("delivery")) fr["spec"]["delivery"] = {{"propagation", {{"allowance", "0s"}}}};
    auto r = client->create(Resource::featureRollouts(), ns, fr);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : json();
  }

  // Edits go through kubectl as a system: user (the fence lets only those write here).
  ShellResult patchAsSystemUser(const std::string& resource, const std::string& name, const json& mergePatch) {
    return sh("kubectl patch " + resource + " " + name + " -n " + ns + " --type merge -p '" + mergePatch.dump() +
              "' --as system:fro-test-editor --as-group system:masters");
  }

  json rollout(const std::string& name) {
    auto r = client->get(Resource::featureRollouts(), ns, name);
    return r.ok() ? *r : json();
  }

  // core/v1 Events of one object in the test namespace.
  std::vector<json> eventsOf(const std::string& name) { return eventsAbout(*client, ns, name); }

  std::string ns, releaseNs, fenceName, rbacFile, kubeconfig;
  const std::string sa = kChartServiceAccount;
  std::vector<std::unique_ptr<Operator>> operators;
};

}  // namespace fro::testing::harness
