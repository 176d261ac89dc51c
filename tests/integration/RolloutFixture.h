#pragma once
// Shared by the FeatureRollout end-to-end tests: installs the product CRD, runs the controller
// in-process against the local control plane, creates Deployments and rollouts, and waits on
// what a user would look at (status, Events).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <thread>

#include "runtime/events/EventRecorder.h"
#include "runtime/kube/ApiError.h"
#include "runtime/kube/Resource.h"
#include "rollout/planner/Annotations.h"
#include "rollout/controller/FeatureRolloutController.h"
#include "tests/integration/IntegrationEnv.h"
#include "tests/support/FeatureRolloutCrd.h"
#include "tests/support/YamlJson.h"

namespace fro::testing {

using json = nlohmann::json;
using kube::Resource;
using namespace std::chrono_literals;

// The rollout most end-to-end tests run: Deployment web (containers app, sidecar; see
// createDeployment), two phases, a 1 s pause, no gates.
inline const char* kTwoPhaseSpec = R"({
  "targets": [{"kind": "Deployment", "name": "web", "containers": ["app"]}],
  "flags": [{"name": "new-checkout", "envVar": "NEW_CHECKOUT"}, {"name": "old-cart", "envVar": "OLD_CART", "default": true}],
  "phases": [
    {"name": "checkout", "enable": ["new-checkout"], "steps": [{"percent": 20, "pause": "1s"}, {"percent": 100}]},
    {"name": "cleanup", "enable": [], "disable": ["old-cart"], "steps": [{"percent": 100}]}]})";

// A provider for rollouts without gates (these tests); gate evaluation has its own tests.
class NoGates : public rollout::GateProvider {
 public:
  void want(const std::string&, const rollout::GateRequest&) override {}
  void forget(const std::string&) override {}
  std::vector<rollout::GateObservation> observe(const std::string&) const override { return {}; }
};

class RolloutFixture : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (HasFatalFailure()) return;
    installCrd();
    ns = createNamespace("rollout");
    recorder = std::make_unique<events::EventRecorder>(*client, events::EventRecorder::Options{});
  }
  void TearDown() override {
    stopController();
    // With no controller left to finalize them, rollouts would hold their namespace in
    // Terminating forever: drop our finalizer so the namespace can go.
    if (client && !ns.empty()) dropRolloutFinalizers(*client, ns);
    IntegrationTest::TearDown();
  }

  void installCrd() { installFeatureRolloutCrd(*client); }

  void startController() {
    rollout::FeatureRolloutController::Options o;
    o.namespaces = {ns};
    o.workers = 2;
    o.reconciler.log = [this](const std::string& level, const std::string& msg, const json& f) {
      std::lock_guard<std::mutex> l(logMu);
      logs.push_back(level + " " + msg + " " + f.dump());
    };
    controller = std::make_unique<rollout::FeatureRolloutController>(*client, gateProvider(), *recorder, o);
    controller->start();
    ASSERT_TRUE(controller->waitForSync(20s));
    controller->startWorkers();
  }
  void stopController() {
    if (controller) controller->stop(5s);
    controller.reset();
  }

  void createDeployment(const std::string& name, int replicas = 2) {
    json d = json::parse(R"({
      "apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "web"},
      "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
          "spec": {"containers": [
            {"name": "app", "image": "registry.invalid/web:1", "envFrom": [{"secretRef": {"name": "app-secrets", "optional": true}}]},
            {"name": "sidecar", "image": "registry.invalid/proxy:1"}]}}}})");
    d["metadata"]["name"] = name;
    d["spec"]["replicas"] = replicas;
    d["spec"]["selector"]["matchLabels"]["app"] = name;
    d["spec"]["template"]["metadata"]["labels"]["app"] = name;
    auto r = client->create(Resource::deployments(), ns, d);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  // A spec without spec.delivery gets the default delivery (file and env, restart on boolean
  // change) with no propagation allowance: kwok pods read no files, so waiting for kubelet's sync
  // would only slow every step down by 90s.
  json createRollout(json spec, const std::string& name = "checkout") {
    if (!spec.contains("delivery")) spec["delivery"] = {{"propagation", {{"allowance", "0s"}}}};
    json fr = {{"apiVersion", "rollouts.featureflags.dev/v1alpha1"},
               {"kind", "FeatureRollout"},
               {"metadata", {{"name", name}}},
               {"spec", spec}};
    auto r = client->create(Resource::featureRollouts(), ns, fr);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : json();
  }

  // Polls the resource until pred holds; returns the last version seen.
  json waitFor(const std::string& name, const std::function<bool(const json&)>& pred, std::chrono::seconds timeout,
               const std::string& what) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    json last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = client->get(Resource::featureRollouts(), ns, name);
      if (r.ok()) {
        last = *r;
        if (pred(last)) return last;
      }
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "timed out waiting for " << what << "; last status: " << last.value("status", json()).dump(1);
    return last;
  }

  std::string condition(const json& fr, const std::string& type, const char* field = "status") {
    for (auto& c : fr.value("/status/conditions"_json_pointer, json::array()))
      if (c["type"] == type) return c[field];
    return "";
  }

  std::vector<std::string> eventReasons(const std::string& name) {
    kube::ListOptions lo;
    lo.fieldSelector = "involvedObject.name=" + name;
    auto l = client->list(Resource::coreEvents(), ns, lo);
    std::vector<std::string> out;
    if (l.ok())
      for (auto& e : (*l)["items"]) out.push_back(e.value("reason", ""));
    return out;
  }

  // Events are recorded right after the status write a test waits for: poll a little.
  bool hasEvent(const std::string& name, const std::string& reason, std::chrono::milliseconds timeout = 5s) {
    for (auto until = std::chrono::steady_clock::now() + timeout;;) {
      if (has(eventReasons(name), reason)) return true;
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(100ms);
    }
  }

  static bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }

  // The gate provider the controller uses (tests with real gates override it).
  virtual rollout::GateProvider& gateProvider() { return noGates; }

  std::string ns;
  NoGates noGates;
  std::unique_ptr<events::EventRecorder> recorder;
  std::unique_ptr<rollout::FeatureRolloutController> controller;
  std::mutex logMu;
  std::vector<std::string> logs;
};

}  // namespace fro::testing
