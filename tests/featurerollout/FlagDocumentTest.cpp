#include <gtest/gtest.h>

#include "rollout/planner/Bucketing.h"
#include "rollout/planner/FlagDocument.h"

namespace fro::rollout {
namespace {

using nlohmann::json;

std::vector<FlagValue> sample() {
  return {{"unified_workflow_read", "VITE_UNIFIED_WORKFLOW_READ", 100},
          {"unified_workflow_write", "VITE_UNIFIED_WORKFLOW_WRITE", 10},
          {"unified_workflow_search", "VITE_UNIFIED_WORKFLOW_SEARCH", 0}};
}

TEST(FlagDocument, EnvKeysAreTrueOnlyAtOneHundredPercent) {
  auto data = FlagDocument::configMapData(sample());
  EXPECT_EQ(data["VITE_UNIFIED_WORKFLOW_READ"], "true");
  EXPECT_EQ(data["VITE_UNIFIED_WORKFLOW_READ_PERCENT"], "100");
  EXPECT_EQ(data["VITE_UNIFIED_WORKFLOW_WRITE"], "false") << "10% must not look on to apps that ignore percents";
  EXPECT_EQ(data["VITE_UNIFIED_WORKFLOW_WRITE_PERCENT"], "10");
  EXPECT_EQ(data["VITE_UNIFIED_WORKFLOW_SEARCH"], "false");
  EXPECT_EQ(data["VITE_UNIFIED_WORKFLOW_SEARCH_PERCENT"], "0");
  EXPECT_EQ(data.size(), 7u);
}

TEST(FlagDocument, FlagdDocumentUsesFractionalForPartialPercents) {
  auto doc = json::parse(FlagDocument::configMapData(sample())[FlagDocument::kFlagdKey]);
  auto& flags = doc["flags"];
  EXPECT_EQ(flags["unified_workflow_read"]["defaultVariant"], "on");
  EXPECT_FALSE(flags["unified_workflow_read"].contains("targeting"));
  EXPECT_EQ(flags["unified_workflow_search"]["defaultVariant"], "off");
  auto& write = flags["unified_workflow_write"];
  EXPECT_EQ(write["state"], "ENABLED");
  EXPECT_EQ(write["variants"], json({{"on", true}, {"off", false}}));
  EXPECT_EQ(write["defaultVariant"], "off");
  EXPECT_EQ(write["targeting"], json::parse(R"({"fractional": [["on", 10], ["off", 90]]})"));
}

// flagd's fractional buckets [["on",p],["off",100-p]] give "on" to buckets 0..p-1: the same users
// Bucketing::inRollout picks, so SDKs and the operator agree on who has the flag.
TEST(FlagDocument, FractionalRuleAgreesWithOurBucketing) {
  auto write = FlagDocument::flagd(sample())["flags"]["unified_workflow_write"]["targeting"]["fractional"];
  int onWeight = write[0][1];
  for (auto user : {"jack", "queen", "ten", "nine", "3", "user-42"}) {
    int b = Bucketing::bucket("unified_workflow_write", user);
    EXPECT_EQ(b < onWeight, Bucketing::inRollout("unified_workflow_write", user, 10)) << user;
  }
}

TEST(FlagDocument, OutputIsStableAndTheChecksumMovesOnlyWithValues) {
  auto a = FlagDocument::configMapData(sample());
  auto b = FlagDocument::configMapData(sample());
  EXPECT_EQ(a, b);
  EXPECT_EQ(FlagDocument::checksum(a), FlagDocument::checksum(b));
  EXPECT_EQ(FlagDocument::checksum(a).size(), 64u);
  auto changed = sample();
  changed[1].percent = 50;
  EXPECT_NE(FlagDocument::checksum(FlagDocument::configMapData(changed)), FlagDocument::checksum(a));
  EXPECT_NE(FlagDocument::checksum({{"ab", "c"}}), FlagDocument::checksum({{"a", "bc"}}));
  // Known value: sha256 of "1:a1:b" for {a: b}.
  EXPECT_EQ(FlagDocument::checksum({{"a", "b"}}), "facdde7abf1eac5b301273ab2e282f79bab0100f058833a7b8bdf9f80741e149");
}

}  // namespace
}  // namespace fro::rollout
