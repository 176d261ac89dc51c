#include "demo/service/FlagConfig.h"

#include <gtest/gtest.h>

#include "rollout/planner/FlagDocument.h"

namespace fro::demo {
namespace {

using nlohmann::json;

std::map<std::string, std::string> flagd(const json& flags) {
  return {{FlagConfig::kFlagdKey, json{{"flags", flags}}.dump()}};
}

json onOff(const std::string& defaultVariant) {
  return {{"state", "ENABLED"}, {"variants", {{"on", true}, {"off", false}}}, {"defaultVariant", defaultVariant}};
}

TEST(FlagConfig, ReadsBackEveryPercentTheOperatorWrites) {
  // The operator's own writer: whatever it produces, the service must see the same names and percents.
  std::vector<rollout::FlagValue> written;
  for (int p : {0, 1, 5, 10, 33, 50, 99, 100})
    written.push_back({"flag-" + std::to_string(p), "FLAG_" + std::to_string(p), p});
  auto flags = FlagConfig::parse(rollout::FlagDocument::configMapData(written));
  ASSERT_TRUE(flags.ok()) << flags.error().message;
  ASSERT_EQ(flags->size(), written.size());
  for (const auto& w : written) {
    auto it = std::find_if(flags->begin(), flags->end(), [&](const DemoFlag& f) { return f.name == w.name; });
    ASSERT_NE(it, flags->end()) << w.name;
    EXPECT_EQ(it->percent, w.percent) << w.name;
  }
  EXPECT_TRUE(std::is_sorted(flags->begin(), flags->end(), [](auto& a, auto& b) { return a.name < b.name; }));
}

TEST(FlagConfig, UsesTheFlagNameNotTheEnvVarAsBucketingKey) {
  auto flags = FlagConfig::parse(rollout::FlagDocument::configMapData({{"unified_workflow_write", "VITE_UNIFIED_WORKFLOW_WRITE", 10}}));
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(*flags, (std::vector<DemoFlag>{{"unified_workflow_write", 10}}));
}

TEST(FlagConfig, DisabledFlagIsOffWhateverItsDefault) {
  json def = onOff("on");
  def["state"] = "DISABLED";
  auto flags = FlagConfig::parse(flagd({{"a", def}}));
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->at(0).percent, 0);
}

TEST(FlagConfig, DefaultVariantDecidesWithoutTargeting) {
  json variants = {{"enabled", true}, {"disabled", false}};
  auto flags = FlagConfig::parse(flagd({{"a", {{"variants", variants}, {"defaultVariant", "enabled"}}},
                                        {"b", {{"variants", variants}, {"defaultVariant", "disabled"}}},
                                        {"c", {{"variants", variants}, {"defaultVariant", "disabled"}, {"targeting", json::object()}}}}));
  ASSERT_TRUE(flags.ok()) << flags.error().message;
  EXPECT_EQ(*flags, (std::vector<DemoFlag>{{"a", 100}, {"b", 0}, {"c", 0}}));
}

TEST(FlagConfig, FractionalSkipsBucketingExpressionAndWeighsBareBucketsOne) {
  json def = onOff("off");
  def["targeting"] = {{"fractional", json::array({json{{"var", "email"}}, json::array({"on", 1}), json::array({"off", 3})})}};
  json bare = onOff("off");
  bare["targeting"] = {{"fractional", json::array({json::array({"on"}), json::array({"off"})})}};
  auto flags = FlagConfig::parse(flagd({{"a", def}, {"b", bare}}));
  ASSERT_TRUE(flags.ok()) << flags.error().message;
  EXPECT_EQ(*flags, (std::vector<DemoFlag>{{"a", 25}, {"b", 50}}));
}

TEST(FlagConfig, RejectsWhatItCannotEvaluateNamingTheFlag) {
  json ifRule = onOff("off");
  ifRule["targeting"] = {{"if", json::array({true, "on", "off"})}};
  auto r = FlagConfig::parse(flagd({{"beta", ifRule}}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("\"beta\""), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("fractional"), std::string::npos) << r.error().message;

  json zero = onOff("off");
  zero["targeting"] = {{"fractional", json::array({json::array({"on", 0}), json::array({"off", 0})})}};
  json noDefault = {{"variants", {{"on", true}}}};
  json unknownDefault = {{"variants", {{"on", true}}}, {"defaultVariant", "nope"}};
  json badState = onOff("on");
  badState["state"] = "MAYBE";
  for (const json& flags : {json{{"z", zero}}, json{{"x", noDefault}}, json{{"x", unknownDefault}}, json{{"x", badState}}})
    EXPECT_FALSE(FlagConfig::parse(flagd(flags)).ok()) << flags.dump();
  const std::map<std::string, std::string> notJson{{FlagConfig::kFlagdKey, "{not json"}};
  const std::map<std::string, std::string> noFlags{{FlagConfig::kFlagdKey, "{\"flegs\":{}}"}};
  EXPECT_FALSE(FlagConfig::parse(notJson).ok());
  EXPECT_FALSE(FlagConfig::parse(noFlags).ok());
}

TEST(FlagConfig, WithoutFlagdDocumentPercentKeysNameTheFlags) {
  const std::map<std::string, std::string> data{{"SEARCH_AI", "false"}, {"SEARCH_AI_PERCENT", "5"}, {"OTHER", "x"}, {"_PERCENT", "3"}};
  auto flags = FlagConfig::parse(data);
  ASSERT_TRUE(flags.ok()) << flags.error().message;
  EXPECT_EQ(*flags, (std::vector<DemoFlag>{{"SEARCH_AI", 5}}));

  for (std::string bad : {"101", "-1", "5.5", "", "ten"}) {
    const std::map<std::string, std::string> d{{"X_PERCENT", bad}};
    auto r = FlagConfig::parse(d);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("X_PERCENT"), std::string::npos);
  }
}

TEST(FlagConfig, ConfigMapWithoutDataHasNoFlags) {
  auto flags = FlagConfig::fromConfigMap({{"metadata", {{"name", "x"}}}});
  ASSERT_TRUE(flags.ok());
  EXPECT_TRUE(flags->empty());
  const json nonString = {{"data", {{"A_PERCENT", 5}}}};
  EXPECT_FALSE(FlagConfig::fromConfigMap(nonString).ok()) << "non-string data value";
}

}  // namespace
}  // namespace fro::demo
