#include "operator/process/Duration.h"

#include <gtest/gtest.h>

#include "operator/process/BindAddress.h"

namespace fro::process {
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
}

TEST(DurationTest, RejectsWithAReason) {
  EXPECT_EQ(Duration::parse("").error().message, "empty duration");
  EXPECT_EQ(Duration::parse("15").error().message, "missing unit (ms, s, m or h)");
  EXPECT_EQ(Duration::parse("1.5s").error().message, "fractions are not supported (write 1500ms, not 1.5s)");
  EXPECT_EQ(Duration::parse("s").error().message, "expected a number");
  EXPECT_EQ(Duration::parse("3d").error().message, "unknown unit \"d\" (ms, s, m or h)");
  EXPECT_EQ(Duration::parse("99999999999999999999h").error().message, "duration out of range");
  EXPECT_EQ(Duration::parse("9999999999999999h").error().message, "duration out of range");
}

TEST(DurationTest, FormatsShortAndExact) {
  EXPECT_EQ(Duration::format(0ms), "0s");
  EXPECT_EQ(Duration::format(500ms), "500ms");
  EXPECT_EQ(Duration::format(15s), "15s");
  EXPECT_EQ(Duration::format(90s), "1m30s");
  EXPECT_EQ(Duration::format(1h), "1h");
  EXPECT_EQ(Duration::format(1500ms), "1500ms");
}

TEST(BindAddressTest, Forms) {
  auto all = BindAddress::parse(":8080");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->host, "");
  EXPECT_EQ(all->port, 8080);
  EXPECT_FALSE(all->disabled);
  EXPECT_TRUE(BindAddress::parse("0")->disabled);
  EXPECT_EQ(BindAddress::parse("localhost:0")->str(), "localhost:0");
  EXPECT_EQ(BindAddress::parse("[::]:9")->host, "::");
  EXPECT_EQ(BindAddress::parse("[::]:9")->str(), "[::]:9");
  EXPECT_EQ(BindAddress::parse("::1:80").error().message, "IPv6 addresses need brackets, e.g. [::1]:8080");
  EXPECT_EQ(BindAddress::parse("host:").error().message, "port must be a number from 0 to 65535");
  EXPECT_EQ(BindAddress::parse("a b:1").error().message, "invalid character in host");
}

}  // namespace
}  // namespace fro::process
