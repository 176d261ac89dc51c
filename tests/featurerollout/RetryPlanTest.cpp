// Where a retry restarts: never a flag more than one of its own steps up without that step's gates.
#include <gtest/gtest.h>

#include "rollout/planner/EffectiveFlags.h"
#include "rollout/planner/RetryPlan.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;

RolloutSpec spec() {
  auto s = RolloutSpec::parse(json::parse(R"({
    "targets": [{"kind": "Deployment", "name": "web"}],
    "flags": [{"name": "schema", "envVar": "SCHEMA"}, {"name": "search", "envVar": "SEARCH"},
              {"name": "ai", "envVar": "AI"}, {"name": "legacy", "envVar": "LEGACY", "default": true}],
    "phases": [
      {"name": "infra", "enable": ["schema"], "steps": [{"percent": 100}]},
      {"name": "core", "enable": ["search"], "steps": [{"percent": 10}, {"percent": 50}, {"percent": 100}]},
      {"name": "advanced", "enable": ["ai"], "steps": [{"percent": 5}, {"percent": 100}]},
      {"name": "cleanup", "disable": ["legacy"], "steps": [{"percent": 100}]}]})"),
                                 "demo");
  EXPECT_TRUE(s.ok());
  return *s;
}

int pct(const std::vector<FlagValue>& v, const std::string& n) {
  for (const auto& f : v)
    if (f.name == n) return f.percent;
  return -1;
}

TEST(RetryPlan, AfterAnAbortEveryPhaseIsWalkedAgainFromTheFirst) {
  auto s = spec();
  auto aborted = EffectiveFlags::at(s, Position{Position::Mode::Aborted, 2, 0});
  auto r = RetryPlan::compute(s, aborted);
  EXPECT_EQ(r.phase, 0);
  EXPECT_EQ(pct(r.after, "schema"), 100) << "infra's only step";
  EXPECT_EQ(pct(r.after, "search"), 0) << "core's flags wait for core: not 0% -> 100% at once";
  EXPECT_EQ(pct(r.after, "legacy"), 100);
}

TEST(RetryPlan, AfterARollbackTheFailedPhaseRestartsAtItsFirstStep) {
  auto s = spec();
  auto rolledBack = EffectiveFlags::at(s, Position{Position::Mode::RolledBack, 2, 1});
  auto r = RetryPlan::compute(s, rolledBack);
  EXPECT_EQ(r.phase, 2);
  EXPECT_EQ(pct(r.before, "ai"), 0);
  EXPECT_EQ(pct(r.after, "ai"), 5);
  EXPECT_EQ(pct(r.after, "search"), 100) << "completed phases keep their values";
}

TEST(RetryPlan, NoFlagRisesByMoreThanOneOfItsStepsFromAnyRolledBackOrAbortedPosition) {
  auto s = spec();
  for (int phase = 0; phase < static_cast<int>(s.phases.size()); ++phase)
    for (auto mode : {Position::Mode::RolledBack, Position::Mode::Aborted}) {
      auto now = EffectiveFlags::at(s, Position{mode, phase, 0});
      auto r = RetryPlan::compute(s, now);
      ASSERT_GE(r.phase, 0);
      for (size_t i = 0; i < r.after.size(); ++i) {
        if (r.after[i].percent <= r.before[i].percent) continue;
        // Whatever rises belongs to the restarted phase and rises to its first step only.
        const Phase& p = s.phases[r.phase];
        bool own = std::find(p.enable.begin(), p.enable.end(), r.after[i].name) != p.enable.end();
        EXPECT_TRUE(own) << r.after[i].name << " rose outside phase " << p.name;
        EXPECT_EQ(r.after[i].percent, p.steps[0].percent) << r.after[i].name;
      }
    }
}

TEST(RetryPlan, NothingLeftWhenEveryPhaseIsFinal) {
  auto s = spec();
  auto done = EffectiveFlags::at(s, Position{Position::Mode::Completed, 0, 0});
  EXPECT_EQ(RetryPlan::compute(s, done).phase, -1);
}

}  // namespace
}  // namespace fro::rollout
