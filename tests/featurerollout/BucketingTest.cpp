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

}  // namespace
}  // namespace fro::rollout
