// Base64 as kubeconfig *-data fields use it: standard alphabet, folded lines, strict otherwise.
#include <gtest/gtest.h>

#include "runtime/kube/Base64.h"

namespace fro::kube {
namespace {

TEST(Base64, RoundTripsEveryTailLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 1) {
    std::string in = all.substr(0, n);
    auto out = Base64::decode(Base64::encode(in));
    ASSERT_TRUE(out.ok()) << n << ": " << out.error().message;
    EXPECT_EQ(*out, in);
  }
}

TEST(Base64, KnownVectors) {
  EXPECT_EQ(Base64::encode(""), "");
  EXPECT_EQ(Base64::encode("f"), "Zg==");
  EXPECT_EQ(Base64::encode("fo"), "Zm8=");
  EXPECT_EQ(Base64::encode("foo"), "Zm9v");
  EXPECT_EQ(Base64::encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(*Base64::decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(*Base64::decode("+/+/"), std::string("\xfb\xff\xbf", 3));
}

TEST(Base64, SkipsWhitespaceAndAcceptsMissingPadding) {
  EXPECT_EQ(*Base64::decode("Zm9v\nYmFy\r\n"), "foobar");
  EXPECT_EQ(*Base64::decode("  Zm 9v Ym E= "), "fooba");
  EXPECT_EQ(*Base64::decode("Zg"), "f");
  EXPECT_EQ(*Base64::decode("Zm8"), "fo");
}

TEST(Base64, RejectsMalformedInputNamingOnlyTheOffset) {
  auto bad = Base64::decode("Zm9v!mFy");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("offset 4"), std::string::npos) << bad.error().message;
  EXPECT_EQ(bad.error().message.find("Zm9v"), std::string::npos) << "input must not be echoed";

  EXPECT_FALSE(Base64::decode("Zm9vY").ok());       // dangling single symbol
  EXPECT_FALSE(Base64::decode("Zg==Zg==").ok());    // data after padding
  EXPECT_FALSE(Base64::decode("Z===").ok());        // padding after one symbol
  EXPECT_FALSE(Base64::decode("Zg=").ok());         // incomplete padding
  EXPECT_FALSE(Base64::decode("Zm8==").ok());       // too much padding
  EXPECT_FALSE(Base64::decode("Zm9v-_").ok());      // URL alphabet is not ours
}

}  // namespace
}  // namespace fro::kube
