#include <gtest/gtest.h>

#include "runtime/common/Duration.h"
#include "rollout/planner/RolloutSpec.h"

namespace fro::rollout {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json validSpec() {
  return json::parse(R"json({
    "targets": [{"kind": "Deployment", "name": "web", "containers": ["web"]}, {"kind": "Deployment", "name": "api"}],
    "flags": [
      {"name": "schema", "envVar": "VITE_SCHEMA", "default": false},
      {"name": "write", "envVar": "VITE_WRITE", "default": false, "description": "Write operations"},
      {"name": "legacy", "envVar": "VITE_LEGACY", "default": true}],
    "prometheus": {"address": "http://prometheus:9090", "timeout": "3s"},
    "analysis": {"interval": "30s", "gates": [
      {"name": "error-rate", "query": "sum(rate(x[5m]))", "warning": {"above": 0.02}, "critical": {"above": 0.05}}]},
    "phases": [
      {"name": "infrastructure", "enable": ["schema"], "steps": [{"percent": 100, "pause": "24h"}], "gates": ["error-rate"]},
      {"name": "core", "enable": ["write"], "disable": ["legacy"],
       "steps": [{"percent": 10, "pause": "1h"}, {"percent": 50}, {"percent": 100, "pause": "1h30m"}],
       "onFailure": {"disable": ["write"]}}]})json");
}

TEST(RolloutSpec, ParsesEveryFieldWithDefaults) {
  auto s = RolloutSpec::parse(validSpec(), "checkout");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->configMapName, "checkout-flags");
  EXPECT_EQ(s->targets[0].containers, std::vector<std::string>{"web"});
  EXPECT_TRUE(s->targets[1].containers.empty());
  EXPECT_TRUE(s->flag("legacy")->defaultValue);
  EXPECT_EQ(s->prometheus.timeout, 3s);
  EXPECT_EQ(s->analysisInterval, 30s);
  EXPECT_EQ(s->gate("error-rate")->onNoData, OnNoData::Hold);
  EXPECT_DOUBLE_EQ(*s->gate("error-rate")->critical.above, 0.05);
  EXPECT_EQ(s->phases[1].steps[1].pause, 0ms);
  auto dotted = RolloutSpec::parse([] { auto j = validSpec(); return j; }(), "shop.checkout");
  ASSERT_TRUE(dotted.ok()) << dotted.error().message;
  EXPECT_EQ(dotted->configMapName, "shop.checkout-flags");
  EXPECT_EQ(s->phases[1].steps[2].pause, 90min);
  EXPECT_EQ(s->phases[0].steps[0].pause, 24h);
  EXPECT_EQ(s->rollback, RollbackPolicy::Automatic);
  EXPECT_FALSE(s->paused);
  EXPECT_EQ(s->progressDeadline, 10min);
  EXPECT_EQ(s->phaseIndex("core"), 1);
  EXPECT_FALSE(s->phases[0].onFailure);
  EXPECT_EQ(s->phases[1].onFailure->disable, std::vector<std::string>{"write"});
}

TEST(RolloutSpec, EveryDefectIsReportedWithItsField) {
  struct Row {
    const char* what;
    std::function<void(json&)> mutate;
    std::string field;
    std::string fragment;
  };
  std::vector<Row> rows = {
      {"no targets", [](json& j) { j.erase("targets"); }, "spec.targets", "Required value"},
      {"bad kind", [](json& j) { j["targets"][0]["kind"] = "Job"; }, "spec.targets[0].kind", "\"Job\""},
      {"duplicate target", [](json& j) { j["targets"][1]["name"] = "web"; }, "spec.targets[1]", "already a target"},
      {"duplicate flag", [](json& j) { j["flags"][1]["name"] = "schema"; }, "spec.flags[1].name", "\"schema\" is declared twice"},
      {"duplicate env", [](json& j) { j["flags"][1]["envVar"] = "VITE_SCHEMA"; }, "spec.flags[1].envVar", "\"VITE_SCHEMA\""},
      {"bad env", [](json& j) { j["flags"][0]["envVar"] = "1BAD-NAME"; }, "spec.flags[0].envVar", "\"1BAD-NAME\""},
      {"percent key clash", [](json& j) { j["flags"][1]["envVar"] = "VITE_SCHEMA_PERCENT"; }, "spec.flags[0].envVar", "VITE_SCHEMA_PERCENT"},
      {"default not bool", [](json& j) { j["flags"][0]["default"] = "yes"; }, "spec.flags[0].default", "true or false"},
      {"unknown flag in phase", [](json& j) { j["phases"][0]["enable"][0] = "nope"; }, "spec.phases[0].enable[0]", "\"nope\""},
      {"unknown flag in onFailure", [](json& j) { j["phases"][1]["onFailure"]["disable"][0] = "ghost"; }, "spec.phases[1].onFailure.disable[0]", "\"ghost\""},
      {"unknown gate", [](json& j) { j["phases"][0]["gates"][0] = "latency"; }, "spec.phases[0].gates[0]", "\"latency\""},
      {"percent too high", [](json& j) { j["phases"][1]["steps"][0]["percent"] = 101; }, "spec.phases[1].steps[0].percent", "got 101"},
      {"percent zero", [](json& j) { j["phases"][1]["steps"][0]["percent"] = 0; }, "spec.phases[1].steps[0].percent", "got 0"},
      {"percent decreasing", [](json& j) { j["phases"][1]["steps"][1]["percent"] = 5; }, "spec.phases[1].steps[1].percent", "below the previous step's 10"},
      {"bad pause", [](json& j) { j["phases"][1]["steps"][0]["pause"] = "10 minutes"; }, "spec.phases[1].steps[0].pause", "\"10 minutes\""},
      {"no steps", [](json& j) { j["phases"][0]["steps"] = json::array(); }, "spec.phases[0].steps", "at least one"},
      {"duplicate phase", [](json& j) { j["phases"][1]["name"] = "infrastructure"; }, "spec.phases[1].name", "declared twice"},
      {"flag in two phases", [](json& j) { j["phases"][1]["enable"][0] = "schema"; }, "spec.phases[1].enable", "already enabled by phase \"infrastructure\""},
      {"bad rollback", [](json& j) { j["rollback"] = "sometimes"; }, "spec.rollback", "\"sometimes\""},
      {"bad onNoData", [](json& j) { j["analysis"]["gates"][0]["onNoData"] = "ignore"; }, "spec.analysis.gates[0].onNoData", "\"ignore\""},
      {"threshold empty", [](json& j) { j["analysis"]["gates"][0]["warning"] = json::object(); }, "spec.analysis.gates[0].warning", "above or below"},
      {"threshold not number", [](json& j) { j["analysis"]["gates"][0]["critical"]["above"] = "5%"; }, "spec.analysis.gates[0].critical.above", "\"5%\""},
      {"interval too short", [](json& j) { j["analysis"]["interval"] = "100ms"; }, "spec.analysis.interval", "at least 1s"},
      {"bad address", [](json& j) { j["prometheus"]["address"] = "prometheus:9090"; }, "spec.prometheus.address", "\"prometheus:9090\""},
      {"bad cm name", [](json& j) { j["configMapName"] = "Flags_CM"; }, "spec.configMapName", "\"Flags_CM\""},
      {"empty band", [](json& j) { j["analysis"]["gates"][0]["warning"] = {{"above", 1}, {"below", 2}}; }, "spec.analysis.gates[0].warning", "must be less than above"},
      {"enable and disable", [](json& j) { j["phases"][1]["disable"] = {"write"}; }, "spec.phases[1].disable", "both enables and disables"},
      {"percent missing", [](json& j) { j["phases"][1]["steps"][1].erase("percent"); }, "spec.phases[1].steps[1].percent", "Required value"},
      {"bad gate name", [](json& j) { j["analysis"]["gates"][0]["name"] = "Error_Rate"; j["phases"][0]["gates"][0] = "Error_Rate"; }, "spec.analysis.gates[0].name", "\"Error_Rate\""},
      {"warning above not under critical", [](json& j) { j["analysis"]["gates"][0]["warning"] = {{"above", 0.1}}; }, "spec.analysis.gates[0].warning.above", "Invalid value: 0.1: gate \"error-rate\": the warning threshold must be less than critical.above (0.05)"},
      {"warning above equal to critical", [](json& j) { j["analysis"]["gates"][0]["warning"] = {{"above", 0.05}}; }, "spec.analysis.gates[0].warning.above", "must be less than critical.above (0.05)"},
      {"warning below not over critical", [](json& j) { j["analysis"]["gates"][0]["warning"] = {{"below", 10}}; j["analysis"]["gates"][0]["critical"] = {{"below", 20}}; }, "spec.analysis.gates[0].warning.below", "Invalid value: 10: gate \"error-rate\": the warning threshold must be greater than critical.below (20)"},
      {"too many successes", [](json& j) { j["analysis"]["consecutiveSuccesses"] = 11; }, "spec.analysis.consecutiveSuccesses", "got 11"},
  };
  for (auto& row : rows) {
    json spec = validSpec();
    row.mutate(spec);
    std::vector<FieldError> errors;
    auto s = RolloutSpec::parse(spec, "checkout", &errors);
    ASSERT_FALSE(s.ok()) << row.what;
    EXPECT_EQ(s.error().reason, "InvalidSpec");
    bool found = false;
    for (auto& e : errors)
      if (e.field == row.field && e.message.find(row.fragment) != std::string::npos) found = true;
    EXPECT_TRUE(found) << row.what << ": got " << s.error().message;
  }
}

// A warning trips before the critical threshold: above grows towards critical, below shrinks
// towards it; a warning bound in the other direction than the critical one is not compared.
TEST(RolloutSpec, WarningThresholdsThatTripBeforeCriticalAreAccepted) {
  for (json warning : {json{{"above", 0.02}}, json{{"above", 0.049}, {"below", 0.001}}, json{{"below", 7}}}) {
    json spec = validSpec();
    spec["analysis"]["gates"][0]["warning"] = warning;
    spec["analysis"]["gates"][0]["critical"] = {{"above", 0.05}, {"below", 0.0005}};
    std::vector<FieldError> errors;
    auto s = RolloutSpec::parse(spec, "checkout", &errors);
    EXPECT_TRUE(s.ok()) << warning.dump() << ": " << (s.ok() ? "" : s.error().message);
  }
  json spec = validSpec();
  spec["analysis"]["gates"][0]["warning"] = {{"above", 0.1}};
  spec["analysis"]["gates"][0]["critical"] = {{"below", 0.5}};
  EXPECT_TRUE(RolloutSpec::parse(spec, "checkout").ok()) << "opposite directions are not compared";
}

TEST(RolloutSpec, AllProblemsAtOnce) {
  json spec = validSpec();
  spec["rollback"] = "never";
  spec["phases"][0]["enable"][0] = "nope";
  std::vector<FieldError> errors;
  ASSERT_FALSE(RolloutSpec::parse(spec, "x", &errors).ok());
  EXPECT_EQ(errors.size(), 2u);
}

TEST(Duration, ParseAndFormat) {
  EXPECT_EQ(*Duration::parse("0s"), 0ms);
  EXPECT_EQ(*Duration::parse("250ms"), 250ms);
  EXPECT_EQ(*Duration::parse("1m30s"), 90s);
  EXPECT_EQ(*Duration::parse("1.5h"), 90min);
  EXPECT_FALSE(Duration::parse("2d").ok()) << "the CRD allows ms, s, m, h only";
  EXPECT_FALSE(Duration::parse("").ok());
  EXPECT_FALSE(Duration::parse("10").ok());
  EXPECT_FALSE(Duration::parse("-5s").ok());
  EXPECT_FALSE(Duration::parse("5w").ok());
  // The grammar's error says what is wrong; the spec's field error adds the value.
  EXPECT_NE(Duration::parse("5 s").error().message.find("unexpected \" \""), std::string::npos);
  json spec = validSpec();
  spec["phases"][0]["steps"][0]["pause"] = "5 s";
  std::vector<FieldError> errors;
  EXPECT_FALSE(RolloutSpec::parse(spec, "checkout", &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("Invalid value: \"5 s\""), std::string::npos) << errors[0].message;
  EXPECT_EQ(Duration::format(0ms), "0s");
  EXPECT_EQ(Duration::format(250ms), "250ms");
  EXPECT_EQ(Duration::format(90s), "1m30s");
  EXPECT_EQ(Duration::format(24h), "24h");
  EXPECT_EQ(Duration::format(1500ms), "1.5s");
}

}  // namespace
}  // namespace fro::rollout
