#include <gtest/gtest.h>

#include "rollout/planner/EffectiveFlags.h"

namespace fro::rollout {
namespace {

using Mode = Position::Mode;

RolloutSpec spec() {
  auto s = RolloutSpec::parse(nlohmann::json::parse(R"json({
    "targets": [{"kind": "Deployment", "name": "web"}],
    "flags": [
      {"name": "schema", "envVar": "SCHEMA"}, {"name": "read", "envVar": "READ"},
      {"name": "write", "envVar": "WRITE"}, {"name": "search", "envVar": "SEARCH"},
      {"name": "legacy", "envVar": "LEGACY", "default": true}],
    "phases": [
      {"name": "infrastructure", "enable": ["schema", "read"], "steps": [{"percent": 100}]},
      {"name": "core", "enable": ["write", "search"], "disable": ["legacy"],
       "steps": [{"percent": 10}, {"percent": 50}, {"percent": 100}], "onFailure": {"disable": ["write"]}},
      {"name": "cleanup", "enable": [], "disable": ["schema"], "steps": [{"percent": 100}]}]})json"),
                            "r");
  EXPECT_TRUE(s.ok()) << s.error().message;
  return *s;
}

std::string render(const std::vector<FlagValue>& v) {
  std::string out;
  for (auto& f : v) out += f.name + "=" + std::to_string(f.percent) + " ";
  return out;
}

TEST(EffectiveFlags, Table) {
  auto s = spec();
  struct Row {
    const char* what;
    Position pos;
    std::string want;
  } rows[] = {
      {"first step of first phase", {Mode::InProgress, 0, 0}, "schema=100 read=100 write=0 search=0 legacy=100 "},
      {"core at 10%: legacy retired", {Mode::InProgress, 1, 0}, "schema=100 read=100 write=10 search=10 legacy=0 "},
      {"core at 50%", {Mode::InProgress, 1, 1}, "schema=100 read=100 write=50 search=50 legacy=0 "},
      {"cleanup: core keeps its last percent", {Mode::InProgress, 2, 0}, "schema=0 read=100 write=100 search=100 legacy=0 "},
      {"completed", {Mode::Completed, 2, 0}, "schema=0 read=100 write=100 search=100 legacy=0 "},
      {"core rolled back at 50%: onFailure disables writes only", {Mode::RolledBack, 1, 1},
       "schema=100 read=100 write=0 search=50 legacy=0 "},
      {"infrastructure rolled back (no onFailure): reverted to defaults", {Mode::RolledBack, 0, 0},
       "schema=0 read=0 write=0 search=0 legacy=100 "},
      {"aborted: every default", {Mode::Aborted, 1, 2}, "schema=0 read=0 write=0 search=0 legacy=100 "},
  };
  for (auto& r : rows) EXPECT_EQ(render(EffectiveFlags::at(s, r.pos)), r.want) << r.what;
}

TEST(EffectiveFlags, RaisingTheStepOnlyRaisesPercents) {
  auto s = spec();
  auto prev = EffectiveFlags::at(s, {Mode::InProgress, 1, 0});
  for (int step = 1; step < 3; ++step) {
    auto cur = EffectiveFlags::at(s, {Mode::InProgress, 1, step});
    for (size_t i = 0; i < cur.size(); ++i) EXPECT_GE(cur[i].percent, prev[i].percent) << cur[i].name;
    prev = cur;
  }
}

TEST(EffectiveFlags, ChangesNameEachFlagWhosePercentDiffers) {
  std::vector<FlagValue> before{{"a", "A", 0}, {"b", "B", 50}, {"c", "C", 100}};
  std::vector<FlagValue> after{{"a", "A", 10}, {"b", "B", 50}, {"c", "C", 0}};
  EXPECT_EQ(EffectiveFlags::changes(before, after), (std::vector<std::string>{"a 0% -> 10%", "c 100% -> 0%"}));
  EXPECT_TRUE(EffectiveFlags::changes(after, after).empty());
}

}  // namespace
}  // namespace fro::rollout
