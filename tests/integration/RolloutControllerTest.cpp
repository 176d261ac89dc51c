// The FeatureRollout controller against the real control plane: the product CRD, a Deployment
// whose pods kwok makes Ready, and the controller running in-process with its informers, queue
// and workers. Asserts what a user sees: status, the ConfigMap, the pod template, Events.
#include <gtest/gtest.h>

#include <thread>

#include "rollout/controller/ChildWriter.h"
#include "tests/integration/RolloutFixture.h"

namespace fro {
namespace {

using json = nlohmann::json;
using kube::Resource;
using namespace std::chrono_literals;
namespace names = rollout::names;

class RolloutController : public testing::RolloutFixture {};


TEST_F(RolloutController, RunsEveryPhaseToSucceededAndDeliversTheValues) {
  createDeployment("web");
  startController();
  createRollout(json::parse(testing::kTwoPhaseSpec));

  json fr = waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Succeeded"; },
                    90s, "state Succeeded");
  EXPECT_EQ(condition(fr, "Ready"), "True");
  EXPECT_EQ(condition(fr, "Stalled"), "False");
  EXPECT_EQ(fr["status"]["observedGeneration"], fr["metadata"]["generation"]);
  std::vector<std::string> steps;
  for (auto& h : fr["status"]["history"]) steps.push_back(h.value("reason", "") + ":" + h.value("phase", "") + "/" + std::to_string(h.value("step", 0)));
  std::string path;
  for (auto& s : steps) path += s + " ";
  EXPECT_EQ(path,
            "PhaseStarted:checkout/0 StepActive:checkout/0 StepAdvanced:checkout/1 StepActive:checkout/1 "
            "PhaseCompleted:checkout/1 PhaseStarted:cleanup/0 StepActive:cleanup/0 PhaseCompleted:cleanup/0 "
            "RolloutSucceeded:cleanup/0 ");

  // The ConfigMap, owned by the rollout.
  auto cm = client->get(Resource::configMaps(), ns, "checkout-flags");
  ASSERT_TRUE(cm.ok()) << cm.error().message;
  EXPECT_EQ((*cm)["data"]["NEW_CHECKOUT"], "true");
  EXPECT_EQ((*cm)["data"]["NEW_CHECKOUT_PERCENT"], "100");
  EXPECT_EQ((*cm)["data"]["OLD_CART"], "false");
  EXPECT_TRUE((*cm)["data"].contains("flags.flagd.json"));
  EXPECT_EQ((*cm)["metadata"]["ownerReferences"][0]["uid"], fr["metadata"]["uid"]);
  EXPECT_EQ((*cm)["metadata"]["ownerReferences"][0]["controller"], true);

  // The pod template: our envFrom next to the user's, on the chosen container only; the checksum.
  auto d = client->get(Resource::deployments(), ns, "web");
  ASSERT_TRUE(d.ok());
  auto& tmpl = (*d)["spec"]["template"];
  EXPECT_EQ(tmpl["metadata"]["annotations"][names::kChecksumAnnotation], fr["status"]["checksum"]);
  auto& app = tmpl["spec"]["containers"][0];
  ASSERT_EQ(app["envFrom"].size(), 2u) << app.dump();
  EXPECT_EQ(app["envFrom"][0]["secretRef"]["name"], "app-secrets") << "the user's envFrom is kept";
  EXPECT_EQ(app["envFrom"][1]["configMapRef"]["name"], "checkout-flags");
  EXPECT_EQ(app["envFrom"][1]["configMapRef"]["optional"], true);
  EXPECT_FALSE(tmpl["spec"]["containers"][1].contains("envFrom")) << "sidecar was not chosen";
  EXPECT_EQ((*d)["status"].value("updatedReplicas", 0), 2);
  // The pods (kwok runs them) rolled with the new template: they carry the ConfigMap.
  kube::ListOptions lo;
  lo.labelSelector = "app=web";
  auto pods = client->list(Resource::pods(), ns, lo);
  ASSERT_TRUE(pods.ok());
  int withFlags = 0;
  for (auto& p : (*pods)["items"]) {
    if (p["metadata"].contains("deletionTimestamp")) continue;
    for (auto& e : p["spec"]["containers"][0].value("envFrom", json::array()))
      if (e.value("/configMapRef/name"_json_pointer, std::string()) == "checkout-flags") ++withFlags;
    EXPECT_EQ(p["metadata"]["annotations"].value(names::kChecksumAnnotation, ""), fr["status"]["checksum"]);
  }
  EXPECT_EQ(withFlags, 2) << "both pods run with envFrom checkout-flags";

  for (const char* r : {"PhaseStarted", "StepAdvanced", "PhaseCompleted", "RolloutSucceeded"})
    EXPECT_TRUE(hasEvent("checkout", r)) << r;
}

TEST_F(RolloutController, DeletionRemovesTheInjectionBeforeTheConfigMapGoes) {
  createDeployment("web");
  startController();
  createRollout(json::parse(testing::kTwoPhaseSpec));
  waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Succeeded"; }, 90s,
          "state Succeeded");
  auto fr = client->get(Resource::featureRollouts(), ns, "checkout");
  ASSERT_TRUE(fr.ok());
  EXPECT_EQ((*fr)["metadata"]["finalizers"][0], names::kFinalizer);

  ASSERT_TRUE(client->remove(Resource::featureRollouts(), ns, "checkout").ok());
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    auto g = client->get(Resource::featureRollouts(), ns, "checkout");
    gone = !g.ok() && kube::ApiError::isNotFound(g.error());
    if (!gone) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(gone) << "the finalizer was not removed";
  auto d = client->get(Resource::deployments(), ns, "web");
  ASSERT_TRUE(d.ok());
  auto& tmpl = (*d)["spec"]["template"];
  EXPECT_FALSE(tmpl.value("/metadata/annotations"_json_pointer, json::object()).contains(names::kChecksumAnnotation));
  auto& app = tmpl["spec"]["containers"][0];
  ASSERT_EQ(app["envFrom"].size(), 1u) << app.dump();
  EXPECT_EQ(app["envFrom"][0]["secretRef"]["name"], "app-secrets") << "the user's envFrom stays";
  // The garbage collector removes the owned ConfigMap.
  bool cmGone = false;
  for (int i = 0; i < 300 && !cmGone; ++i) {
    auto g = client->get(Resource::configMaps(), ns, "checkout-flags");
    cmGone = !g.ok() && kube::ApiError::isNotFound(g.error());
    if (!cmGone) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(cmGone) << "ConfigMap checkout-flags was not garbage-collected";
}

// The finalizer may run more than once (a conflict, a restart): releasing twice must still keep
// the user's own envFrom entries (envFrom is an atomic list our apply owns whole).
TEST_F(RolloutController, ReleasingATargetTwiceKeepsTheUsersEnvFrom) {
  createDeployment("web");
  startController();
  createRollout(json::parse(testing::kTwoPhaseSpec));
  waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Succeeded"; }, 90s,
          "state Succeeded");
  stopController();
  rollout::ChildWriter children(*client);
  for (int i = 0; i < 2; ++i) {
    auto s = children.releaseTarget(ns, "Deployment", "web", "checkout-flags");
    ASSERT_TRUE(s.ok()) << s.error().message;
    auto d = client->get(Resource::deployments(), ns, "web");
    ASSERT_TRUE(d.ok());
    auto& tmpl = (*d)["spec"]["template"];
    EXPECT_FALSE(tmpl.value("/metadata/annotations"_json_pointer, json::object()).contains(names::kChecksumAnnotation));
    auto& app = tmpl["spec"]["containers"][0];
    ASSERT_EQ(app.value("envFrom", json::array()).size(), 1u) << "release " << i + 1 << ": " << app.dump();
    EXPECT_EQ(app["envFrom"][0]["secretRef"]["name"], "app-secrets");
  }
}

TEST_F(RolloutController, ARestartedControllerContinuesWithoutRepeatingOrSkippingASteps) {
  createDeployment("web");
  json spec = json::parse(testing::kTwoPhaseSpec);
  spec["phases"][0]["steps"] = json::parse(R"([{"percent": 10, "pause": "2s"}, {"percent": 40, "pause": "2s"}, {"percent": 100}])");
  startController();
  createRollout(spec);
  waitFor("checkout", [](const json& o) { return o.value("/status/step"_json_pointer, 0) == 1; }, 60s, "step 1");
  stopController();
  std::this_thread::sleep_for(3s);  // longer than the pause: nothing may move while no operator runs
  auto mid = client->get(Resource::featureRollouts(), ns, "checkout");
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ((*mid)["status"]["step"], 1);
  startController();
  json fr = waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Succeeded"; },
                    90s, "state Succeeded");
  int advanced = 0, started = 0;
  for (auto& h : fr["status"]["history"]) {
    if (h["reason"] == "StepAdvanced") ++advanced;
    if (h["reason"] == "PhaseStarted") ++started;
  }
  EXPECT_EQ(advanced, 2) << fr["status"]["history"].dump(1);
  EXPECT_EQ(started, 2);
}

TEST_F(RolloutController, AnInvalidTargetChangesNothingAndSaysWhy) {
  createDeployment("web");
  startController();
  json spec = json::parse(testing::kTwoPhaseSpec);
  spec["targets"][0]["containers"] = {"apps"};
  createRollout(spec);
  json fr = waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Invalid"; },
                    30s, "state Invalid");
  EXPECT_EQ(condition(fr, "InvalidSpec"), "True");
  EXPECT_NE(condition(fr, "InvalidSpec", "message").find("spec.targets[0].containers[0]: container \"apps\" is not in the pod template of Deployment web (containers: app, sidecar)"),
            std::string::npos)
      << condition(fr, "InvalidSpec", "message");
  std::this_thread::sleep_for(1s);
  auto cm = client->get(Resource::configMaps(), ns, "checkout-flags");
  EXPECT_FALSE(cm.ok()) << "no ConfigMap for an invalid rollout";
  auto d = client->get(Resource::deployments(), ns, "web");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE((*d)["spec"]["template"].value("/metadata/annotations"_json_pointer, json::object()).contains(names::kChecksumAnnotation));
  EXPECT_TRUE(hasEvent("checkout", "InvalidSpec"));

  // Fixing the spec continues: kubectl edit / a GitOps commit.
  json patch = {{"spec", {{"targets", {{{"kind", "Deployment"}, {"name", "web"}, {"containers", {"app"}}}}}}}};
  ASSERT_TRUE(client->patch(Resource::featureRollouts(), ns, "checkout", kube::PatchType::Merge, patch).ok());
  waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Succeeded"; }, 90s,
          "state Succeeded after the fix");
}

TEST_F(RolloutController, AForeignConfigMapIsNeverTakenOver) {
  createDeployment("web");
  json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "checkout-flags"}}}, {"data", {{"mine", "yes"}}}};
  ASSERT_TRUE(client->create(Resource::configMaps(), ns, cm).ok());
  startController();
  createRollout(json::parse(testing::kTwoPhaseSpec));
  json fr = waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Invalid"; },
                    30s, "state Invalid");
  EXPECT_NE(condition(fr, "InvalidSpec", "message").find("spec.configMapName: ConfigMap \"checkout-flags\" already exists"),
            std::string::npos);
  auto after = client->get(Resource::configMaps(), ns, "checkout-flags");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)["data"], json({{"mine", "yes"}}));
}

TEST_F(RolloutController, SpecPausedFreezesAndResumeContinues) {
  createDeployment("web");
  json spec = json::parse(testing::kTwoPhaseSpec);
  spec["paused"] = true;
  startController();
  createRollout(spec);
  json fr = waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Paused"; },
                    30s, "state Paused");
  EXPECT_EQ(fr["status"]["step"], 0);
  std::this_thread::sleep_for(2s);  // longer than the step's pause
  auto still = client->get(Resource::featureRollouts(), ns, "checkout");
  ASSERT_TRUE(still.ok());
  EXPECT_EQ((*still)["status"]["state"], "Paused");
  EXPECT_EQ((*still)["status"]["step"], 0);
  ASSERT_TRUE(client->patch(Resource::featureRollouts(), ns, "checkout", kube::PatchType::Merge,
                            {{"spec", {{"paused", false}}}})
                  .ok());
  waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Succeeded"; }, 90s,
          "state Succeeded after resume");
  EXPECT_TRUE(hasEvent("checkout", "Paused"));
  EXPECT_TRUE(hasEvent("checkout", "Resumed"));
}

// Issue 18 item 4: Flux and Argo CD call a rollout Current on Ready=True at the observed generation.
// An edit of a Succeeded rollout (a new flag, default on: a restart under BooleanChange) must keep
// Ready False while the Deployment controller has not rolled the new template out (here it cannot:
// the Deployment is paused), and only then say Ready with an Event. Pausing the Deployment alone,
// with nothing of ours to deliver, leaves the rollout Ready.
TEST_F(RolloutController, AnEditedSucceededRolloutIsReadyOnlyOnceTheDeploymentRolledTheNewValuesOut) {
  createDeployment("web");
  startController();
  createRollout(json::parse(testing::kTwoPhaseSpec));
  waitFor("checkout", [&](const json& o) { return condition(o, "Ready") == "True"; }, 90s, "Ready after the rollout");

  ASSERT_TRUE(client->patch(Resource::deployments(), ns, "web", kube::PatchType::Merge, {{"spec", {{"paused", true}}}}).ok());
  for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until;) {
    auto d = client->get(Resource::deployments(), ns, "web");
    if (d.ok() && d->value("/status/observedGeneration"_json_pointer, 0) == d->value("/metadata/generation"_json_pointer, -1)) break;
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(1s);  // the watch event of the pause has reached the controller
  auto paused = client->get(Resource::featureRollouts(), ns, "checkout");
  ASSERT_TRUE(paused.ok());
  EXPECT_EQ(condition(*paused, "Ready"), "True") << "a paused Deployment with nothing new to deliver";

  json patch = {{"spec", {{"flags", json::parse(R"([{"name": "new-checkout", "envVar": "NEW_CHECKOUT"},
      {"name": "old-cart", "envVar": "OLD_CART", "default": true}, {"name": "search", "envVar": "SEARCH", "default": true}])")}}}};
  ASSERT_TRUE(client->patch(Resource::featureRollouts(), ns, "checkout", kube::PatchType::Merge, patch).ok());
  json fr = waitFor("checkout", [](const json& o) { return o.value("/status/observedGeneration"_json_pointer, 0) == 2; }, 30s,
                    "generation 2 observed");
  EXPECT_EQ(condition(fr, "Ready"), "False") << "generation 2 is never Ready before it is delivered";
  // The template is written, the Deployment controller saw it and, paused, does not roll it out.
  fr = waitFor("checkout", [](const json& o) { return o.value("/status/message"_json_pointer, std::string()).find("spec.paused is true") != std::string::npos; },
               30s, "waiting for the paused Deployment");
  EXPECT_EQ(fr["status"]["state"], "Succeeded");
  EXPECT_EQ(condition(fr, "Ready"), "False");
  EXPECT_EQ(condition(fr, "Ready", "reason"), "Delivering");
  EXPECT_EQ(condition(fr, "Reconciling"), "True");
  auto cm = client->get(Resource::configMaps(), ns, "checkout-flags");
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ((*cm)["data"]["SEARCH"], "true") << "the values are written at once; only Ready waits";
  std::this_thread::sleep_for(2s);
  auto still = client->get(Resource::featureRollouts(), ns, "checkout");
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(condition(*still, "Ready"), "False") << "the Deployment is still paused";

  ASSERT_TRUE(client->patch(Resource::deployments(), ns, "web", kube::PatchType::Merge, {{"spec", {{"paused", false}}}}).ok());
  fr = waitFor("checkout", [&](const json& o) { return condition(o, "Ready") == "True"; }, 60s, "Ready once rolled out");
  EXPECT_EQ(condition(fr, "Reconciling"), "False");
  auto d = client->get(Resource::deployments(), ns, "web");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)["spec"]["template"]["metadata"]["annotations"][names::kChecksumAnnotation], fr["status"]["checksum"]);
  EXPECT_EQ((*d)["status"].value("updatedReplicas", 0), 2);
  EXPECT_TRUE(hasEvent("checkout", "Delivered"));
}

// Issue 11 defect 1: two rollouts on one workload restarted it forever. Created in the same instant,
// exactly one claims it (the annotation names it), the other is Stalled/TargetClaimed naming the
// winner and writes nothing; once the winner lets go, the other proceeds. Every round.
TEST_F(RolloutController, OneWorkloadOneRolloutEvenWhenTwoAreCreatedAtOnce) {
  createDeployment("web");
  startController();
  json spec = json::parse(R"({
    "targets": [{"kind": "Deployment", "name": "web", "containers": ["app"]}],
    "flags": [{"name": "f", "envVar": "F"}],
    "phases": [{"name": "p", "enable": ["f"], "steps": [{"percent": 10, "pause": "10m"}, {"percent": 100}]}]})");
  auto owner = [&]() {
    auto d = client->get(Resource::deployments(), ns, "web");
    return d.ok() ? d->value("/metadata/annotations"_json_pointer, json::object()).value(names::kOwnerAnnotation, "") : "";
  };
  for (int round = 0; round < 5; ++round) {
    const std::string a = "a" + std::to_string(round), b = "b" + std::to_string(round);
    std::thread ta([&] { createRollout(spec, a); });
    std::thread tb([&] { createRollout(spec, b); });
    ta.join();
    tb.join();
    auto settled = [&](const std::string& n) {
      return waitFor(n, [](const json& o) { return !o.value("/status/state"_json_pointer, std::string()).empty(); }, 30s, n + " reconciled");
    };
    settled(a);
    settled(b);
    // Both reconciled; the loser's status must say TargetClaimed (it may take a replan after a lost race).
    std::string winner, loser;
    for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until && loser.empty();) {
      for (const auto& [n, other] : {std::pair{a, b}, std::pair{b, a}}) {
        auto r = client->get(Resource::featureRollouts(), ns, n);
        if (r.ok() && condition(*r, "Stalled", "reason") == "TargetClaimed") loser = n, winner = other;
      }
      std::this_thread::sleep_for(100ms);
    }
    ASSERT_FALSE(loser.empty()) << "round " << round << ": neither rollout says TargetClaimed";
    EXPECT_EQ(owner(), winner) << "round " << round;
    json lost = waitFor(loser, [](const json&) { return true; }, 5s, loser);
    EXPECT_NE(condition(lost, "Stalled", "message").find("FeatureRollout \"" + winner + "\""), std::string::npos)
        << condition(lost, "Stalled", "message");
    EXPECT_TRUE(hasEvent(loser, "TargetClaimed"));
    json win = waitFor(winner, [&](const json& o) { return condition(o, "Stalled") == "False"; }, 20s, winner + " progressing");
    EXPECT_EQ(win["status"]["state"], "Progressing");
    // The loser wrote nothing: no ConfigMap of its own, no envFrom of its own on the workload.
    EXPECT_FALSE(client->get(Resource::configMaps(), ns, loser + "-flags").ok());
    auto d = client->get(Resource::deployments(), ns, "web");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ((*d)["spec"]["template"]["spec"]["containers"][0]["envFrom"].dump().find(loser + "-flags"), std::string::npos);
    // No fight: the workload's generation stays put.
    const auto gen = (*d)["metadata"]["generation"].get<long long>();
    std::this_thread::sleep_for(2s);
    auto d2 = client->get(Resource::deployments(), ns, "web");
    ASSERT_TRUE(d2.ok());
    EXPECT_EQ((*d2)["metadata"]["generation"].get<long long>(), gen) << "round " << round;
    // The winner lets go: the other proceeds and owns the workload.
    ASSERT_TRUE(client->remove(Resource::featureRollouts(), ns, winner).ok());
    waitFor(loser, [&](const json& o) { return condition(o, "Stalled") == "False"; }, 30s, loser + " proceeding");
    EXPECT_EQ(owner(), loser);
    ASSERT_TRUE(client->remove(Resource::featureRollouts(), ns, loser).ok());
    for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until && !owner().empty();)
      std::this_thread::sleep_for(100ms);
    EXPECT_EQ(owner(), "") << "deleting the owner removes its claim";
  }
}

}  // namespace
}  // namespace fro
