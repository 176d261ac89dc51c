// fro::Rfc3339::parse on text that is not a well-formed, representable timestamp (found by
// fuzz/Rfc3339Fuzzer.cpp, issue 17): years system_clock cannot hold overflowed its nanoseconds
// (undefined behaviour), and sscanf's %d let signs, blanks and impossible days through.
#include "runtime/common/Rfc3339.h"

#include <gtest/gtest.h>

namespace fro {
namespace {

using namespace std::chrono;

TEST(Rfc3339Test, YearsTheClockCannotHoldAreRefusedNotWrapped) {
  EXPECT_FALSE(Rfc3339::parse("0000-01-01T00:00:00z"));  // the fuzzer's input: -62167219200 s * 1e9
  EXPECT_FALSE(Rfc3339::parse("9999-12-31T23:59:60Z"));
  EXPECT_FALSE(Rfc3339::parse("1677-09-21T00:12:43Z"));
  EXPECT_FALSE(Rfc3339::parse("2262-04-12T00:00:00Z"));
  auto last = Rfc3339::parse("2262-04-11T00:00:00Z");
  ASSERT_TRUE(last);
  EXPECT_EQ(Rfc3339::format(*last), "2262-04-11T00:00:00Z");
}

TEST(Rfc3339Test, EveryFieldIsDigits) {
  EXPECT_FALSE(Rfc3339::parse("2026-11-29T-1:47:40Z"));  // was 03:47:40 the day before... one hour off
  EXPECT_FALSE(Rfc3339::parse("2026- 1-29T04:47:40Z"));
  EXPECT_FALSE(Rfc3339::parse("+026-11-29T04:47:40Z"));
  EXPECT_FALSE(Rfc3339::parse("2026-11-29T04:47:40+ab:cd"));  // was read as +00:00
  EXPECT_FALSE(Rfc3339::parse("2026-11-29T04:47:40+-1:00"));
}

TEST(Rfc3339Test, DaysAndOffsetsMustExist) {
  EXPECT_FALSE(Rfc3339::parse("2026-02-29T00:00:00Z"));  // was 1 March
  EXPECT_FALSE(Rfc3339::parse("2026-04-31T00:00:00Z"));
  EXPECT_TRUE(Rfc3339::parse("2024-02-29T00:00:00Z"));
  EXPECT_FALSE(Rfc3339::parse("2026-11-29T04:47:40+24:00"));
  EXPECT_FALSE(Rfc3339::parse("2026-11-29T04:47:40+02:60"));
}

TEST(Rfc3339Test, WellFormedTimestampsStillRead) {
  auto utc = Rfc3339::parse("2026-11-29T04:47:40Z");
  ASSERT_TRUE(utc);
  EXPECT_EQ(Rfc3339::parse("2026-11-29T06:17:40+01:30"), utc);
  EXPECT_EQ(Rfc3339::parse("2026-11-29t04:47:40z"), utc);
  auto micro = Rfc3339::parse("2026-11-29T04:47:40.123456789Z");
  ASSERT_TRUE(micro);
  EXPECT_EQ(*micro - *utc, microseconds(123456));
  EXPECT_EQ(Rfc3339::formatMicro(*micro), "2026-11-29T04:47:40.123456Z");
  EXPECT_EQ(Rfc3339::parse("2026-12-31T23:59:60Z"), Rfc3339::parse("2027-01-01T00:00:00Z"));  // a leap second
  EXPECT_EQ(Rfc3339::format(*Rfc3339::parse("1969-12-31T23:59:59.5Z")), "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace fro
