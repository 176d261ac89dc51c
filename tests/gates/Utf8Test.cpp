// fro::Utf8 (runtime/common): what goes into status, logs and Events is valid UTF-8.
#include "runtime/common/Utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace fro {
namespace {

const std::string R = "\xEF\xBF\xBD";  // U+FFFD

TEST(Utf8, ValidTextIsKeptByteForByte) {
  for (std::string s : {std::string(), std::string("plain ascii"), std::string("caf\xC3\xA9"),
                        std::string("\xE2\x82\xAC 5"), std::string("\xF0\x9F\x9A\x80 launch"),
                        std::string("\xED\x9F\xBF"),        // U+D7FF, just below the surrogates
                        std::string("\xEE\x80\x80"),        // U+E000, just above them
                        std::string("\xF4\x8F\xBF\xBF"),    // U+10FFFF, the last code point
                        std::string("nul \0 inside", 12)}) {
    EXPECT_TRUE(Utf8::valid(s)) << s;
    EXPECT_EQ(Utf8::sanitize(s), s);
  }
}

TEST(Utf8, InvalidBytesBecomeOneReplacementEach) {
  EXPECT_EQ(Utf8::sanitize("a\xFF" "b"), "a" + R + "b");
  EXPECT_EQ(Utf8::sanitize("\xFE\xFF"), R + R);
  EXPECT_EQ(Utf8::sanitize("\x80 lone continuation"), R + " lone continuation");
  EXPECT_EQ(Utf8::sanitize("\xF5\x80\x80\x80"), R + R + R + R) << "F5.. never starts a sequence";
  EXPECT_FALSE(Utf8::valid("a\xFF"));
}

TEST(Utf8, ATruncatedMultiByteSequenceIsOneReplacement) {
  EXPECT_EQ(Utf8::sanitize("price \xE2\x82"), "price " + R);  // "€" cut after two bytes
  EXPECT_EQ(Utf8::sanitize("\xF0\x9F\x9A"), R);                 // a 4-byte emoji cut after three
  EXPECT_EQ(Utf8::sanitize("\xC3"), R);
  EXPECT_EQ(Utf8::sanitize("\xE2\x82x"), R + "x") << "the next character is kept";
}

TEST(Utf8, OverlongEncodingsAreInvalid) {
  EXPECT_EQ(Utf8::sanitize("\xC0\xAF"), R + R);          // '/' in two bytes
  EXPECT_EQ(Utf8::sanitize("\xC1\xBF"), R + R);
  EXPECT_EQ(Utf8::sanitize("\xE0\x80\xAF"), R + R + R);  // '/' in three bytes
  EXPECT_EQ(Utf8::sanitize("\xF0\x80\x80\xAF"), R + R + R + R);
  EXPECT_FALSE(Utf8::valid("\xE0\x9F\xBF"));
}

TEST(Utf8, SurrogatesAndCodePointsAboveTheLastAreInvalid) {
  EXPECT_EQ(Utf8::sanitize("\xED\xA0\x80"), R + R + R);  // U+D800 (CESU-8 style)
  EXPECT_EQ(Utf8::sanitize("\xED\xBF\xBF"), R + R + R);  // U+DFFF
  EXPECT_EQ(Utf8::sanitize("\xF4\x90\x80\x80"), R + R + R + R);  // U+110000
  EXPECT_FALSE(Utf8::valid("\xED\xA0\x80\xED\xB0\x80"));  // a surrogate pair encoded separately
}

TEST(Utf8, TruncateCutsAtACharacterBoundaryAndSaysSo) {
  EXPECT_EQ(Utf8::truncate("short", 10), "short");
  EXPECT_EQ(Utf8::truncate("exactly10!", 10), "exactly10!");
  EXPECT_EQ(Utf8::truncate("abcdefghijkl", 10), "abcdefg...");
  // "€" is 3 bytes at offsets 6..8: a 10-byte cut keeps 7 bytes of room, which ends inside it.
  const std::string s = "price \xE2\x82\xAC and more";
  EXPECT_EQ(Utf8::truncate(s, 10), "price ...");
  EXPECT_EQ(Utf8::truncate(s, 12), "price \xE2\x82\xAC...");
  for (std::size_t n = 0; n < s.size() + 2; ++n) {
    auto t = Utf8::truncate(s, n);
    EXPECT_LE(t.size(), n);
    EXPECT_TRUE(Utf8::valid(t)) << n;
  }
}

TEST(Utf8, TruncateSanitizesAndReadsOnlyUpToTheCut) {
  EXPECT_EQ(Utf8::truncate("ab\xFF", 10), "ab" + R);
  EXPECT_EQ(Utf8::truncate("ab\xFF\xFF\xFF\xFF", 8), "ab" + R + "...");
  // The rest of a long body is never decoded: the cost is the excerpt's, not the body's.
  std::string big(50u * 1000 * 1000, 'x');
  big[0] = '\xFF';
  EXPECT_EQ(Utf8::truncate(big, 8), R + "xx...");
}

}  // namespace
}  // namespace fro
