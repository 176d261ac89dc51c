// A Succeeded rollout that is edited (a flag added, a target added, delivery changed) writes new
// values or injections; Flux and Argo CD call it Current on Ready=True at the observed generation,
// so Ready must wait until the pods have them (issue 18, item 4). Walked through with the planner's
// small world and an injected clock.
#include <gtest/gtest.h>

#include "tests/support/RolloutWorld.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using World = testing::RolloutWorld;

const char* kOnePhase = R"json({
  "targets": [{"kind": "Deployment", "name": "web"}],
  "flags": [{"name": "checkout", "envVar": "CHECKOUT"}],
  "phases": [{"name": "one", "enable": ["checkout"], "steps": [{"percent": 50, "pause": "10s"}, {"percent": 100}]}]})json";

// Runs the rollout to Succeeded (no gates: each step needs only its pause).
void complete(World& w) {
  for (int i = 0; i < 12 && w.state() != "Succeeded"; ++i) {
    w.settle();
    w.advance(30s);
  }
  w.settle();
  ASSERT_EQ(w.state(), "Succeeded");
  ASSERT_EQ(w.cond("Ready"), "True");
}

void addFlag(json& spec) { spec["flags"].push_back({{"name", "banner"}, {"envVar", "BANNER"}}); }

TEST(CompletedDelivery, AnEditedSucceededRolloutIsReadyOnlyOnceEveryTargetHasRolledOutTheNewValues) {
  World w(json::parse(kOnePhase));
  complete(w);
  const auto eventsBefore = w.events.size();
  w.autoRollout = false;  // the Deployment controller has not rolled the new template out yet
  w.editSpec(addFlag);
  w.settle();
  EXPECT_EQ(w.state(), "Succeeded");
  EXPECT_EQ(w.status()["observedGeneration"], 2);
  EXPECT_EQ(w.cm.data.at("BANNER"), "false") << "the edit's values are written at once";
  EXPECT_EQ(w.cond("Ready"), "False");
  EXPECT_EQ(w.cond("Ready", "reason"), "Delivering");
  EXPECT_EQ(w.cond("Reconciling"), "True");
  EXPECT_EQ(w.cond("Stalled"), "False");
  EXPECT_EQ(w.status()["message"],
            "rollout complete: 1 phases succeeded; delivering the values of generation 2: waiting for "
            "Deployment web: 0 of 2 replicas updated");
  EXPECT_TRUE(w.status()["delivery"].contains("pendingSince"));
  ASSERT_TRUE(w.last.requeueAfter.has_value());
  EXPECT_EQ(*w.last.requeueAfter, 10min) << "woken at the progress deadline";

  // The Deployment controller finishes: Ready, and one Event saying so.
  w.advance(30s);
  w.workloads[0].rolledOut = true;
  w.workloads[0].progress.clear();
  w.settle();
  EXPECT_EQ(w.cond("Ready"), "True");
  EXPECT_EQ(w.cond("Reconciling"), "False");
  EXPECT_EQ(w.status()["message"], "rollout complete: 1 phases succeeded");
  EXPECT_FALSE(w.status()["delivery"].contains("pendingSince"));
  ASSERT_EQ(w.events.size(), eventsBefore + 1);
  EXPECT_EQ(w.events.back().reason, "Delivered");
  EXPECT_EQ(w.events.back().message, "the values of generation 2 reached every target");
  // And stays so: no more writes, no more Events.
  const int writes = w.statusWrites;
  w.advance(1h);
  w.settle();
  EXPECT_EQ(w.statusWrites, writes);
  EXPECT_EQ(w.events.size(), eventsBefore + 1);
}

TEST(CompletedDelivery, ATargetThatNeverConvergesStallsTheEditAtTheProgressDeadlineWithOneWarning) {
  World w(json::parse(kOnePhase));
  complete(w);
  w.autoRollout = false;
  w.editSpec(addFlag);
  w.reconcile();
  w.advance(9min);
  w.settle();
  EXPECT_EQ(w.cond("Stalled"), "False");
  ASSERT_TRUE(w.last.requeueAfter.has_value());
  EXPECT_EQ(*w.last.requeueAfter, 1min);
  w.advance(1min);
  w.settle();
  EXPECT_EQ(w.state(), "Succeeded") << "the phases did succeed; only the delivery of the edit is stuck";
  EXPECT_EQ(w.cond("Ready"), "False");
  EXPECT_EQ(w.cond("Stalled"), "True");
  EXPECT_EQ(w.cond("Stalled", "reason"), "ProgressDeadlineExceeded");
  EXPECT_EQ(w.cond("Reconciling"), "False");
  EXPECT_EQ(w.cond("Stalled", "message"),
            "the values of generation 2 were not delivered within progressDeadline 10m: waiting for Deployment web: "
            "0 of 2 replicas updated");
  ASSERT_TRUE(w.hasEvent("ProgressDeadlineExceeded"));
  EXPECT_EQ(w.events.back().type, EventType::Warning);
  const auto events = w.events.size();
  w.advance(5min);
  w.settle();
  EXPECT_EQ(w.events.size(), events) << "one Warning, not one per reconcile";
  // It converges late: Ready again.
  w.workloads[0].rolledOut = true;
  w.workloads[0].progress.clear();
  w.settle();
  EXPECT_EQ(w.cond("Ready"), "True");
  EXPECT_EQ(w.cond("Stalled"), "False");
  EXPECT_EQ(w.events.back().reason, "Delivered");
}

TEST(CompletedDelivery, ANewTargetOfASucceededRolloutIsWaitedForUntilItsPodTemplateCarriesTheValues) {
  World w(json::parse(kOnePhase), {.targets = {{"Deployment", "web"}, {"Deployment", "api"}}});
  w.editSpec([](json& s) { s["targets"] = json::parse(R"([{"kind": "Deployment", "name": "web"}])"); });
  complete(w);
  w.autoRollout = false;
  w.editSpec([](json& s) { s["targets"].push_back({{"kind", "Deployment"}, {"name", "api"}}); });
  w.reconcile();
  EXPECT_EQ(w.cond("Ready"), "False");
  EXPECT_EQ(w.workloads[1].checksum, w.last.checksum) << "api received the values";
  w.workloads[1].progress = "Deployment api: 1 of 2 replicas updated";
  w.reconcile();
  EXPECT_NE(w.status()["message"].get<std::string>().find("waiting for Deployment api: 1 of 2 replicas updated"),
            std::string::npos)
      << w.status()["message"];
  w.workloads[1].rolledOut = true;  // api
  w.workloads[1].progress.clear();
  w.settle();
  EXPECT_EQ(w.cond("Ready"), "True");
  EXPECT_EQ(w.status()["appliedTargets"], json::parse(R"(["Deployment/web", "Deployment/api"])"));
}

TEST(CompletedDelivery, FileDeliveryIsReadyAfterThePropagationAllowanceOfTheEditedValues) {
  json spec = json::parse(kOnePhase);
  spec["delivery"] = json::parse(R"({"file": {"enabled": true}, "env": {"restartOn": "Never"},
                                     "propagation": {"allowance": "30s"}})");
  World w(spec, {.envOnly = false});
  complete(w);
  EXPECT_EQ(w.status()["message"], "rollout complete: 1 phases succeeded")
      << "completing does not change the values: no second allowance";
  const int templateWrites = w.workloadWrites;
  w.editSpec(addFlag);
  w.settle();
  EXPECT_EQ(w.workloadWrites, templateWrites) << "file delivery: a new flag is no restart";
  EXPECT_EQ(w.cond("Ready"), "False");
  EXPECT_NE(w.status()["message"].get<std::string>().find("the propagation allowance (30s) ends at"), std::string::npos)
      << w.status()["message"];
  ASSERT_TRUE(w.last.requeueAfter.has_value());
  EXPECT_EQ(*w.last.requeueAfter, 30s);
  EXPECT_FALSE(w.last.gateRequest.has_value());
  w.advance(30s);
  w.settle();
  EXPECT_EQ(w.cond("Ready"), "True");
}

TEST(CompletedDelivery, ATargetThatScalesAfterDeliveryLeavesTheRolloutReadyAndQuiet) {
  World w(json::parse(kOnePhase));
  complete(w);
  const int writes = w.statusWrites;
  const auto events = w.events.size();
  // An HPA adds replicas: the Deployment is not fully available for a while; nothing of ours changed.
  w.workloads[0].rolledOut = false;
  w.workloads[0].progress = "Deployment web: 2 of 4 updated replicas available";
  w.advance(1min);
  w.settle();
  EXPECT_EQ(w.cond("Ready"), "True");
  EXPECT_EQ(w.statusWrites, writes);
  EXPECT_EQ(w.events.size(), events);
}

TEST(CompletedDelivery, RestartingOnTheWayKeepsTheDeadlineWhereItWas) {
  // Level-triggered: the deadline counts from status.delivery.pendingSince, not from process start.
  World w(json::parse(kOnePhase));
  complete(w);
  w.autoRollout = false;
  w.editSpec(addFlag);
  w.reconcile();
  const json since = w.status()["delivery"]["pendingSince"];
  w.advance(4min);
  w.reconcile();  // as a restarted operator would, from the status alone
  EXPECT_EQ(w.status()["delivery"]["pendingSince"], since);
  ASSERT_TRUE(w.last.requeueAfter.has_value());
  EXPECT_EQ(*w.last.requeueAfter, 6min);
}

}  // namespace
}  // namespace fro::rollout
