// File delivery (spec.delivery, the default): the ConfigMap mounted as a directory once, percent
// steps that change only the ConfigMap, the restart policies of env delivery, the propagation
// allowance and the exposure check that gate when a step counts as active, and the collisions
// with the user's pod template that make the spec invalid. Walked with an injected clock.
#include <gtest/gtest.h>

#include <functional>

#include "rollout/planner/Annotations.h"
#include "rollout/planner/FlagDocument.h"
#include "rollout/planner/RolloutPlanner.h"
#include "tests/support/RolloutWorld.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using World = testing::RolloutWorld;

// One phase of three percent steps, no gates (the timing, not the judging, is under test).
json threeSteps(const json& delivery = nullptr) {
  json spec = json::parse(R"json({
    "targets": [{"kind": "Deployment", "name": "web", "containers": ["app"]}],
    "flags": [{"name": "checkout", "envVar": "CHECKOUT"}],
    "phases": [{"name": "one", "enable": ["checkout"],
                "steps": [{"percent": 10, "pause": "30s"}, {"percent": 50, "pause": "30s"}, {"percent": 100}]}]})json");
  if (!delivery.is_null()) spec["delivery"] = delivery;
  return spec;
}

World::Options fileMode() {
  World::Options o;
  o.envOnly = false;
  return o;
}

// Runs the rollout to its end, advancing the clock by `tick` between reconciles.
void runToEnd(World& w, std::chrono::milliseconds tick = 5s, int limit = 200) {
  for (int i = 0; i < limit && w.state() != "Succeeded"; ++i) {
    w.settle();
    w.advance(tick);
  }
}

json doc(const World& w) { return json::parse(w.cm.data.at(FlagDocument::kFlagdKey)); }

TEST(FileDelivery, DefaultMountsTheConfigMapOnceAndPercentStepsChangeOnlyTheConfigMap) {
  World w(threeSteps(json{{"env", {{"restartOn", "Never"}}}}), fileMode());
  w.settle();
  ASSERT_EQ(w.workloadWrites, 1);  // the mount, the flagd env vars, the volume
  ASSERT_TRUE(w.last.file.has_value());
  EXPECT_EQ(w.last.file->mountPath, "/etc/feature-flags");
  EXPECT_EQ(w.last.file->volumeName, "feature-flags");
  EXPECT_EQ(w.last.file->flagFile, "/etc/feature-flags/flags.flagd.json");
  EXPECT_FALSE(w.last.envFrom);
  EXPECT_EQ(w.last.checksum, "");  // nothing on the pod template changes with the values
  const auto& app = *w.workloads[0].container("app");
  EXPECT_EQ(app.mounts.size(), 1u);
  EXPECT_EQ(w.workloads[0].container("sidecar")->mounts.size(), 0u);  // only the chosen containers
  runToEnd(w);
  EXPECT_EQ(w.state(), "Succeeded");
  EXPECT_EQ(w.workloadWrites, 1) << "a percent step must not touch the pod template (no restart)";
  EXPECT_EQ(w.cm.data.at("CHECKOUT_PERCENT"), "100");
  EXPECT_EQ(w.cm.data.at("CHECKOUT"), "true");  // env keys stay in the ConfigMap for apps that read env
}

TEST(FileDelivery, RestartPoliciesDecideWhichChangesRollThePods) {
  // Template writes over the whole rollout (10%, 50%, 100%): each one restarts every pod.
  struct Row {
    const char* restartOn;
    int templateWrites;
  } rows[] = {{"Never", 1}, {"BooleanChange", 2}, {"EveryChange", 3}};
  for (const auto& r : rows) {
    World w(threeSteps(json{{"env", {{"restartOn", r.restartOn}}}}), fileMode());
    runToEnd(w);
    EXPECT_EQ(w.state(), "Succeeded") << r.restartOn;
    EXPECT_EQ(w.workloadWrites, r.templateWrites) << r.restartOn;
    EXPECT_EQ(w.last.envFrom, std::string(r.restartOn) != "Never") << r.restartOn;
  }
  // Env only, restart on every change: today's behaviour before file delivery.
  World env(threeSteps(json{{"file", {{"enabled", false}}}, {"env", {{"restartOn", "EveryChange"}}}}), fileMode());
  runToEnd(env);
  EXPECT_EQ(env.workloadWrites, 3);
  EXPECT_FALSE(env.last.file.has_value());
}

TEST(FileDelivery, BooleanChangeRestartsWhenTheFlagReachesOneHundredPercentAndOnRollbackFromIt) {
  World w(threeSteps(), fileMode());  // the defaults: file + env, restart on boolean change
  w.settle();
  const std::string at10 = w.last.checksum;
  ASSERT_FALSE(at10.empty());
  runToEnd(w);
  EXPECT_NE(w.last.checksum, at10);  // CHECKOUT flipped to "true" at 100%
  EXPECT_EQ(w.workloadWrites, 2);
}

TEST(FileDelivery, AStepBecomesActiveOnlyAfterThePropagationAllowance) {
  World w(threeSteps(json{{"propagation", {{"allowance", "90s"}}}}), fileMode());
  w.settle();
  // Values are in the ConfigMap and the mount is on every rolled-out pod, but running pods see the
  // new file only after kubelet's sync: the step is not active yet, no gate window has begun.
  EXPECT_EQ(w.cm.data.at("CHECKOUT_PERCENT"), "10");
  EXPECT_FALSE(w.status().contains("stepStartedAt"));
  const std::string delivered = w.status()["delivery"]["deliveredAt"];
  EXPECT_EQ(w.status()["delivery"]["activeAfter"], Rfc3339::formatMicro(w.now + 90s));
  EXPECT_NE(w.status()["message"].get<std::string>().find("propagation allowance (1m30s) ends at"), std::string::npos)
      << w.status()["message"];
  ASSERT_TRUE(w.last.requeueAfter.has_value());
  EXPECT_LE(*w.last.requeueAfter, 90s);
  w.advance(89s);
  w.settle();
  EXPECT_FALSE(w.status().contains("stepStartedAt"));
  w.advance(1s);
  w.settle();
  ASSERT_TRUE(w.status().contains("stepStartedAt"));
  EXPECT_EQ(w.status()["stepStartedAt"], w.status()["delivery"]["activeAfter"]);
  EXPECT_EQ(w.status()["delivery"]["deliveredAt"], delivered);
  // The pause counts from activation, so the 30s pause ends 90s + 30s after delivery.
  w.advance(29s);
  w.settle();
  EXPECT_EQ(w.status()["step"], 0);
  w.advance(1s);
  w.settle();
  EXPECT_EQ(w.status()["step"], 1);
  EXPECT_FALSE(w.status().contains("stepStartedAt"));  // 50%: a new revision, a new allowance
  EXPECT_EQ(w.status()["delivery"]["revision"], 2);    // 10%, then 50% (no gates: no check at 0% first)
}

TEST(FileDelivery, GatesJudgeOnlyEvaluationsAfterTheAllowance) {
  json spec = threeSteps(json{{"propagation", {{"allowance", "60s"}}}});
  spec["analysis"] = {{"interval", "10s"},
                      {"gates", {{{"name", "errors"}, {"query", "err"}, {"critical", {{"above", 0.05}}}}}}};
  spec["phases"][0]["gates"] = {"errors"};
  World w(spec, fileMode());
  w.settle();
  EXPECT_FALSE(w.last.gateRequest.has_value()) << "no gate window may begin before the values can have reached users";
  w.advance(30s);
  w.gate("errors", GateResult::Critical, 0.9);  // measured before the new values reached the pods
  w.settle();
  EXPECT_NE(w.state(), "RolledBack");
  w.advance(30s);
  w.settle();
  ASSERT_TRUE(w.last.gateRequest.has_value());
  EXPECT_EQ(w.last.gateRequest->since, w.now);
  EXPECT_NE(w.state(), "RolledBack") << "an evaluation from before activation must not count";
  w.advance(10s);
  w.gate("errors", GateResult::Critical, 0.9);
  w.settle();
  EXPECT_EQ(w.state(), "RolledBack");
}

TEST(FileDelivery, ExposureQueryMustShowTheRevisionServedBeforeTheStepIsActive) {
  World w(threeSteps(json{{"propagation", {{"allowance", "10s"}, {"exposureQuery", "min(app_flag_revision)"}}}}),
          fileMode());
  w.settle();
  w.advance(10s);
  w.settle();
  const int revision = w.status()["delivery"]["revision"];
  EXPECT_EQ(doc(w)["metadata"]["revision"], revision);
  EXPECT_EQ(doc(w)["metadata"]["rollout"], "shop/demo");
  ASSERT_TRUE(w.last.gateRequest.has_value());
  ASSERT_EQ(w.last.gateRequest->gates.size(), 1u);
  EXPECT_EQ(w.last.gateRequest->gates[0].name, names::kExposureGate);
  EXPECT_EQ(w.last.gateRequest->gates[0].query, "min(app_flag_revision)");
  EXPECT_FALSE(w.status().contains("stepStartedAt"));
  w.advance(5s);
  w.gate(names::kExposureGate, GateResult::Passed, revision - 1);  // some pod still serves the old file
  w.settle();
  EXPECT_FALSE(w.status().contains("stepStartedAt"));
  EXPECT_NE(w.status()["message"].get<std::string>().find("exposure query to show revision " + std::to_string(revision)),
            std::string::npos)
      << w.status()["message"];
  w.advance(5s);
  w.gate(names::kExposureGate, GateResult::Passed, revision);
  w.settle();
  ASSERT_TRUE(w.status().contains("stepStartedAt"));
  EXPECT_EQ(w.status()["delivery"]["exposed"], true);
}

TEST(FileDelivery, AnExposureThatNeverShowsStallsAtTheProgressDeadline) {
  json spec = threeSteps(json{{"propagation", {{"allowance", "10s"}, {"exposureQuery", "min(app_flag_revision)"}}}});
  spec["progressDeadline"] = "2m";
  World w(spec, fileMode());
  for (int i = 0; i < 30; ++i) {
    w.settle();
    w.advance(5s);
  }
  EXPECT_EQ(w.cond("Stalled"), "True");
  EXPECT_EQ(w.cond("Stalled", "reason"), "ProgressDeadlineExceeded");
  EXPECT_NE(w.cond("Stalled", "message").find("exposure query"), std::string::npos) << w.cond("Stalled", "message");
}

TEST(FileDelivery, CollisionsWithTheUsersPodTemplateAreInvalidAndNothingIsWritten) {
  struct Row {
    const char* what;
    std::function<void(WorkloadView&)> setup;
    const char* expect;
  } rows[] = {
      {"volume name", [](WorkloadView& v) { v.volumes.push_back({"feature-flags", "other-cm", false}); },
       "spec.delivery.file.volumeName: Invalid value: \"feature-flags\": Deployment web (spec.targets[0]) already has a volume "
       "of that name (ConfigMap other-cm)"},
      {"mount path", [](WorkloadView& v) { v.podContainers[0].mounts.push_back({"cfg", "/etc/feature-flags", "", false}); },
       "spec.delivery.file.mountPath: Invalid value: \"/etc/feature-flags\": container \"app\" of Deployment web "
       "(spec.targets[0]) already mounts volume \"cfg\" there"},
      {"env var", [](WorkloadView& v) { v.podContainers[0].env.push_back({"FLAGD_RESOLVER", "rpc", false}); },
       "spec.delivery.file: container \"app\" of Deployment web (spec.targets[0]) already sets env FLAGD_RESOLVER=rpc"},
  };
  for (const auto& r : rows) {
    World w(threeSteps(), fileMode());
    auto& v = w.workloads[0];
    for (const auto& c : v.containers) v.podContainers.push_back({c, {}, {}, false});
    r.setup(v);
    w.reconcile();
    EXPECT_EQ(w.state(), "Invalid") << r.what;
    EXPECT_FALSE(w.last.writeChildren) << r.what;
    EXPECT_EQ(w.configMapWrites + w.workloadWrites, 0) << r.what;
    EXPECT_NE(w.cond("InvalidSpec", "message").find(r.expect), std::string::npos) << r.what << ": " << w.cond("InvalidSpec", "message");
  }
  // The same names in a container that is not a target are the user's business.
  World w(threeSteps(), fileMode());
  auto& v = w.workloads[0];
  for (const auto& c : v.containers) v.podContainers.push_back({c, {}, {}, false});
  v.podContainers[1].mounts.push_back({"cfg", "/etc/feature-flags", "", false});
  w.settle();
  EXPECT_NE(w.state(), "Invalid");
}

TEST(FileDelivery, TurningFileDeliveryOffRemovesOurMountAndKeepsTheUsersVolumes) {
  World w(threeSteps(), fileMode());
  auto& v = w.workloads[0];
  for (const auto& c : v.containers) v.podContainers.push_back({c, {}, {}, false});
  v.volumes.push_back({"data", "", false});
  v.podContainers[0].mounts.push_back({"data", "/data", "", false});
  w.settle();
  ASSERT_EQ(w.workloads[0].volumes.size(), 2u);
  w.editSpec([](json& s) { s["delivery"] = {{"file", {{"enabled", false}}}}; });
  w.settle();
  const auto& after = w.workloads[0];
  ASSERT_EQ(after.volumes.size(), 1u);
  EXPECT_EQ(after.volumes[0].name, "data");
  ASSERT_EQ(after.container("app")->mounts.size(), 1u);
  EXPECT_EQ(after.container("app")->mounts[0].mountPath, "/data");
  EXPECT_TRUE(after.container("app")->env.empty());
  EXPECT_FALSE(w.last.file.has_value());
  EXPECT_TRUE(w.last.targets[0].current);
}

TEST(FileDelivery, ARevisionIsStampedIntoTheDocumentAndRisesWithEveryChangeOfValues) {
  World w(threeSteps(json{{"propagation", {{"allowance", "0s"}}}}), fileMode());
  std::vector<int> revisions;
  std::vector<std::string> fractions;
  for (int i = 0; i < 100 && w.state() != "Succeeded"; ++i) {
    w.settle();
    if (w.cm.exists) {
      const int r = doc(w)["metadata"]["revision"];
      if (revisions.empty() || revisions.back() != r) {
        revisions.push_back(r);
        const json flag = doc(w)["flags"]["checkout"];
        fractions.push_back(flag.contains("targeting") ? flag["targeting"]["fractional"].dump() : flag["defaultVariant"].dump());
      }
    }
    w.advance(5s);
  }
  EXPECT_EQ(revisions, (std::vector<int>{1, 2, 3}));
  // "on" first, so a higher percent only ever adds users (flagd assigns buckets in order).
  EXPECT_EQ(fractions, (std::vector<std::string>{R"([["on",10],["off",90]])", R"([["on",50],["off",50]])", "\"on\""}));
  EXPECT_EQ(w.status()["delivery"]["revision"], 3);
}

TEST(FileDelivery, AConfigMapOverTheSizeLimitIsRefusedWithTheSize) {
  json spec = threeSteps();
  spec["flags"] = json::array();
  for (int i = 0; i < 9000; ++i)
    spec["flags"].push_back({{"name", "flag-with-a-long-name-for-the-size-test-" + std::to_string(i)},
                             {"envVar", "FLAG_WITH_A_LONG_NAME_FOR_THE_SIZE_TEST_" + std::to_string(i)}});
  spec["phases"][0]["enable"] = {"flag-with-a-long-name-for-the-size-test-0"};
  World w(spec, fileMode());
  w.reconcile();
  EXPECT_EQ(w.state(), "Invalid");
  EXPECT_EQ(w.configMapWrites, 0);
  const std::string msg = w.cond("InvalidSpec", "message");
  EXPECT_NE(msg.find("spec.flags: the ConfigMap demo-flags would hold "), std::string::npos) << msg;
  EXPECT_NE(msg.find("over the API server's limit of 1048576 bytes"), std::string::npos) << msg;
}

TEST(FileDelivery, SpecErrorsNameTheFieldAndValue) {
  struct Row {
    json delivery;
    const char* expect;
  } rows[] = {
      {{{"file", {{"mountPath", "etc/flags"}}}}, "spec.delivery.file.mountPath: Invalid value: \"etc/flags\""},
      {{{"file", {{"mountPath", "/etc/../flags"}}}}, "spec.delivery.file.mountPath: Invalid value: \"/etc/../flags\""},
      {{{"file", {{"volumeName", "Flags"}}}}, "spec.delivery.file.volumeName: Invalid value: \"Flags\""},
      {{{"env", {{"restartOn", "Always"}}}}, "spec.delivery.env.restartOn: Unsupported value: \"Always\""},
      {{{"file", {{"enabled", false}}}, {"env", {{"restartOn", "Never"}}}}, "spec.delivery: nothing would deliver the values"},
      {{{"propagation", {{"allowance", "15m"}}}}, "spec.delivery.propagation.allowance: Invalid value: \"15m\": must be shorter than spec.progressDeadline (10m)"},
      {{{"propagation", {{"allowance", "soon"}}}}, "spec.delivery.propagation.allowance: Invalid value: \"soon\""},
      {json::array(), "spec.delivery: must be an object"},
  };
  for (const auto& r : rows) {
    std::vector<FieldError> errors;
    auto s = RolloutSpec::parse(threeSteps(r.delivery), "demo", &errors);
    ASSERT_FALSE(s.ok()) << r.delivery.dump();
    EXPECT_NE(s.error().message.find(r.expect), std::string::npos) << s.error().message;
  }
  auto ok = RolloutSpec::parse(threeSteps(json{{"file", {{"mountPath", "/var/run/flags/"}}}}), "demo");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->delivery.flagFilePath(), "/var/run/flags/flags.flagd.json");
}

}  // namespace
}  // namespace fro::rollout
