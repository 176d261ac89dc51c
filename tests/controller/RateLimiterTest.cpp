#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "runtime/controller/BucketRateLimiter.h"
#include "runtime/controller/ItemExponentialFailureRateLimiter.h"
#include "runtime/controller/MaxOfRateLimiter.h"
#include "runtime/controller/RateLimiter.h"
#include "tests/support/ManualClock.h"

namespace fro::controller {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

TEST(ItemExponentialFailureRateLimiter, DoublesFrom5msAndCapsAt1000s) {
  ItemExponentialFailureRateLimiter rl(5ms, 1000s);
  nanoseconds expected = 5ms;
  for (int i = 0; i < 18; ++i) {  // 5ms * 2^17 = 655.36s is the last step below the cap
    EXPECT_EQ(rl.when("ns/a"), expected) << "failure " << i;
    expected *= 2;
  }
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(rl.when("ns/a"), nanoseconds(1000s)) << "failure " << 18 + i;
  EXPECT_EQ(rl.numRequeues("ns/a"), 2018);
}

TEST(ItemExponentialFailureRateLimiter, KeysAreIndependentAndForgetResets) {
  ItemExponentialFailureRateLimiter rl(5ms, 1000s);
  EXPECT_EQ(rl.when("ns/a"), nanoseconds(5ms));
  EXPECT_EQ(rl.when("ns/a"), nanoseconds(10ms));
  EXPECT_EQ(rl.when("ns/a"), nanoseconds(20ms));
  EXPECT_EQ(rl.when("ns/b"), nanoseconds(5ms));
  EXPECT_EQ(rl.numRequeues("ns/a"), 3);
  EXPECT_EQ(rl.numRequeues("ns/b"), 1);
  EXPECT_EQ(rl.numRequeues("ns/never"), 0);

  rl.forget("ns/a");
  EXPECT_EQ(rl.numRequeues("ns/a"), 0);
  EXPECT_EQ(rl.when("ns/a"), nanoseconds(5ms));
  EXPECT_EQ(rl.numRequeues("ns/b"), 1);
}

TEST(BucketRateLimiter, FreeForTheBurstThenOneTokenPer100ms) {
  auto clock = std::make_shared<testing::ManualClock>();
  BucketRateLimiter rl(10, 100, clock);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(rl.when("k" + std::to_string(i)), nanoseconds(0)) << i;
  EXPECT_EQ(rl.when("x"), nanoseconds(100ms));
  EXPECT_EQ(rl.when("y"), nanoseconds(200ms));
  clock->advance(200ms);  // pays back the two borrowed tokens
  EXPECT_EQ(rl.when("z"), nanoseconds(100ms));
  EXPECT_EQ(rl.numRequeues("x"), 0);
}

class FixedLimiter : public RateLimiter {
 public:
  FixedLimiter(nanoseconds d, int n, int* forgets) : d_(d), n_(n), forgets_(forgets) {}
  nanoseconds when(const std::string&) override { return d_; }
  void forget(const std::string&) override { ++*forgets_; }
  int numRequeues(const std::string&) const override { return n_; }

 private:
  nanoseconds d_;
  int n_;
  int* forgets_;
};

TEST(MaxOfRateLimiter, TakesTheLongestWaitAndForgetsEverywhere) {
  int forgets = 0;
  std::vector<std::unique_ptr<RateLimiter>> ls;
  ls.push_back(std::make_unique<FixedLimiter>(5ms, 3, &forgets));
  ls.push_back(std::make_unique<FixedLimiter>(7ms, 1, &forgets));
  ls.push_back(std::make_unique<FixedLimiter>(2ms, 2, &forgets));
  MaxOfRateLimiter rl(std::move(ls));
  EXPECT_EQ(rl.when("k"), nanoseconds(7ms));
  EXPECT_EQ(rl.numRequeues("k"), 3);
  rl.forget("k");
  EXPECT_EQ(forgets, 3);
}

TEST(ControllerDefaultRateLimiter, PerKeyBackoffUntilTheOverallBucketRunsDry) {
  auto clock = std::make_shared<testing::ManualClock>();
  auto rl = RateLimiter::controllerDefault(clock);
  EXPECT_EQ(rl->when("ns/a"), nanoseconds(5ms));
  EXPECT_EQ(rl->when("ns/a"), nanoseconds(10ms));
  EXPECT_EQ(rl->when("ns/a"), nanoseconds(20ms));
  EXPECT_EQ(rl->numRequeues("ns/a"), 3);
  rl->forget("ns/a");
  EXPECT_EQ(rl->numRequeues("ns/a"), 0);
  // 3 tokens taken so far: 97 more first failures cost only the per-key 5 ms.
  for (int i = 0; i < 97; ++i) ASSERT_EQ(rl->when("ns/k" + std::to_string(i)), nanoseconds(5ms)) << i;
  // The burst of 100 is spent: the bucket (10 qps) now dominates.
  EXPECT_EQ(rl->when("ns/b"), nanoseconds(100ms));
  EXPECT_EQ(rl->when("ns/c"), nanoseconds(200ms));
  // A long per-key backoff still wins over a short bucket wait.
  for (int i = 0; i < 10; ++i) (void)rl->when("ns/slow");
  clock->advance(10s);  // bucket full again
  EXPECT_EQ(rl->when("ns/slow"), nanoseconds(5ms * 1024));
}

}  // namespace
}  // namespace fro::controller
