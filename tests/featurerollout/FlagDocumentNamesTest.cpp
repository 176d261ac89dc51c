// FlagDocument for flag names flagd cannot key (found by fuzz/FlagDocumentFuzzer.cpp, issue 17):
// a name that was not UTF-8 made configMapData() throw from dump(), and an empty name or one
// with a line break made a document flagd's schema refuses as a whole (keys ^.{1,}$).
#include <gtest/gtest.h>

#include "rollout/planner/FlagDocument.h"

namespace fro::rollout {
namespace {

using nlohmann::json;

json flagsOf(const std::map<std::string, std::string>& data) {
  return json::parse(data.at(FlagDocument::kFlagdKey))["flags"];
}

TEST(FlagDocumentNames, NameThatIsNotUtf8IsLeftOutInsteadOfThrowing) {
  const std::vector<FlagValue> flags{{"p\xc0", "P", 50}, {"ok", "OK", 50}};
  std::map<std::string, std::string> data;
  ASSERT_NO_THROW(data = FlagDocument::configMapData(flags));
  EXPECT_EQ(flagsOf(data), json::parse(FlagDocument::configMapData({{"ok", "OK", 50}}).at(FlagDocument::kFlagdKey))["flags"]);
  EXPECT_EQ(data.at("P_PERCENT"), "50") << "its env keys still carry its value";
}

TEST(FlagDocumentNames, EmptyNamesAndLineBreaksAreLeftOut) {
  const std::vector<FlagValue> flags{{"", "EMPTY", 100}, {"a\nb", "NL", 100}, {"a\r", "CR", 100},
                                     {"a\xe2\x80\xa8", "LS", 100}, {"a\xc2\x85", "NEL", 100}, {"fine", "FINE", 100}};
  auto names = flagsOf(FlagDocument::configMapData(flags));
  ASSERT_EQ(names.size(), 1u) << names.dump();
  EXPECT_TRUE(names.contains("fine"));
}

TEST(FlagDocumentNames, RolloutMetadataIsMadeValidUtf8) {
  std::map<std::string, std::string> data;
  ASSERT_NO_THROW(data = FlagDocument::configMapData({{"ok", "OK", 0}}, {"demo/\xff", 3}));
  EXPECT_EQ(json::parse(data.at(FlagDocument::kFlagdKey))["metadata"]["rollout"], "demo/\xef\xbf\xbd");
}

}  // namespace
}  // namespace fro::rollout
