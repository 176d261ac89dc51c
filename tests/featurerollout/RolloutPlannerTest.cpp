// The planner's decisions, walked through with an injected time: each test is a small world (one
// FeatureRollout, its ConfigMap, its workloads, gate results) in which the plan's writes are
// applied as the I/O layer would apply them, then time moves on.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>


#include "runtime/common/Rfc3339.h"
#include "rollout/planner/Annotations.h"
#include "rollout/planner/RolloutPlanner.h"
#include "tests/support/RolloutWorld.h"
#include "tests/support/YamlJson.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const char* kQuick = R"json({
  "targets": [{"kind": "Deployment", "name": "web"}],
  "flags": [{"name": "checkout", "envVar": "CHECKOUT"}, {"name": "banner", "envVar": "BANNER"},
            {"name": "legacy", "envVar": "LEGACY", "default": true}],
  "analysis": {"interval": "10s", "gates": [
     {"name": "errors", "query": "err", "warning": {"above": 0.02}, "critical": {"above": 0.05}}]},
  "phases": [
    {"name": "one", "enable": ["checkout"], "steps": [{"percent": 10, "pause": "30s"}, {"percent": 100}],
     "gates": ["errors"]},
    {"name": "two", "enable": ["banner"], "disable": ["legacy"], "steps": [{"percent": 50, "pause": "1m"}, {"percent": 100}],
     "gates": ["errors"], "onFailure": {"disable": ["banner"]}}]})json";

// The planner test's world: the shared one, under its short name.
using World = testing::RolloutWorld;

TEST(RolloutPlanner, FirstReconcileJudgesTheGatesThenStartsThePhaseAndWritesValuesBeforeAnythingIsActive) {
  World w(json::parse(kQuick));
  w.autoStartCheck = false;
  w.reconcile();
  // Before anyone is exposed, the phase's gates must be judged at today's values.
  EXPECT_EQ(w.where(), "one/0@0 Pending");
  EXPECT_EQ(w.last.configMapData.at("CHECKOUT_PERCENT"), "0");
  ASSERT_TRUE(w.last.gateRequest.has_value());
  EXPECT_EQ(w.status()["gateCheck"]["purpose"], "Start");
  EXPECT_TRUE(w.reasons().empty());
  EXPECT_EQ(w.cond("GatesPassing"), "Unknown");
  w.advance(1ms);
  w.gate("errors", GateResult::NoData, 0.0);  // nobody has the flag yet: no data is fine
  auto& p = w.reconcile();
  EXPECT_EQ(w.where(), "one/0@10 Progressing");
  ASSERT_TRUE(p.writeChildren);
  EXPECT_EQ(p.configMapData.at("CHECKOUT_PERCENT"), "10");
  EXPECT_EQ(p.configMapData.at("CHECKOUT"), "false");  // 10% is not "on" for apps that ignore percents
  EXPECT_EQ(p.configMapData.at("LEGACY"), "true");
  EXPECT_EQ(p.configMapName, "demo-flags");
  ASSERT_EQ(p.targets.size(), 1u);
  EXPECT_EQ(p.targets[0].containers, (std::vector<std::string>{"app", "sidecar"}));
  EXPECT_FALSE(w.status().contains("stepStartedAt"));  // the ConfigMap did not hold the values yet
  EXPECT_FALSE(w.status().contains("gateCheck"));
  // The status version that starts the phase says so (not the check's message).
  EXPECT_EQ(w.status()["message"], "phase one started: checkout on for 10% of users");
  EXPECT_EQ(w.reasons(), (std::vector<std::string>{"PhaseStarted"}));
  EXPECT_EQ(w.cond("Reconciling"), "True");
  EXPECT_EQ(w.cond("Ready"), "False");
  EXPECT_EQ(w.cond("GatesPassing"), "Unknown");
  EXPECT_EQ(w.status()["observedGeneration"], 1);
}

TEST(RolloutPlanner, WalksPhasesStepByStepOnlyAfterPauseAndGates) {
  World w(json::parse(kQuick));
  w.settle();
  ASSERT_TRUE(w.status().contains("stepStartedAt"));
  EXPECT_EQ(w.where(), "one/0@10 Progressing");
  EXPECT_EQ(w.status()["gatesSummary"], "0/1 Passed, 1 Pending");
  ASSERT_TRUE(w.last.gateRequest.has_value());
  EXPECT_EQ(w.last.gateRequest->gates.size(), 1u);
  EXPECT_EQ(w.last.gateRequest->interval, 10s);
  EXPECT_EQ(w.last.gateRequest->nameSpace, "shop");

  w.advance(10s);
  w.gate("errors", GateResult::Passed, 0.01);
  w.settle();
  EXPECT_EQ(w.where(), "one/0@10 Progressing") << "the 30s pause has not passed";
  ASSERT_TRUE(w.last.requeueAfter.has_value());
  EXPECT_EQ(*w.last.requeueAfter, 20s);
  EXPECT_EQ(w.cond("GatesPassing"), "True");

  w.advance(20s);
  w.gate("errors", GateResult::Passed, 0.01, 2);
  w.settle();
  EXPECT_EQ(w.where(), "one/1@100 Progressing");
  EXPECT_EQ(w.percentOf("checkout"), 100);
  EXPECT_EQ(w.cm.data["CHECKOUT"], "true");
  EXPECT_EQ(w.status()["gatesSummary"], "0/1 Passed, 1 Pending") << "the last step's results are not shown as this one's";
  // The result of the previous step does not count for the new one.
  EXPECT_EQ(w.cond("GatesPassing"), "Unknown");

  w.advance(1s);
  w.gate("errors", GateResult::Passed, 0.01);
  w.settle();
  EXPECT_EQ(w.where(), "two/0@50 Progressing");
  EXPECT_EQ(w.percentOf("banner"), 50);
  EXPECT_EQ(w.percentOf("legacy"), 0);
  EXPECT_EQ(w.percentOf("checkout"), 100);
  auto phases = w.status()["phases"];
  EXPECT_EQ(phases[0]["state"], "Succeeded");
  EXPECT_EQ(phases[1]["state"], "Progressing");

  for (int i = 0; i < 2; ++i) {
    w.advance(1min);
    w.gate("errors", GateResult::Passed, 0.0);
    w.settle();
  }
  EXPECT_EQ(w.state(), "Succeeded");
  EXPECT_EQ(w.cond("Ready"), "True");
  EXPECT_EQ(w.cond("Reconciling"), "False");
  EXPECT_EQ(w.cond("Stalled"), "False");
  EXPECT_FALSE(w.last.gateRequest.has_value());
  EXPECT_EQ(w.reasons(), (std::vector<std::string>{"PhaseStarted", "StepAdvanced", "PhaseCompleted", "PhaseStarted",
                                                   "StepAdvanced", "PhaseCompleted", "RolloutSucceeded"}));
  // Succeeded is stable: more reconciles change nothing and say nothing.
  int writes = w.statusWrites;
  size_t events = w.events.size();
  w.advance(1h);
  w.reconcile();
  EXPECT_EQ(w.statusWrites, writes);
  EXPECT_EQ(w.events.size(), events);
}

TEST(RolloutPlanner, APausedTargetRolloutKeepsTheStepInactiveUntilItConverges) {
  World w(json::parse(kQuick));
  w.autoRollout = false;
  w.settle();
  EXPECT_FALSE(w.status().contains("stepStartedAt"));
  EXPECT_NE(w.status()["message"].get<std::string>().find("0 of 2 replicas updated"), std::string::npos);
  ASSERT_TRUE(w.last.requeueAfter);
  EXPECT_EQ(*w.last.requeueAfter, 10min);  // the progress deadline
  w.advance(2min);
  w.workloads[0].rolledOut = true, w.workloads[0].progress.clear();
  w.settle();
  ASSERT_TRUE(w.status().contains("stepStartedAt"));
  EXPECT_EQ(w.status()["stepStartedAt"], Rfc3339::formatMicro(w.now)) << "the pause counts from convergence";
}

TEST(RolloutPlanner, ProgressDeadlineStallsThenRecovers) {
  World w(json::parse(kQuick));
  w.autoRollout = false;
  w.settle();
  w.advance(10min);
  w.settle();
  EXPECT_EQ(w.state(), "Holding");
  EXPECT_EQ(w.cond("Stalled"), "True");
  EXPECT_EQ(w.cond("Stalled", "reason"), "ProgressDeadlineExceeded");
  EXPECT_NE(w.cond("Stalled", "message").find("did not become active within progressDeadline 10m"), std::string::npos);
  EXPECT_TRUE(w.hasEvent("ProgressDeadlineExceeded"));
  w.workloads[0].rolledOut = true;
  w.advance(1s);
  w.settle();
  EXPECT_EQ(w.state(), "Progressing");
  EXPECT_EQ(w.cond("Stalled"), "False");
}

TEST(RolloutPlanner, WarningHoldsAfterThePauseAndResumesWhenItClears) {
  World w(json::parse(kQuick));
  w.settle();
  w.advance(5s);
  w.gate("errors", GateResult::Warning, 0.03);
  w.settle();
  EXPECT_EQ(w.state(), "Progressing") << "still within the pause";
  EXPECT_EQ(w.cond("GatesPassing"), "False");
  EXPECT_EQ(w.cond("GatesPassing", "reason"), "GateWarning");
  EXPECT_TRUE(w.hasEvent("GateWarning"));
  w.advance(30s);
  w.gate("errors", GateResult::Warning, 0.04);
  w.settle();
  EXPECT_EQ(w.where(), "one/0@10 Holding");
  EXPECT_NE(w.status()["message"].get<std::string>().find("holding"), std::string::npos);
  EXPECT_EQ(w.status()["gatesSummary"], "0/1 Passed, 1 Warning");
  size_t events = w.events.size();
  w.advance(10s);
  w.gate("errors", GateResult::Warning, 0.035);
  w.settle();
  EXPECT_EQ(w.events.size(), events) << "a held step does not repeat its Event on every evaluation";
  w.advance(10s);
  w.gate("errors", GateResult::Passed, 0.01);
  w.settle();
  EXPECT_EQ(w.where(), "one/1@100 Progressing");
}

TEST(RolloutPlanner, CriticalRollsBackWithOnFailureAndStaysRolledBack) {
  World w(json::parse(kQuick));
  w.settle();
  w.advance(30s);
  w.gate("errors", GateResult::Passed, 0.0);
  w.settle();
  w.advance(1s);
  w.gate("errors", GateResult::Passed, 0.0);
  w.settle();
  ASSERT_EQ(w.where(), "two/0@50 Progressing");
  w.advance(5s);  // within the pause: critical does not wait for it
  w.gate("errors", GateResult::Critical, 0.071);
  w.settle();
  EXPECT_EQ(w.state(), "RolledBack");
  EXPECT_EQ(w.percentOf("banner"), 0) << "onFailure disables banner";
  EXPECT_EQ(w.percentOf("legacy"), 0) << "onFailure names only banner: legacy stays where phase two put it";
  EXPECT_EQ(w.percentOf("checkout"), 100) << "earlier phases keep their values";
  EXPECT_EQ(w.cm.data["BANNER_PERCENT"], "0");
  EXPECT_EQ(w.cond("RolledBack"), "True");
  EXPECT_EQ(w.cond("RolledBack", "reason"), "GateCritical");
  EXPECT_EQ(w.cond("Stalled"), "True");
  EXPECT_EQ(w.cond("Ready"), "False");
  auto msg = w.cond("RolledBack", "message");
  EXPECT_NE(msg.find("gate errors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0.071"), std::string::npos) << msg;
  EXPECT_NE(msg.find("banner 50% -> 0%"), std::string::npos) << msg;
  EXPECT_EQ(w.status()["rollback"]["phase"], "two");
  EXPECT_EQ(w.status()["phases"][1]["state"], "RolledBack");
  EXPECT_FALSE(w.last.gateRequest.has_value());
  EXPECT_EQ(w.events.back().type, EventType::Warning);
  // Passing gates later do not leave RolledBack.
  w.advance(1h);
  w.gate("errors", GateResult::Passed, 0.0);
  w.settle();
  EXPECT_EQ(w.state(), "RolledBack");
  // retry restarts the failed phase from its first step, once its gates pass at the rolled-back values.
  w.command("retry 2026-01-01T01:00:00.000Z-abc");
  w.settle();
  EXPECT_EQ(w.where(), "two/0@0 Pending") << "nobody is exposed before the gates pass again";
  EXPECT_EQ(w.percentOf("banner"), 0);
  EXPECT_EQ(w.events.back().reason, "RetryRequested");
  w.advance(1s);
  w.gate("errors", GateResult::Passed, 0.0);
  w.settle();
  EXPECT_EQ(w.where(), "two/0@50 Progressing");
  EXPECT_EQ(w.status()["lastCommand"], "retry 2026-01-01T01:00:00.000Z-abc");
  EXPECT_FALSE(w.status().contains("rollback"));
  EXPECT_EQ(w.cond("RolledBack"), "False");
  EXPECT_EQ(w.percentOf("banner"), 50);
}

TEST(RolloutPlanner, RollbackWithoutOnFailureRevertsWhatThePhaseTurnedOn) {
  World w(json::parse(kQuick));
  w.settle();
  w.advance(2s);
  w.gate("errors", GateResult::Critical, 0.2);
  w.settle();
  EXPECT_EQ(w.state(), "RolledBack");
  EXPECT_EQ(w.percentOf("checkout"), 0);
  EXPECT_EQ(w.percentOf("legacy"), 100);
}

TEST(RolloutPlanner, ASpecChangeLeavesRolledBack) {
  World w(json::parse(kQuick));
  w.settle();
  w.advance(2s);
  w.gate("errors", GateResult::Critical, 0.2);
  w.settle();
  ASSERT_EQ(w.state(), "RolledBack");
  w.editSpec([](json& s) { s["analysis"]["gates"][0]["critical"]["above"] = 0.5; });
  w.settle();
  EXPECT_EQ(w.where(), "one/0@0 Pending") << "a spec change is a retry: gates first";
  w.advance(1s);
  w.gate("errors", GateResult::Passed, 0.2);  // passes under the edited threshold
  w.settle();
  EXPECT_EQ(w.where(), "one/0@10 Progressing");
  EXPECT_TRUE(w.hasEvent("PhaseStarted"));
  EXPECT_EQ(w.status()["observedGeneration"], 2);
}

TEST(RolloutPlanner, ManualRollbackPausesOnCriticalUntilResumed) {
  auto spec = json::parse(kQuick);
  spec["rollback"] = "manual";
  World w(spec);
  w.settle();
  w.advance(2s);
  w.gate("errors", GateResult::Critical, 0.2);
  w.settle();
  EXPECT_EQ(w.where(), "one/0@10 Paused");
  EXPECT_EQ(w.percentOf("checkout"), 10) << "manual: nothing is reverted";
  EXPECT_TRUE(w.status()["operatorPaused"].get<bool>());
  EXPECT_EQ(w.cond("Stalled"), "True") << "it waits for a person";
  EXPECT_EQ(w.cond("Stalled", "reason"), "GateCritical");
  EXPECT_EQ(w.events.back().reason, "GateCritical");
  EXPECT_FALSE(w.last.gateRequest.has_value());
  w.advance(1h);
  w.settle();
  EXPECT_EQ(w.state(), "Paused");
  w.command("resume r1");
  w.settle();
  EXPECT_EQ(w.state(), "Progressing");
  EXPECT_FALSE(w.status().contains("operatorPaused"));
  EXPECT_TRUE(w.hasEvent("Resumed"));
  // The old critical result predates the resumed step's clock: it does not count.
  EXPECT_EQ(w.cond("GatesPassing"), "Unknown");
}

TEST(RolloutPlanner, PauseFreezesTimersAndResumeContinuesWhereItWas) {
  World w(json::parse(kQuick));
  w.settle();
  w.advance(20s);  // 10 s of the 30 s pause left
  w.editSpec([](json& s) { s["paused"] = true; });
  w.settle();
  EXPECT_EQ(w.where(), "one/0@10 Paused");
  EXPECT_EQ(w.cond("Reconciling"), "False");
  EXPECT_EQ(w.cond("Stalled"), "False");
  EXPECT_TRUE(w.hasEvent("Paused"));
  EXPECT_FALSE(w.last.gateRequest.has_value());
  EXPECT_FALSE(w.last.requeueAfter.has_value());
  w.advance(3h);
  w.gate("errors", GateResult::Passed, 0.0);
  w.settle();
  EXPECT_EQ(w.state(), "Paused");
  w.editSpec([](json& s) { s["paused"] = false; });
  w.settle();
  EXPECT_EQ(w.state(), "Progressing");
  EXPECT_TRUE(w.hasEvent("Resumed"));
  ASSERT_TRUE(w.last.requeueAfter);
  EXPECT_EQ(*w.last.requeueAfter, 10s) << "the pause kept its remaining 10 s";
  w.advance(10s);
  w.gate("errors", GateResult::Passed, 0.0);
  w.settle();
  EXPECT_EQ(w.where(), "one/1@100 Progressing");
}

TEST(RolloutPlanner, PausedAnnotationPausesLikeSpecPaused) {
  World w(json::parse(kQuick));
  w.settle();
  w.rollout["metadata"]["annotations"][names::kPausedAnnotation] = "true";
  w.settle();
  EXPECT_EQ(w.state(), "Paused");
  EXPECT_NE(w.status()["message"].get<std::string>().find(names::kPausedAnnotation), std::string::npos);
  w.rollout["metadata"]["annotations"].erase(names::kPausedAnnotation);
  w.settle();
  EXPECT_EQ(w.state(), "Progressing");
}

TEST(RolloutPlanner, EditingTheCurrentPhaseRestartsItsStepsOtherEditsKeepProgress) {
  World w(json::parse(kQuick));
  w.settle();
  w.advance(30s);
  w.gate("errors", GateResult::Passed, 0.0);
  w.settle();
  ASSERT_EQ(w.where(), "one/1@100 Progressing");
  // An edit elsewhere (a later phase, a gate threshold) keeps the step.
  w.editSpec([](json& s) { s["phases"][1]["steps"][0]["percent"] = 25; });
  w.settle();
  EXPECT_EQ(w.where(), "one/1@100 Progressing");
  // Inserting a phase before the current one keeps progress by name, not by index.
  w.editSpec([](json& s) {
    s["flags"].push_back({{"name", "extra"}, {"envVar", "EXTRA"}});
    s["phases"].insert(s["phases"].begin() + 1, json{{"name", "later"}, {"enable", {"extra"}}, {"steps", {{{"percent", 100}}}}});
  });
  w.settle();
  EXPECT_EQ(w.where(), "one/1@100 Progressing");
  EXPECT_EQ(w.status()["phaseIndex"], 0);
  // An edit of the current phase restarts its steps.
  w.editSpec([](json& s) { s["phases"][0]["steps"][0]["percent"] = 20; });
  w.settle();
  EXPECT_EQ(w.where(), "one/0@20 Progressing");
  EXPECT_TRUE(w.hasEvent("PhaseRestarted"));
  // Removing the current phase moves on to the first phase not yet completed.
  w.editSpec([](json& s) { s["phases"].erase(s["phases"].begin()); });
  w.settle();
  // "later" has no gates and no pause: it completes at once, and "two" (now 25%) starts.
  EXPECT_EQ(w.status()["phases"][0]["name"], "later");
  EXPECT_EQ(w.status()["phases"][0]["state"], "Succeeded");
  EXPECT_EQ(w.where(), "two/0@25 Progressing");
}

TEST(RolloutPlanner, InvalidSpecChangesNothingAndSaysWhyOnce) {
  World w(json::parse(kQuick));
  w.settle();
  auto cmBefore = w.cm.data;
  int writes = w.configMapWrites + w.workloadWrites;
  w.editSpec([](json& s) { s["phases"][0]["steps"][1]["percent"] = 5; });
  w.settle();
  EXPECT_EQ(w.state(), "Invalid");
  EXPECT_FALSE(w.last.writeChildren);
  EXPECT_EQ(w.configMapWrites + w.workloadWrites, writes);
  EXPECT_EQ(w.cm.data, cmBefore);
  EXPECT_EQ(w.cond("InvalidSpec"), "True");
  EXPECT_EQ(w.cond("Stalled"), "True");
  auto msg = w.cond("InvalidSpec", "message");
  EXPECT_NE(msg.find("spec.phases[0].steps[1].percent"), std::string::npos) << msg;
  EXPECT_EQ(w.status()["observedGeneration"], 2);
  size_t events = w.events.size();
  w.advance(1min);
  w.settle();
  EXPECT_EQ(w.events.size(), events) << "the same problem is reported once";
  // A command is answered even now, and does nothing.
  w.command("promote x1");
  w.settle();
  EXPECT_EQ(w.status()["lastCommand"], "promote x1");
  EXPECT_EQ(w.events.back().reason, "CommandIgnored");
  EXPECT_EQ(w.state(), "Invalid");
  // Fixing it continues where the rollout was.
  w.editSpec([](json& s) { s["phases"][0]["steps"][1]["percent"] = 100; });
  w.settle();
  EXPECT_EQ(w.cond("InvalidSpec"), "False");
  EXPECT_EQ(w.status()["phase"], "one");
  EXPECT_NE(w.state(), "Invalid");
}

TEST(RolloutPlanner, MissingTargetStallsWithoutWriting) {
  World w(json::parse(kQuick));
  w.workloads[0].exists = false;
  auto& p = w.reconcile();
  EXPECT_FALSE(p.writeChildren);
  EXPECT_EQ(w.cond("Stalled"), "True");
  EXPECT_EQ(w.cond("Stalled", "reason"), "TargetNotFound");
  EXPECT_NE(w.cond("Stalled", "message").find("spec.targets[0]: Deployment \"web\" not found in namespace shop"),
            std::string::npos);
  EXPECT_FALSE(w.cm.exists);
  EXPECT_TRUE(w.hasEvent("TargetNotFound"));
  w.command("promote p1");  // answered at once, not acted on later
  w.reconcile();
  EXPECT_EQ(w.status()["lastCommand"], "promote p1");
  EXPECT_EQ(w.events.back().reason, "CommandIgnored");
  EXPECT_NE(w.events.back().message.find("(request promote p1)"), std::string::npos) << w.events.back().message;
  w.workloads[0].exists = true;
  w.settle();
  EXPECT_EQ(w.where(), "one/0@10 Progressing");
  EXPECT_EQ(w.cond("Stalled"), "False");
}

TEST(RolloutPlanner, AFailedWriteIsStalledUntilWritesWorkAgain) {
  World w(json::parse(kQuick));
  w.reconcile();
  PlanInput in{RolloutObject::fromJson(w.rollout), w.cm, w.workloads, w.gates, w.now};
  in.writeError = "applying Deployment web: 403 Forbidden: cannot patch resource \"deployments\"";
  Plan p = RolloutPlanner::plan(in);
  auto st = p.status.toJson();
  const Condition* stalled = p.status.condition("Stalled");
  ASSERT_NE(stalled, nullptr);
  EXPECT_EQ(stalled->status, ConditionStatus::True);
  EXPECT_EQ(stalled->reason, "WriteFailed");
  EXPECT_NE(stalled->message.find("403 Forbidden"), std::string::npos);
  EXPECT_NE(st["message"].get<std::string>().find("cannot write the flag values"), std::string::npos);
  EXPECT_TRUE(p.writeChildren) << "it keeps trying";
  w.reconcile();  // no write error any more
  EXPECT_EQ(w.cond("Stalled"), "False");
}

TEST(RolloutPlanner, UnknownContainerAndForeignConfigMapAreInvalidSpec) {
  auto spec = json::parse(kQuick);
  spec["targets"][0]["containers"] = {"app", "nginx"};
  World w(spec);
  w.reconcile();
  EXPECT_EQ(w.state(), "Invalid");
  EXPECT_NE(w.cond("InvalidSpec", "message").find("spec.targets[0].containers[1]: container \"nginx\" is not in the pod template of Deployment web (containers: app, sidecar)"),
            std::string::npos)
      << w.cond("InvalidSpec", "message");

  World w2(json::parse(kQuick));
  w2.cm.exists = true, w2.cm.ownedByUs = false, w2.cm.owner = "nobody";
  w2.reconcile();
  EXPECT_EQ(w2.state(), "Invalid");
  EXPECT_FALSE(w2.last.writeChildren);
  EXPECT_NE(w2.cond("InvalidSpec", "message").find("spec.configMapName: ConfigMap \"demo-flags\" already exists"),
            std::string::npos);
}

TEST(RolloutPlanner, GateFaultsHoldStallOrFail) {
  struct Row {
    const char* what;
    GateResult result;
    int errors;
    bool permanent;
    const char* onNoData;
    std::string state, gatesReason, stalled;
  } rows[] = {
      {"no data holds", GateResult::NoData, 0, false, "hold", "Holding", "GateNoData", "False"},
      {"no data passes when told", GateResult::NoData, 0, false, "pass", "Progressing", "", "False"},
      {"no data fails when told", GateResult::NoData, 0, false, "fail", "RolledBack", "GateNoData", "True"},
      {"an error holds", GateResult::Error, 1, false, "hold", "Holding", "GateError", "False"},
      {"repeated errors stall", GateResult::Error, 5, false, "hold", "Holding", "GateErrors", "True"},
      {"a missing Secret stalls at once", GateResult::Error, 1, true, "hold", "Holding", "GateConfigError", "True"},
  };
  for (const auto& r : rows) {
    auto spec = json::parse(kQuick);
    spec["analysis"]["gates"][0]["onNoData"] = r.onNoData;
    World w(spec);
    w.settle();
    w.advance(30s);
    w.gate("errors", r.result, 0, r.result == GateResult::NoData && std::string(r.onNoData) == "pass" ? 1 : 0,
           r.errors, r.permanent);
    w.gates.back().value.reset();
    w.settle();
    if (std::string(r.what) == "no data passes when told") {
      EXPECT_EQ(w.where(), "one/1@100 Progressing") << r.what;
      continue;
    }
    EXPECT_EQ(w.state(), r.state) << r.what;
    EXPECT_EQ(w.cond("GatesPassing", "reason"), r.gatesReason) << r.what;
    EXPECT_EQ(w.cond("Stalled"), r.stalled) << r.what;
    EXPECT_EQ(w.status()["step"], 0) << r.what << ": never advances";
  }
}

TEST(RolloutPlanner, ConsecutiveSuccessesAreRequired) {
  auto spec = json::parse(kQuick);
  spec["analysis"]["consecutiveSuccesses"] = 3;
  World w(spec);
  w.settle();
  w.advance(30s);
  w.gate("errors", GateResult::Passed, 0.0, 2);
  w.settle();
  EXPECT_EQ(w.where(), "one/0@10 Progressing");
  EXPECT_NE(w.cond("GatesPassing", "message").find("passed 2 of 3"), std::string::npos);
  w.advance(10s);
  w.gate("errors", GateResult::Passed, 0.0, 3);
  w.settle();
  EXPECT_EQ(w.where(), "one/1@100 Progressing");
}

TEST(RolloutPlanner, ResultsFromBeforeTheStepBecameActiveDoNotCount) {
  World w(json::parse(kQuick));
  w.autoRollout = false;
  w.settle();
  w.gate("errors", GateResult::Passed, 0.0, 5);  // evaluated while the Deployment was rolling out
  w.advance(1min);
  w.workloads[0].rolledOut = true;
  w.settle();
  w.advance(30s);
  w.settle();
  EXPECT_EQ(w.where(), "one/0@10 Progressing");
  EXPECT_EQ(w.cond("GatesPassing", "reason"), "AwaitingEvaluation");
}

TEST(RolloutPlanner, CommandsActOnceAndAreAcknowledged) {
  World w(json::parse(kQuick));
  w.settle();
  w.command("promote c1");
  w.settle();
  EXPECT_EQ(w.where(), "one/1@100 Progressing") << "promote skips the pause and gates";
  EXPECT_EQ(w.status()["lastCommand"], "promote c1");
  w.settle();
  EXPECT_EQ(w.where(), "one/1@100 Progressing") << "the same command is not acted on twice";
  w.command("promote-full c2");
  w.settle();
  EXPECT_EQ(w.where(), "two/0@50 Progressing");
  w.command("abort c3");
  w.settle();
  EXPECT_EQ(w.state(), "RolledBack");
  EXPECT_EQ(w.cond("RolledBack", "reason"), "Aborted");
  for (const char* f : {"checkout", "banner"}) EXPECT_EQ(w.percentOf(f), 0) << f;
  EXPECT_EQ(w.percentOf("legacy"), 100) << "abort: every flag back to its default";
  w.command("dance c4");
  w.settle();
  EXPECT_EQ(w.events.back().reason, "UnknownCommand");
  EXPECT_EQ(w.status()["lastCommand"], "dance c4");
  w.command("retry c5");
  w.settle();
  w.advance(1s);
  w.gate("errors", GateResult::Passed, 0.0);
  w.settle();
  // Abort put every flag back to its default: retry walks again from the first phase, step by
  // step, instead of turning phase one's flags from 0% to 100% at once.
  EXPECT_EQ(w.where(), "one/0@10 Progressing");
  EXPECT_EQ(w.percentOf("checkout"), 10);
  EXPECT_EQ(w.percentOf("banner"), 0);
  EXPECT_EQ(w.status()["phases"][0]["state"], "Progressing");
  EXPECT_EQ(w.status()["phases"][1]["state"], "Pending");
}

TEST(RolloutPlanner, ARestartedOperatorContinuesExactlyWhereItWas) {
  World w(json::parse(kQuick));
  w.settle();
  w.advance(12s);
  w.gate("errors", GateResult::Passed, 0.0);
  w.settle();
  // A fresh planner run on the same inputs (what a restarted operator sees) decides the same.
  json before = w.status();
  size_t events = w.events.size();
  w.reconcile();
  w.reconcile();
  EXPECT_EQ(w.status(), before);
  EXPECT_EQ(w.events.size(), events);
  // Status says which step: even with the ConfigMap lost, the same step's values come back.
  w.cm = testing::WorldConfigMap{};
  w.reconcile();
  EXPECT_EQ(w.cm.data["CHECKOUT_PERCENT"], "10");
  EXPECT_EQ(w.status()["step"], 0);
}

TEST(RolloutPlanner, RemovedTargetsAreReleased) {
  auto spec = json::parse(kQuick);
  spec["targets"].push_back({{"kind", "StatefulSet"}, {"name", "db"}});
  World w(spec, {.targets = {{"Deployment", "web"}, {"StatefulSet", "db"}}});
  w.settle();
  EXPECT_EQ(w.status()["appliedTargets"], json({"Deployment/web", "StatefulSet/db"}));
  w.editSpec([](json& s) { s["targets"].erase(1); });
  w.reconcile();
  ASSERT_EQ(w.last.releases.size(), 1u);
  EXPECT_EQ(w.last.releases[0].kind + "/" + w.last.releases[0].name, "StatefulSet/db");
  EXPECT_EQ(w.status()["appliedTargets"], json({"Deployment/web"}));
}

TEST(RolloutPlanner, HandEditedStatusIsReResolvedNotTrusted) {
  World w(json::parse(kQuick));
  w.settle();
  w.rollout["status"]["phaseIndex"] = 7;
  w.rollout["status"]["step"] = 9;
  w.settle();
  EXPECT_EQ(w.where(), "one/0@10 Progressing");
}

// The shared example (docs/DESIGN.md section 1) walked end to end: its pauses are days; the injected
// clock makes them seconds of test time.
TEST(RolloutPlanner, TheWholeUnifiedWorkflowPlanRunsToSucceeded) {
  json doc = testing::yamlFileToJson(std::string(FRO_SOURCE_DIR) + "/crds/samples/unified-workflow.yaml");
  ASSERT_TRUE(doc.contains("spec")) << "missing crds/samples/unified-workflow.yaml";
  World w(doc["spec"], {.targets = {{"Deployment", "web"}, {"Deployment", "api"}}});
  for (auto& wl : w.workloads) wl.containers = {"web"};
  w.settle();
  std::vector<std::string> visited{w.where()};
  for (int i = 0; i < 40 && w.state() != "Succeeded"; ++i) {
    w.advance(48h);
    for (auto& g : doc["spec"]["analysis"]["gates"]) w.gate(g["name"], GateResult::Passed, 0.001);
    w.settle();
    if (visited.back() != w.where()) visited.push_back(w.where());
  }
  std::string path;
  for (auto& v : visited) path += v + "\n";
  EXPECT_EQ(path,
            "infrastructure/0@100 Progressing\n"
            "core/0@10 Progressing\ncore/1@50 Progressing\ncore/2@100 Progressing\n"
            "advanced/0@5 Progressing\nadvanced/1@25 Progressing\nadvanced/2@100 Progressing\n"
            "experimental/0@1 Progressing\nexperimental/1@10 Progressing\n"
            "legacy-deprecation/0@100 Progressing\n"
            "legacy-deprecation/0@100 Succeeded\n")
      << path;
  EXPECT_EQ(w.cond("Ready"), "True");
  for (auto& p : w.status()["phases"]) EXPECT_EQ(p["state"], "Succeeded") << p.dump();
  EXPECT_LE(w.status()["history"].size(), RolloutStatus::kMaxHistory);
}

// Issue 11, defect 4: what cannot be judged holds the rollout before anyone is exposed, with a
// condition and an Event at once.
TEST(RolloutPlanner, GatesThatCannotRunHoldBeforeTheFirstExposure) {
  World w(json::parse(kQuick));
  w.autoStartCheck = false;
  w.reconcile();
  w.advance(1ms);
  w.gate("errors", GateResult::Error, 0.0, 0, 1, /*permanent=*/true);
  w.gates.back().message = "no Prometheus address: set spec.prometheus.address or --default-prometheus-address";
  w.settle();
  EXPECT_EQ(w.where(), "one/0@0 Pending");
  EXPECT_EQ(w.percentOf("checkout"), 0);
  EXPECT_EQ(w.cm.data["CHECKOUT_PERCENT"], "0");
  EXPECT_EQ(w.cond("Stalled"), "True");
  EXPECT_EQ(w.cond("Stalled", "reason"), "GateConfigError");
  EXPECT_EQ(w.cond("GatesPassing"), "False");
  EXPECT_NE(w.status()["message"].get<std::string>().find("holds before any user is exposed"), std::string::npos);
  EXPECT_NE(w.status()["message"].get<std::string>().find("no Prometheus address"), std::string::npos);
  ASSERT_TRUE(w.hasEvent("GateConfigError"));
  EXPECT_EQ(w.events.back().type, EventType::Warning);
  size_t events = w.events.size();
  w.advance(10s);
  w.gate("errors", GateResult::Error, 0.0, 0, 2, true);
  w.settle();
  EXPECT_EQ(w.events.size(), events) << "one Event per reason, not one per evaluation";
  // Critical before exposure also holds (nothing to roll back, nobody exposed).
  w.advance(10s);
  w.gate("errors", GateResult::Critical, 0.3);
  w.settle();
  EXPECT_EQ(w.where(), "one/0@0 Pending");
  EXPECT_EQ(w.cond("GatesPassing", "reason"), "GateCritical");
  // Fixed: the phase starts.
  w.advance(10s);
  w.gate("errors", GateResult::Passed, 0.0);
  w.settle();
  EXPECT_EQ(w.where(), "one/0@10 Progressing");
  EXPECT_EQ(w.cond("Stalled"), "False");
}

// Defect 3: a retry while the critical signal is still there exposes nobody.
TEST(RolloutPlanner, RetryFirstSeesTheGatesPassAtTheRolledBackValues) {
  World w(json::parse(kQuick));
  w.settle();
  w.advance(2s);
  w.gate("errors", GateResult::Critical, 0.2);
  w.settle();
  ASSERT_EQ(w.state(), "RolledBack");
  const int cmWrites = w.configMapWrites;
  w.command("retry r1");
  w.settle();
  EXPECT_EQ(w.where(), "one/0@0 Pending");
  EXPECT_EQ(w.status()["gateCheck"]["purpose"], "Retry");
  EXPECT_EQ(w.cond("Reconciling"), "True");
  // The gate result from before the request does not count: a fresh evaluation is needed.
  EXPECT_EQ(w.cond("GatesPassing"), "Unknown");
  w.advance(1s);
  w.gate("errors", GateResult::Critical, 0.2);
  w.settle();
  EXPECT_EQ(w.state(), "RolledBack");
  EXPECT_EQ(w.events.back().reason, "RetryRefused");
  EXPECT_NE(w.events.back().message.find("nobody was exposed again"), std::string::npos) << w.events.back().message;
  EXPECT_EQ(w.configMapWrites, cmWrites) << "no value changed at any time";
  EXPECT_EQ(w.percentOf("checkout"), 0);
  // --force skips the check and says so.
  w.command("retry-force r2");
  w.settle();
  EXPECT_EQ(w.where(), "one/0@10 Progressing");
  bool said = false;
  for (auto& e : w.events) said = said || e.message.find("--force: gates not checked first") != std::string::npos;
  EXPECT_TRUE(said);
}

// Defect 6: at rest (and while a pause runs) status is not rewritten; the pause's end is a timestamp.
TEST(RolloutPlanner, NothingIsWrittenWhileAPauseRunsOrWhilePaused) {
  auto spec = json::parse(kQuick);
  spec["phases"][0]["gates"] = json::array();
  World w(spec);
  w.settle();
  ASSERT_EQ(w.where(), "one/0@10 Progressing");
  ASSERT_TRUE(w.status().contains("pauseUntil"));
  EXPECT_EQ(w.status()["pauseUntil"], Rfc3339::formatMicro(*Rfc3339::parse(w.status()["stepStartedAt"].get<std::string>()) + 30s));
  EXPECT_NE(w.status()["message"].get<std::string>().find("pausing until"), std::string::npos);
  int writes = w.statusWrites;
  for (int i = 0; i < 5; ++i) {
    w.advance(5s);
    w.reconcile();
  }
  EXPECT_EQ(w.statusWrites, writes) << "a countdown in status would rewrite it every reconcile";
  w.editSpec([](json& s) { s["paused"] = true; });
  w.settle();
  ASSERT_EQ(w.state(), "Paused");
  writes = w.statusWrites;
  for (int i = 0; i < 5; ++i) {
    w.advance(1min);
    w.reconcile();
  }
  EXPECT_EQ(w.statusWrites, writes);
}

// Defect 11: 1-based steps everywhere, the advancing status carries the new message, PERCENT after
// a rollback says what is really on, the gate's name is not repeated, resume on RolledBack is ignored.
TEST(RolloutPlanner, StatusSaysWhatUsersSee) {
  auto spec = json::parse(kQuick);
  spec["flags"].push_back({{"name", "reads"}, {"envVar", "READS"}});
  spec["phases"][1]["enable"] = {"banner", "reads"};
  World w(spec);
  w.settle();
  EXPECT_EQ(w.status()["currentStep"], "1/2");
  w.advance(30s);
  w.gate("errors", GateResult::Passed, 0.0);
  w.reconcile();
  EXPECT_EQ(w.status()["currentStep"], "2/2");
  EXPECT_EQ(w.status()["message"], "phase one step 2/2 (100%) started (was 10%): checkout on for 100% of users");
  w.settle();
  w.advance(1s);
  w.gate("errors", GateResult::Passed, 0.0);
  w.settle();
  ASSERT_EQ(w.where(), "two/0@50 Progressing");
  w.advance(1s);
  w.gate("errors", GateResult::Critical, 0.071);
  w.settle();
  ASSERT_EQ(w.state(), "RolledBack");
  EXPECT_EQ(w.percentOf("reads"), 50) << "onFailure disables only banner";
  EXPECT_EQ(w.status()["percent"], 50) << "PERCENT shows the share a flag of the phase is still on for";
  const std::string msg = w.status()["rollback"]["message"];
  EXPECT_NE(msg.find("gate errors = 0.071"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("errors: errors"), std::string::npos) << msg;
  w.command("resume x1");
  w.settle();
  EXPECT_EQ(w.events.back().reason, "CommandIgnored");
  EXPECT_NE(w.events.back().message.find("resume ignored: the rollout is RolledBack"), std::string::npos);
}

// Defect 7: every Event belongs to a numbered history entry, so the reconciler can name it after
// that number and record it exactly once, also across restarts.
TEST(RolloutPlanner, EveryEventIsANumberedTransition) {
  World w(json::parse(kQuick));
  w.settle();
  w.command("promote p1");
  w.settle();
  w.command("dance d1");
  w.settle();
  ASSERT_GE(w.events.size(), 3u);
  std::set<std::int64_t> seqs;
  for (const auto& e : w.events) {
    EXPECT_GT(e.seq, 0) << e.reason;
    seqs.insert(e.seq);
    bool inHistory = false;
    for (const auto& h : w.status()["history"])
      if (h.value("seq", 0) == e.seq) {
        inHistory = true;
        EXPECT_EQ(h["reason"], e.reason);
        EXPECT_EQ(h["eventType"], toString(e.type));
      }
    EXPECT_TRUE(inHistory) << e.reason;
  }
  EXPECT_EQ(seqs.size(), w.events.size()) << "numbers are unique";
  EXPECT_EQ(w.status()["transitions"], w.status()["history"].back()["seq"]);
}

// Defect 1: one workload, one rollout.
TEST(RolloutPlanner, AWorkloadClaimedByAnotherRolloutIsNotTouched) {
  World w(json::parse(kQuick));
  w.workloads[0].claimedBy = "other";
  w.workloads[0].claimantExists = true;
  w.settle();
  EXPECT_FALSE(w.last.writeChildren);
  EXPECT_TRUE(w.last.claims.empty());
  EXPECT_EQ(w.configMapWrites + w.workloadWrites, 0);
  EXPECT_EQ(w.cond("Stalled"), "True");
  EXPECT_EQ(w.cond("Stalled", "reason"), "TargetClaimed");
  EXPECT_NE(w.cond("Stalled", "message").find("FeatureRollout \"other\""), std::string::npos);
  EXPECT_EQ(w.reasons(), (std::vector<std::string>{"TargetClaimed"})) << "said once";
  // The other one lets go: claimed, then it proceeds.
  w.workloads[0].claimedBy.clear();
  w.workloads[0].claimantExists = false;
  w.reconcile();
  ASSERT_EQ(w.last.claims.size(), 1u);
  EXPECT_EQ(w.last.claims[0].name, "web");
  EXPECT_EQ(w.last.claims[0].previous, "");
  w.workloads[0].claimedBy = "demo";  // what the reconciler's claim wrote
  w.settle();
  EXPECT_TRUE(w.last.claims.empty());
  EXPECT_EQ(w.where(), "one/0@10 Progressing");
  // A claim left by a rollout that no longer exists is taken over.
  World stale(json::parse(kQuick));
  stale.workloads[0].claimedBy = "gone";
  stale.reconcile();
  ASSERT_EQ(stale.last.claims.size(), 1u);
  EXPECT_EQ(stale.last.claims[0].previous, "gone");
}

}  // namespace
}  // namespace fro::rollout
