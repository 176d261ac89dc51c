#include "runtime/process/BindAddress.h"

#include <gtest/gtest.h>

namespace fro::process {
namespace {

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
