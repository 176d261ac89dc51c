// fro::JsonExcerpt: JSON from outside quoted in a message, bounded in bytes and depth (issue 17).
#include "runtime/common/JsonExcerpt.h"

#include <gtest/gtest.h>

#include "runtime/common/Utf8.h"

namespace fro {
namespace {

using nlohmann::json;

TEST(JsonExcerptTest, SmallValuesReadAsDump) {
  for (const char* text : {R"([1,"x",{"a":[true,null]}])", R"({"k\"ey":1.5})", R"("plain")", "42", "{}", "[]"})
    EXPECT_EQ(JsonExcerpt::of(json::parse(text)), json::parse(text).dump()) << text;
}

TEST(JsonExcerptTest, NestingAMillionLevelsDeepIsCutNotRecursed) {
  const std::size_t depth = 1000000;
  const json deep = json::parse(std::string(depth, '[') + std::string(depth, ']'));
  const std::string e = JsonExcerpt::of(deep);
  EXPECT_EQ(e, std::string(JsonExcerpt::kMaxDepth, '[') + "[...]" + std::string(JsonExcerpt::kMaxDepth, ']'));
}

TEST(JsonExcerptTest, LongValuesAreCutAtACharacterBoundary) {
  const std::string e = JsonExcerpt::of(json::array({std::string(300, 'x'), "\xc3\xa9\xc3\xa9"}), 50);
  EXPECT_LE(e.size(), 50u);
  EXPECT_EQ(e.substr(e.size() - 3), "...");
  EXPECT_TRUE(Utf8::valid(JsonExcerpt::of(json("\xc3\xa9\xc3\xa9\xc3\xa9"), 6)));
}

TEST(JsonExcerptTest, BytesThatAreNotUtf8DoNotThrow) {
  json v = {{"name", "p\xc0"}};  // as a YAML loader that does not check could hand it over
  std::string e;
  ASSERT_NO_THROW(e = JsonExcerpt::of(v));
  EXPECT_TRUE(Utf8::valid(e)) << e;
}

}  // namespace
}  // namespace fro
