// fro::Duration: the one Go-duration grammar (the CRD's pattern) for flags and specs. The cases
// where the two parsers it replaces disagreed are at the end.
#include "runtime/common/Duration.h"

#include <gtest/gtest.h>

#include <regex>

namespace fro {
namespace {

using namespace std::chrono_literals;

TEST(DurationTest, ParsesGoStyleDurations) {
  EXPECT_EQ(*Duration::parse("500ms"), 500ms);
  EXPECT_EQ(*Duration::parse("15s"), 15s);
  EXPECT_EQ(*Duration::parse("2m"), 2min);
  EXPECT_EQ(*Duration::parse("1h"), 1h);
  EXPECT_EQ(*Duration::parse("1m30s"), 90s);
  EXPECT_EQ(*Duration::parse("1s500ms"), 1500ms);
  EXPECT_EQ(*Duration::parse("0"), 0ms);
  EXPECT_EQ(*Duration::parse("0s"), 0ms);
  EXPECT_EQ(*Duration::parse("250ms"), 250ms);
  EXPECT_EQ(*Duration::parse("24h"), 24h);
  EXPECT_EQ(*Duration::parse("1h30m"), 90min);
}

TEST(DurationTest, RejectsWithAReason) {
  EXPECT_EQ(Duration::parse("").error().message, "empty duration");
  EXPECT_EQ(Duration::parse("15").error().message, "missing unit (ms, s, m or h)");
  EXPECT_EQ(Duration::parse("s").error().message, "expected a number");
  EXPECT_EQ(Duration::parse("3d").error().message, "unknown unit \"d\" (ms, s, m or h)");
  EXPECT_EQ(Duration::parse("10sec").error().message, "unknown unit \"sec\" (ms, s, m or h)");
  EXPECT_EQ(Duration::parse("-1s").error().message, "expected a number");
  EXPECT_EQ(Duration::parse("99999999999999999999h").error().message, "longer than a year (at most 8760h)");
  EXPECT_EQ(Duration::parse("9999999999999999h").error().message, "longer than a year (at most 8760h)");
  EXPECT_EQ(Duration::parse("5 s").error().message, "unexpected \" \" after \"5\"");
  EXPECT_EQ(Duration::parse("1h-5m").error().message, "expected a number after \"1h\"");
  EXPECT_FALSE(Duration::parse("2d").ok()) << "the CRD allows ms, s, m, h only";
  EXPECT_FALSE(Duration::parse("5w").ok());
}

TEST(DurationTest, FormatsShortAndExact) {
  EXPECT_EQ(Duration::format(0ms), "0s");
  EXPECT_EQ(Duration::format(500ms), "500ms");
  EXPECT_EQ(Duration::format(15s), "15s");
  EXPECT_EQ(Duration::format(90s), "1m30s");
  EXPECT_EQ(Duration::format(1h), "1h");
  EXPECT_EQ(Duration::format(24h), "24h");
  EXPECT_EQ(Duration::format(384h), "384h");
  // The rollout formatter's spelling (status messages, kstatus fixtures); the process one wrote 1500ms.
  EXPECT_EQ(Duration::format(1500ms), "1.5s");
  EXPECT_EQ(Duration::format(61001ms), "1m1.001s");
  EXPECT_EQ(Duration::format(3600500ms), "1h0.5s");
  EXPECT_EQ(Duration::format(-90s), "-1m30s");
}

TEST(DurationTest, FormatReadsBack) {
  for (auto d : {0ms, 1ms, 999ms, 1000ms, 1001ms, 1500ms, 59999ms, 60000ms, 61001ms, 3599999ms, 3600000ms, 3600500ms,
                 86400000ms, 31536000000ms})
    EXPECT_EQ(*Duration::parse(Duration::format(d)), d) << Duration::format(d);
}

// The CRD's pattern decides what is a duration: the parser accepts exactly what it matches.
TEST(DurationTest, AcceptsExactlyTheCrdPattern) {
  const std::regex crd(R"(^(0|([0-9]+(\.[0-9]+)?(ms|s|m|h))+)$)");
  for (const char* s : {"0", "0s", "00s", "1.5s", "0.5ms", "1h1h", "1s1m", "1.0h", "8760h", "1m30.25s", "007m",
                        "", "00", "1", ".5s", "1.s", "1..5s", "1.5.5s", "+1s", "-1s", "1 s", " 1s", "1s ", "1S", "1us",
                        "1ns", "1d", "1h-5m", "1e3s", "0x10s", "1,5s", "inf", "1sms", "s1", "0.s"}) {
    bool matches = std::regex_match(s, crd);
    auto d = Duration::parse(s);
    EXPECT_EQ(d.ok(), matches) << '"' << s << "\": " << (d.ok() ? "accepted" : d.error().message);
  }
}

// Where the parsers this one replaces disagreed (runtime/process: integers only, overflow bound;
// rollout/planner: stod terms, a year bound, rounding).
TEST(DurationTest, CasesTheOldParsersDisagreedOn) {
  // Fractions: the flag parser refused them; the CRD allows them, so both read them now.
  EXPECT_EQ(*Duration::parse("1.5s"), 1500ms);
  EXPECT_EQ(*Duration::parse("1.5h"), 90min);
  EXPECT_EQ(*Duration::parse("0.25m"), 15s);
  // Sub-millisecond fractions round to the nearest millisecond, as the rollout parser did.
  EXPECT_EQ(*Duration::parse("1.0004s"), 1000ms);
  EXPECT_EQ(*Duration::parse("1.0005s"), 1001ms);
  EXPECT_EQ(*Duration::parse("0.4ms"), 0ms);
  EXPECT_EQ(*Duration::parse("1.123456789123456789s"), 1123ms);
  // stod read these; the CRD's pattern does not allow them.
  EXPECT_EQ(Duration::parse(".5s").error().message, "expected a number");
  EXPECT_EQ(Duration::parse("1.s").error().message, "expected a digit after the decimal point in \"1.s\"");
  EXPECT_EQ(Duration::parse("1..5s").error().message, "expected a digit after the decimal point in \"1..5s\"");
  EXPECT_EQ(Duration::parse("1.5.5s").error().message, "unexpected \".\" after \"1.5\"");
  // The bound is a year (the rollout parser's), not int64 milliseconds (the flag parser's).
  EXPECT_EQ(*Duration::parse("8760h"), 8760h);
  EXPECT_EQ(*Duration::parse("525600m"), 8760h);
  EXPECT_EQ(Duration::parse("8761h").error().message, "longer than a year (at most 8760h)");
  EXPECT_EQ(Duration::parse("8760h1ms").error().message, "longer than a year (at most 8760h)");
  EXPECT_EQ(Duration::parse("8760.5h").error().message, "longer than a year (at most 8760h)");
  EXPECT_EQ(Duration::parse("4380h4380h1s").error().message, "longer than a year (at most 8760h)");
  // A term's unit is letters only: the flag parser called " s" an unknown unit.
  EXPECT_EQ(Duration::parse("1s.5").error().message, "expected a number after \"1s\"");
  // The error says what is wrong and names no flag or field: callers add that.
  EXPECT_EQ(Duration::parse("5x").error().message.find("--"), std::string::npos);
}

}  // namespace
}  // namespace fro
