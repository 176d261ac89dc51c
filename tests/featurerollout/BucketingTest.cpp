#include <gtest/gtest.h>

#include <string>

#include "rollout/planner/Bucketing.h"

namespace fro::rollout {
namespace {

// Published flagd "fractional" vectors (docs/DESIGN.md section 4): flag key "fractional-flag".
TEST(Bucketing, PublishedVectors) {
  struct Row {
    const char* user;
    std::uint32_t hash;
    int bucket;
  } rows[] = {{"jack", 2682799072u, 62}, {"queen", 4278517551u, 99}, {"ten", 801845258u, 18},
              {"nine", 1406129861u, 32}, {"3", 604371928u, 14}};
  for (auto& r : rows) {
    EXPECT_EQ(Bucketing::murmur3_32(std::string("fractional-flag") + r.user), r.hash) << r.user;
    EXPECT_EQ(Bucketing::bucket("fractional-flag", r.user), r.bucket) << r.user;
  }
}

// Reference MurmurHash3_x86_32 values (seed 0 and a non-zero seed) covering every tail length.
TEST(Bucketing, MurmurReferenceValues) {
  EXPECT_EQ(Bucketing::murmur3_32(""), 0u);
  EXPECT_EQ(Bucketing::murmur3_32("", 1), 0x514E28B7u);
  EXPECT_EQ(Bucketing::murmur3_32("", 0xffffffff), 0x81F16F39u);
  EXPECT_EQ(Bucketing::murmur3_32("test"), 0xba6bd213u);
  EXPECT_EQ(Bucketing::murmur3_32("Hello, world!", 1234), 0xfaf6cdb3u);
  EXPECT_EQ(Bucketing::murmur3_32("The quick brown fox jumps over the lazy dog"), 0x2e4ff723u);
  EXPECT_EQ(Bucketing::murmur3_32("a"), 0x3c2569b2u);
  EXPECT_EQ(Bucketing::murmur3_32("ab"), 0x9bbfd75fu);
  EXPECT_EQ(Bucketing::murmur3_32("abc"), 0xb3dd93fau);
}

TEST(Bucketing, RaisingThePercentOnlyAddsUsers) {
  for (int u = 0; u < 2000; ++u) {
    std::string user = "user-" + std::to_string(u);
    bool had = false;
    for (int p = 0; p <= 100; ++p) {
      bool has = Bucketing::inRollout("unified_workflow_write", user, p);
      EXPECT_TRUE(has || !had) << user << " lost the flag at " << p << "%";
      had = has;
    }
    EXPECT_TRUE(had);
    EXPECT_FALSE(Bucketing::inRollout("unified_workflow_write", user, 0));
  }
}

TEST(Bucketing, SharesAreCloseToThePercent) {
  int in10 = 0, in50 = 0;
  const int n = 20000;
  for (int u = 0; u < n; ++u) {
    auto user = "u" + std::to_string(u);
    in10 += Bucketing::inRollout("checkout", user, 10);
    in50 += Bucketing::inRollout("checkout", user, 50);
  }
  EXPECT_NEAR(in10 / double(n), 0.10, 0.01);
  EXPECT_NEAR(in50 / double(n), 0.50, 0.015);
}

// The CBOR engine against the Python flagd provider 0.6.1 (openfeature-flagd-core 2.0.0), whose
// fractional hashes cbor2.dumps([flagKey, targetingKey], canonical=True) with mmh3 (seed 0,
// unsigned). Expected values computed with those libraries; tests/sdk checks 40,000 more keys.
TEST(Bucketing, CborVectorsOfThePythonProvider) {
  struct Row {
    std::string user;
    std::uint32_t hash;
    int bucket;
  } rows[] = {{"jack", 700711212u, 16},          {"queen", 1776368207u, 41},
              {"ten", 3836681180u, 89},          {"nine", 1768768171u, 41},
              {"3", 3443729330u, 80},            {"us\u00e9r-00001", 1606278614u, 37},
              {"\u7528\u6237-00042", 1174082055u, 27}, {"\U0001F464-00007", 878391133u, 20},
              {std::string(23, 'a'), 2401257905u, 55}, {std::string(24, 'a'), 1784751228u, 41},
              {std::string(300, 'x'), 2933486688u, 68}};
  for (auto& r : rows) {
    const std::string in = Bucketing::hashInput("fractional-flag", r.user, Bucketing::Engine::Cbor);
    EXPECT_EQ(Bucketing::murmur3_32(in), r.hash) << r.user;
    EXPECT_EQ(Bucketing::bucket("fractional-flag", r.user, Bucketing::Engine::Cbor), r.bucket) << r.user;
  }
  // A 70,000-byte key takes the 4-byte length form.
  EXPECT_EQ(Bucketing::bucket(std::string(70000, 'f'), "u", Bucketing::Engine::Cbor), 29);
}

TEST(Bucketing, CborEncodingIsCanonical) {
  // 0x82 = array of 2; 0x6f = text of 15 bytes; 0x64 = text of 4 bytes.
  EXPECT_EQ(Bucketing::cborPair("fractional-flag", "jack"), std::string("\x82\x6f" "fractional-flag" "\x64" "jack"));
  // 24 bytes and more need a length byte (0x78), 256 and more two (0x79), big-endian.
  EXPECT_EQ(Bucketing::cborPair("", std::string(24, 'a')).substr(0, 4), std::string("\x82\x60\x78\x18", 4));
  EXPECT_EQ(Bucketing::cborPair("", std::string(300, 'a')).substr(0, 5), std::string("\x82\x60\x79\x01\x2c", 5));
}

TEST(Bucketing, TheEnginesPickDifferentUsersForTheSameShare) {
  int same = 0, cbor50 = 0;
  const int n = 20000;
  for (int u = 0; u < n; ++u) {
    auto user = "user-" + std::to_string(u);
    bool c = Bucketing::inRollout("checkout", user, 50, Bucketing::Engine::Cbor);
    cbor50 += c;
    same += c == Bucketing::inRollout("checkout", user, 50);
  }
  EXPECT_NEAR(cbor50 / double(n), 0.50, 0.015);
  EXPECT_LT(same, n * 0.6) << "the two encodings are independent hashes";
}

TEST(Bucketing, EmptyUserKeyGetsTheDefaultNotABucket) {
  // As flagd: without a targeting key fractional falls back to defaultVariant, "on" only at 100%.
  for (auto e : {Bucketing::Engine::Murmur3, Bucketing::Engine::Cbor}) {
    EXPECT_FALSE(Bucketing::inRollout("fractional-flag", "", 99, e));
    EXPECT_FALSE(Bucketing::inRollout("fractional-flag", "", 1, e));
    EXPECT_TRUE(Bucketing::inRollout("fractional-flag", "", 100, e));
  }
}

TEST(Bucketing, EngineNames) {
  EXPECT_EQ(Bucketing::parseEngine("murmur3"), Bucketing::Engine::Murmur3);
  EXPECT_EQ(Bucketing::parseEngine("cbor"), Bucketing::Engine::Cbor);
  EXPECT_FALSE(Bucketing::parseEngine("CBOR").has_value());
  EXPECT_FALSE(Bucketing::parseEngine("").has_value());
  EXPECT_STREQ(Bucketing::toString(Bucketing::Engine::Cbor), "cbor");
  EXPECT_STREQ(Bucketing::toString(Bucketing::Engine::Murmur3), "murmur3");
}

}  // namespace
}  // namespace fro::rollout
