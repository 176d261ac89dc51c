// Gates end to end (see GatedFixture.h): healthy, critical, warning, invalid query, missing Secret.
#include <cstdio>
#include <gtest/gtest.h>

#include <thread>

#include "runtime/common/Rfc3339.h"
#include "tests/integration/GatedFixture.h"

namespace fro {
namespace {

using json = nlohmann::json;
using kube::Resource;
using namespace std::chrono_literals;

class GatedRollout : public testing::GatedFixture {};

TEST_F(GatedRollout, AHealthyRolloutPassesEveryGateToSucceeded) {
  createDeployment("web");
  startService("checkout-flags");
  startController();
  json spec = {{"targets", {{{"kind", "Deployment"}, {"name", "web"}}}},
               {"flags", {{{"name", "feature-a"}, {"envVar", "FEATURE_A"}}}},
               {"analysis", {{"interval", "2s"}, {"gates", gatesFor()}}},
               {"phases", {{{"name", "one"}, {"enable", {"feature-a"}}, {"gates", {"error-rate", "latency-p95"}},
                            {"steps", {{{"percent", 10}, {"pause", "4s"}}, {{"percent", 100}}}}}}}};
  createRollout(spec);
  json fr = waitFor("checkout", [&](const json& o) { return state(o) == "Succeeded"; }, 120s, "Succeeded");
  ASSERT_EQ(state(fr), "Succeeded");
  EXPECT_EQ(percentOf(fr, "feature-a"), 100);
  int passes = 0;
  for (auto& h : fr["status"]["history"])
    if (h["reason"] == "StepAdvanced" || h["reason"] == "PhaseCompleted") ++passes;
  EXPECT_EQ(passes, 2);
  // While it ran, the gates were measured and shown: the last step's results stay readable.
  EXPECT_TRUE(std::filesystem::exists(targetFile));
}

TEST_F(GatedRollout, ErrorsAtTenPercentRollBackWithExactlyTheOnFailureFlags) {
  createDeployment("web");
  startService("checkout-flags");
  inject("flag=feature-b&errorRate=1");  // every user who gets feature-b fails
  startController();
  json spec = {{"targets", {{{"kind", "Deployment"}, {"name", "web"}}}},
               {"flags",
                {{{"name", "feature-a"}, {"envVar", "FEATURE_A"}},
                 {{"name", "feature-b"}, {"envVar", "FEATURE_B"}},
                 {{"name", "feature-c"}, {"envVar", "FEATURE_C"}}}},
               {"analysis", {{"interval", "2s"}, {"gates", gatesFor()}}},
               {"phases",
                {{{"name", "one"}, {"enable", {"feature-a"}}, {"steps", {{{"percent", 100}}}}},
                 {{"name", "two"},
                  {"enable", {"feature-b", "feature-c"}},
                  {"gates", {"error-rate"}},
                  {"steps", {{{"percent", 10}, {"pause", "60s"}}, {{"percent", 100}}}},
                  {"onFailure", {{"disable", {"feature-b"}}}}}}}};
  createRollout(spec);
  json fr = waitFor("checkout", [&](const json& o) { return state(o) == "RolledBack"; }, 120s, "RolledBack");
  ASSERT_EQ(state(fr), "RolledBack");
  EXPECT_EQ(fr["status"]["rollback"]["phase"], "two");
  EXPECT_EQ(percentOf(fr, "feature-b"), 0) << "onFailure disables feature-b";
  EXPECT_EQ(percentOf(fr, "feature-c"), 10) << "feature-c is not in onFailure: it keeps its percent";
  EXPECT_EQ(percentOf(fr, "feature-a"), 100) << "the earlier phase keeps its values";
  std::string msg = fr["status"]["rollback"]["message"];
  EXPECT_NE(msg.find("error-rate"), std::string::npos) << msg;
  EXPECT_NE(msg.find("critical"), std::string::npos) << msg;
  // Within two evaluation intervals of the errors being visible to Prometheus (10 s rate window).
  auto active = Rfc3339::parse(fr["status"]["history"].back().value("at", ""));
  for (auto& h : fr["status"]["history"])
    if (h["reason"] == "StepActive" && h["phase"] == "two") active = Rfc3339::parse(h.value("at", ""));
  auto at = Rfc3339::parse(fr["status"]["rollback"].value("at", ""));
  ASSERT_TRUE(active && at);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(*at - *active);
  std::cout << "rollback " << took.count() << " ms after phase two became active\n";
  EXPECT_LE(took, 2 * 2s + 10s + 2s);
  // The ConfigMap follows the status write that records the rollback: wait for it (bounded).
  Result<json> cm = Error::of("not read");
  for (auto until = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < until;) {
    cm = client->get(Resource::configMaps(), ns, "checkout-flags");
    if (cm.ok() && (*cm)["data"]["FEATURE_B_PERCENT"] == "0") break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ((*cm)["data"]["FEATURE_B_PERCENT"], "0");
  EXPECT_EQ((*cm)["data"]["FEATURE_C_PERCENT"], "10");
  EXPECT_TRUE(hasEvent("checkout", "RolledBack"));
}

// Issue 11 defect 3: retry while the critical signal is still there exposed 10% again within 3 s.
// Now the retry first needs a fresh passing evaluation at the rolled-back values; while the signal
// is there it is refused and nobody is exposed; once it is gone, the phase restarts at its first step.
TEST_F(GatedRollout, RetryWhileTheSignalIsStillCriticalExposesNobody) {
  createDeployment("web");
  startService("checkout-flags");
  inject("flag=feature-b&errorRate=1");
  startController();
  json spec = {{"targets", {{{"kind", "Deployment"}, {"name", "web"}}}},
               {"flags", {{{"name", "feature-a"}, {"envVar", "FEATURE_A"}}, {{"name", "feature-b"}, {"envVar", "FEATURE_B"}}}},
               {"analysis", {{"interval", "2s"}, {"gates", gatesFor()}}},
               {"phases",
                {{{"name", "one"}, {"enable", {"feature-a"}}, {"steps", {{{"percent", 100}}}}},
                 {{"name", "two"}, {"enable", {"feature-b"}}, {"gates", {"error-rate"}},
                  {"steps", {{{"percent", 10}, {"pause", "60s"}}, {{"percent", 100}}}}}}}};
  createRollout(spec);
  json fr = waitFor("checkout", [&](const json& o) { return state(o) == "RolledBack"; }, 120s, "RolledBack");
  ASSERT_EQ(state(fr), "RolledBack");
  // The signal stays: feature-a (at 100%, kept by the rollback) now fails 20% of requests.
  inject("flag=feature-a&errorRate=0.2");
  auto command = [&](const std::string& c) {
    json patch = {{"metadata", {{"annotations", {{rollout::names::kCommandAnnotation, c}}}}}};
    auto r = client->patch(Resource::featureRollouts(), ns, "checkout", kube::PatchType::Merge, patch);
    ASSERT_TRUE(r.ok()) << r.error().message;
  };
  command("retry r1");
  bool exposed = false;
  fr = waitFor("checkout",
               [&](const json& o) {
                 exposed = exposed || percentOf(o, "feature-b") != 0;
                 return o.value("/status/lastCommand"_json_pointer, std::string()) == "retry r1" && state(o) == "RolledBack";
               },
               60s, "the retry refused");
  EXPECT_FALSE(exposed) << "feature-b was on for someone while the signal was critical";
  EXPECT_EQ(fr["status"]["history"].back()["reason"], "RetryRefused");
  EXPECT_NE(fr["status"]["history"].back()["message"].get<std::string>().find("nobody was exposed again"), std::string::npos);
  EXPECT_TRUE(hasEvent("checkout", "RetryRefused"));
  auto cm = client->get(Resource::configMaps(), ns, "checkout-flags");
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ((*cm)["data"]["FEATURE_B_PERCENT"], "0");
  // The cause fixed and its errors out of the 10 s rate window: the retry is accepted.
  ASSERT_TRUE(call("DELETE", "/faults?flag=feature-a").ok());
  ASSERT_TRUE(call("DELETE", "/faults?flag=feature-b").ok());
  std::this_thread::sleep_for(15s);
  command("retry r2");
  fr = waitFor("checkout", [&](const json& o) { return state(o) == "Progressing" && percentOf(o, "feature-b") == 10; }, 60s,
               "phase two again at 10%");
  EXPECT_EQ(fr["status"]["phase"], "two");
  EXPECT_EQ(fr["status"]["step"], 0);
}

TEST_F(GatedRollout, WarningLevelErrorsHoldThenTheRolloutResumesWhenTheyClear) {
  createDeployment("web");
  startService("checkout-flags");
  // 50% of users x 5% + 0.5% baseline = about 3%: above warning (2%), safely below critical (5%).
  inject("flag=feature-a&errorRate=0.05");
  startController();
  json spec = {{"targets", {{{"kind", "Deployment"}, {"name", "web"}}}},
               {"flags", {{{"name", "feature-a"}, {"envVar", "FEATURE_A"}}}},
               {"analysis", {{"interval", "2s"}, {"gates", gatesFor()}}},
               {"phases", {{{"name", "one"}, {"enable", {"feature-a"}}, {"gates", {"error-rate"}},
                            {"steps", {{{"percent", 50}, {"pause", "12s"}}, {{"percent", 100}}}}}}}};
  createRollout(spec);
  // The pause outlasts the 10 s rate window, so the evaluation that decides sees only traffic from
  // after the step became active (with a shorter pause, an early evaluation of a window still
  // mostly from before could pass). It may hold for NoData first, until Prometheus has scrapes.
  json fr = waitFor("checkout", [&](const json& o) { return state(o) == "Holding" && condition(o, "GatesPassing", "reason") == "GateWarning"; },
                    120s, "Holding on GateWarning");
  ASSERT_EQ(state(fr), "Holding");
  EXPECT_EQ(fr["status"]["step"], 0);
  EXPECT_NE(condition(fr, "GatesPassing", "message").find("warning"), std::string::npos);
  EXPECT_TRUE(hasEvent("checkout", "GateWarning"));
  std::this_thread::sleep_for(4s);
  auto held = client->get(Resource::featureRollouts(), ns, "checkout");
  ASSERT_TRUE(held.ok());
  EXPECT_EQ((*held)["status"]["step"], 0) << "a warning never advances";
  ASSERT_TRUE(call("DELETE", "/faults?flag=feature-a").ok());
  fr = waitFor("checkout", [&](const json& o) { return state(o) == "Succeeded"; }, 120s, "Succeeded after the errors cleared");
  EXPECT_EQ(state(fr), "Succeeded");
}

TEST_F(GatedRollout, AnInvalidQueryShowsPrometheusErrorAndNeverAdvances) {
  createDeployment("web");
  startController();
  json spec = {{"targets", {{{"kind", "Deployment"}, {"name", "web"}}}},
               {"flags", {{{"name", "feature-a"}, {"envVar", "FEATURE_A"}}}},
               {"analysis", {{"interval", "1s"}, {"gates", {{{"name", "broken"}, {"query", "sum(rate(x[5m]) by"}, {"critical", {{"above", 1}}}}}}}},
               {"phases", {{{"name", "one"}, {"enable", {"feature-a"}}, {"gates", {"broken"}}, {"steps", {{{"percent", 10}}, {{"percent", 100}}}}}}}};
  createRollout(spec);
  // Issue 11 defect 4: a gate that cannot run holds the rollout before anyone is exposed.
  json fr = waitFor("checkout", [&](const json& o) { return condition(o, "GatesPassing") == "False"; }, 60s,
                    "GatesPassing False before the first step");
  EXPECT_EQ(state(fr), "Pending");
  EXPECT_EQ(condition(fr, "GatesPassing", "reason").rfind("GateError", 0), 0u) << condition(fr, "GatesPassing", "reason");
  std::string gmsg = fr.value("/status/gates/0/message"_json_pointer, std::string());
  EXPECT_NE(gmsg.find("parse error"), std::string::npos) << "Prometheus's own error text: " << gmsg;
  EXPECT_NE(fr["status"]["message"].get<std::string>().find("holds before any user is exposed"), std::string::npos);
  EXPECT_EQ(percentOf(fr, "feature-a"), 0) << "nobody was exposed";
  EXPECT_EQ(fr["status"]["step"], 0);
  // After maxConsecutiveErrors (default 5) it is Stalled, with the error text.
  EXPECT_TRUE(hasEvent("checkout", condition(fr, "GatesPassing", "reason")));
  fr = waitFor("checkout", [&](const json& o) { return condition(o, "Stalled") == "True"; }, 60s, "Stalled");
  EXPECT_EQ(condition(fr, "Stalled", "reason"), "GateErrors");
  EXPECT_EQ(fr["status"]["step"], 0);
  EXPECT_EQ(percentOf(fr, "feature-a"), 0);
}

// Issue 11 defect 4, as crds/samples/quick.yaml did with the chart's defaults: no Prometheus address
// anywhere. Nobody is exposed; the condition and the Event come at once, not after 30 s.
TEST_F(GatedRollout, NoPrometheusAddressHoldsBeforeAnyoneIsExposed) {
  makeEvaluator("");
  createDeployment("web");
  startController();
  json spec = {{"targets", {{{"kind", "Deployment"}, {"name", "web"}}}},
               {"flags", {{{"name", "feature-a"}, {"envVar", "FEATURE_A"}}}},
               {"analysis", {{"interval", "30s"}, {"gates", gatesFor()}}},
               {"phases", {{{"name", "one"}, {"enable", {"feature-a"}}, {"gates", {"error-rate"}},
                            {"steps", {{{"percent", 10}, {"pause", "4s"}}, {{"percent", 100}}}}}}}};
  const auto start = std::chrono::steady_clock::now();
  createRollout(spec);
  json fr = waitFor("checkout", [&](const json& o) { return condition(o, "Stalled") == "True"; }, 20s, "Stalled");
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("no address: Stalled %lld ms after create\n", static_cast<long long>(took.count()));
  EXPECT_LT(took, 10s) << "at once, not after an analysis interval";
  EXPECT_EQ(state(fr), "Pending");
  EXPECT_EQ(condition(fr, "Stalled", "reason"), "GateConfigError");
  EXPECT_NE(condition(fr, "Stalled", "message").find("no Prometheus address"), std::string::npos);
  EXPECT_EQ(percentOf(fr, "feature-a"), 0);
  EXPECT_TRUE(hasEvent("checkout", "GateConfigError"));
  auto cm = client->get(Resource::configMaps(), ns, "checkout-flags");
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ((*cm)["data"]["FEATURE_A_PERCENT"], "0");
}

TEST_F(GatedRollout, AMissingSecretStallsNamingIt) {
  createDeployment("web");
  startController();
  json spec = {{"targets", {{{"kind", "Deployment"}, {"name", "web"}}}},
               {"flags", {{{"name", "feature-a"}, {"envVar", "FEATURE_A"}}}},
               {"prometheus", {{"bearerTokenSecretRef", {{"name", "prom-token"}, {"key", "token"}}}}},
               {"analysis", {{"interval", "1s"}, {"gates", {{{"name", "g"}, {"query", "vector(0)"}, {"critical", {{"above", 1}}}}}}}},
               {"phases", {{{"name", "one"}, {"enable", {"feature-a"}}, {"gates", {"g"}}, {"steps", {{{"percent", 10}}, {{"percent", 100}}}}}}}};
  createRollout(spec);
  json fr = waitFor("checkout", [&](const json& o) { return condition(o, "Stalled") == "True"; }, 60s, "Stalled");
  EXPECT_EQ(condition(fr, "Stalled", "reason"), "GateConfigError");
  EXPECT_NE(condition(fr, "Stalled", "message").find("prom-token"), std::string::npos) << condition(fr, "Stalled", "message");
  EXPECT_EQ(fr["status"]["step"], 0);
}

}  // namespace
}  // namespace fro
