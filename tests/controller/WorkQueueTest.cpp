#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/controller/WorkQueue.h"
#include "tests/support/ManualClock.h"
#include "tests/controller/Sync.h"

namespace fro::controller {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;
using testing::kHandOff;

// Records what the queue reports to its metrics listener.
class RecordingMetrics : public QueueMetricsListener {
 public:
  void onAdd(const std::string& key) override {
    std::lock_guard l(mu);
    adds.push_back(key);
  }
  void onGet(const std::string&, nanoseconds queued) override {
    std::lock_guard l(mu);
    waits.push_back(queued);
  }
  void onDone(const std::string&, nanoseconds processing) override {
    std::lock_guard l(mu);
    durations.push_back(processing);
  }
  void onDepth(std::size_t d) override {
    std::lock_guard l(mu);
    depths.push_back(d);
  }
  void onRetry(const std::string& key) override {
    std::lock_guard l(mu);
    retries.push_back(key);
  }
  std::mutex mu;
  std::vector<std::string> adds, retries;
  std::vector<nanoseconds> waits, durations;
  std::vector<std::size_t> depths;
};

class WorkQueueTest : public ::testing::Test {
 protected:
  WorkQueueTest() {
    // Every advance of the fake clock makes due keys ready before advance() returns.
    clock->onAdvance([this] { q.pump(); });
  }
  WorkQueueOptions options() {
    WorkQueueOptions o;
    o.clock = clock;
    o.metrics = metrics;
    o.delayThread = false;  // only the advance hook's pump() moves parked keys
    return o;
  }
  // Takes the next key, which the test expects to be ready already. Fails instead of blocking
  // in get() when none is, so a broken queue fails the test rather than hanging it.
  std::string take() {
    EXPECT_GT(q.len(), 0u);
    if (q.len() == 0) return "";
    auto k = q.get();
    EXPECT_TRUE(k.has_value());
    return k.value_or("");
  }

  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
  std::shared_ptr<RecordingMetrics> metrics = std::make_shared<RecordingMetrics>();
  WorkQueue q{options()};
};

TEST_F(WorkQueueTest, AddDeduplicatesPendingKeys) {
  q.add("ns/a");
  q.add("ns/a");
  q.add("ns/b");
  q.add("ns/a");
  EXPECT_EQ(q.len(), 2u);
  EXPECT_EQ(take(), "ns/a");
  EXPECT_EQ(take(), "ns/b");
  EXPECT_EQ(q.len(), 0u);
  q.done("ns/a");
  q.done("ns/b");
  EXPECT_EQ(q.len(), 0u);  // processed once each
  EXPECT_EQ(metrics->adds, (std::vector<std::string>{"ns/a", "ns/b"}));
}

TEST_F(WorkQueueTest, KeyAddedWhileProcessingIsRequeuedByDone) {
  q.add("ns/a");
  EXPECT_EQ(take(), "ns/a");
  q.add("ns/a");
  q.add("ns/a");
  EXPECT_EQ(q.len(), 0u);  // not handed to a second worker while held
  EXPECT_EQ(q.processingLen(), 1u);
  q.done("ns/a");
  EXPECT_EQ(q.len(), 1u);  // once, however many adds
  EXPECT_EQ(take(), "ns/a");
  q.done("ns/a");
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.processingLen(), 0u);
}

TEST_F(WorkQueueTest, DoneOfAKeyNotHeldIsIgnored) {
  q.done("ns/nobody");
  q.add("ns/a");
  q.done("ns/a");  // queued, not held
  EXPECT_EQ(q.len(), 1u);
}

TEST_F(WorkQueueTest, AKeyIsNeverHeldByTwoGettersAtOnce) {
  // Getters hammer one key: the holder adds it again while holding it (so a queue that handed a
  // held key out would give it straight to an idle getter) and lingers a little before done().
  constexpr int kGetters = 4;
  constexpr std::size_t kRounds = 2000;
  std::atomic<int> active{0};
  std::atomic<int> maxActive{0};
  testing::Counter processed;
  std::vector<std::thread> getters;
  for (int t = 0; t < kGetters; ++t)
    getters.emplace_back(testing::threadBody([&] {
      while (auto key = q.get()) {
        int now = ++active;
        int seen = maxActive.load();
        while (now > seen && !maxActive.compare_exchange_weak(seen, now)) {
        }
        q.add(*key);
        for (int i = 0; i < 20; ++i) std::this_thread::yield();
        --active;
        q.done(*key);
        processed.inc();
      }
    }));
  std::thread producer(testing::threadBody([&] {
    for (std::size_t i = 0; i < 20 * kRounds && !q.isShuttingDown(); ++i) q.add("ns/hot");
  }));
  EXPECT_TRUE(processed.waitFor(kRounds));
  EXPECT_TRUE(q.shutDownWithDrain(kHandOff));
  producer.join();
  for (auto& t : getters) t.join();
  EXPECT_EQ(maxActive.load(), 1);
}

TEST_F(WorkQueueTest, RateLimitedBackoffDoublesFrom5msToA1000sCap) {
  nanoseconds expected = 5ms;
  for (int i = 0; i < 22; ++i) {
    q.addRateLimited("ns/a");
    EXPECT_EQ(q.numRequeues("ns/a"), i + 1);
    EXPECT_EQ(q.delayedLen(), 1u);
    clock->advance(expected - 1ns);
    ASSERT_EQ(q.len(), 0u) << "failure " << i << " ready before " << expected.count() << "ns";
    clock->advance(1ns);
    ASSERT_EQ(q.len(), 1u) << "failure " << i << " not ready after " << expected.count() << "ns";
    EXPECT_EQ(take(), "ns/a");
    q.done("ns/a");
    expected = std::min<nanoseconds>(expected * 2, 1000s);
  }
  EXPECT_EQ(expected, nanoseconds(1000s));
  EXPECT_EQ(metrics->retries.size(), 22u);
}

TEST_F(WorkQueueTest, ForgetResetsTheBackoff) {
  for (int i = 0; i < 3; ++i) q.addRateLimited("ns/a");  // parked once, at 5 ms (earliest wins)
  EXPECT_EQ(q.numRequeues("ns/a"), 3);
  clock->advance(5ms);
  EXPECT_EQ(take(), "ns/a");
  q.done("ns/a");
  q.forget("ns/a");
  EXPECT_EQ(q.numRequeues("ns/a"), 0);
  q.addRateLimited("ns/a");
  clock->advance(5ms);
  EXPECT_EQ(q.len(), 1u);
}

TEST_F(WorkQueueTest, OverallBucketLimitsRetriesAfterTheBurst) {
  for (int i = 0; i < 100; ++i) q.addRateLimited("ns/k" + std::to_string(i));
  q.addRateLimited("ns/late1");  // bucket: 100 ms
  q.addRateLimited("ns/late2");  // bucket: 200 ms
  clock->advance(5ms);
  EXPECT_EQ(q.len(), 100u);
  clock->advance(94ms);
  EXPECT_EQ(q.len(), 100u);
  clock->advance(1ms);
  EXPECT_EQ(q.len(), 101u);
  clock->advance(100ms);
  EXPECT_EQ(q.len(), 102u);
}

TEST_F(WorkQueueTest, AddAfterReleasesKeysInDeadlineOrder) {
  q.addAfter("ns/c", 3s);
  q.addAfter("ns/a", 1s);
  q.addAfter("ns/b", 2s);
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.delayedLen(), 3u);
  clock->advance(1s);
  EXPECT_EQ(q.len(), 1u);
  clock->advance(5s);
  EXPECT_EQ(q.len(), 3u);
  EXPECT_EQ(q.delayedLen(), 0u);
  EXPECT_EQ(take(), "ns/a");
  EXPECT_EQ(take(), "ns/b");
  EXPECT_EQ(take(), "ns/c");
}

TEST_F(WorkQueueTest, TheEarlierOfTwoPendingDelaysWins) {
  q.addAfter("ns/a", 10s);
  q.addAfter("ns/a", 2s);
  q.addAfter("ns/a", 5s);  // later than the pending 2 s: ignored
  EXPECT_EQ(q.delayedLen(), 1u);
  clock->advance(2s - 1ns);
  EXPECT_EQ(q.len(), 0u);
  clock->advance(1ns);
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(take(), "ns/a");
  q.done("ns/a");
  clock->advance(10s);  // neither the 5 s nor the 10 s request is still pending
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.delayedLen(), 0u);
}

TEST_F(WorkQueueTest, AddAfterOfAQueuedKeyDeduplicatesWhenDue) {
  q.addAfter("ns/a", 0s);  // no delay: ready at once
  EXPECT_EQ(q.len(), 1u);
  q.addAfter("ns/a", 1s);
  clock->advance(1s);
  EXPECT_EQ(q.len(), 1u);  // still the one queued entry
}

TEST_F(WorkQueueTest, GetUnblocksWhenAManualClockMakesAKeyDue) {
  q.addAfter("ns/a", 30s);
  auto got = std::async(std::launch::async, [&] { return q.get(); });
  clock->advance(30s);
  if (got.wait_for(kHandOff) != std::future_status::ready) {
    q.shutDown();  // releases the getter, so the future's destructor does not hang the test
    FAIL() << "get() did not return the key that became due";
  }
  EXPECT_EQ(got.get(), std::optional<std::string>("ns/a"));
}

TEST_F(WorkQueueTest, MetricsSeeQueueWaitProcessingTimeAndDepth) {
  q.add("ns/a");
  q.add("ns/a");
  clock->advance(3s);
  EXPECT_EQ(take(), "ns/a");
  clock->advance(2s);
  q.done("ns/a");
  EXPECT_EQ(metrics->adds.size(), 1u);
  EXPECT_EQ(metrics->waits, std::vector<nanoseconds>{nanoseconds(3s)});
  EXPECT_EQ(metrics->durations, std::vector<nanoseconds>{nanoseconds(2s)});
  EXPECT_EQ(metrics->depths, (std::vector<std::size_t>{1, 0}));
}

TEST_F(WorkQueueTest, ShutDownUnblocksEveryGetter) {
  std::vector<std::future<std::optional<std::string>>> getters;
  for (int i = 0; i < 3; ++i) getters.push_back(std::async(std::launch::async, [&] { return q.get(); }));
  q.shutDown();
  for (auto& g : getters) {
    ASSERT_EQ(g.wait_for(kHandOff), std::future_status::ready);
    EXPECT_EQ(g.get(), std::nullopt);
  }
  EXPECT_TRUE(q.isShuttingDown());
}

TEST_F(WorkQueueTest, ShutDownDropsNotStartedKeysAndIgnoresNewOnes) {
  q.add("ns/a");
  q.addAfter("ns/b", 1s);
  q.shutDown();
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.delayedLen(), 0u);
  EXPECT_EQ(q.get(), std::nullopt);
  q.add("ns/c");
  q.addAfter("ns/d", 1s);
  q.addRateLimited("ns/e");
  clock->advance(1h);
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.delayedLen(), 0u);
  EXPECT_EQ(q.get(), std::nullopt);
}

TEST_F(WorkQueueTest, ShutDownWithDrainWaitsForInFlightKeys) {
  q.add("ns/a");
  q.add("ns/b");
  EXPECT_EQ(take(), "ns/a");
  q.add("ns/a");  // dirty while processing: dropped by the shutdown, not requeued by done()
  auto drained = std::async(std::launch::async, [&] { return q.shutDownWithDrain(kHandOff); });
  EXPECT_EQ(drained.wait_for(20ms), std::future_status::timeout);  // ns/a is still held
  q.done("ns/a");
  ASSERT_EQ(drained.wait_for(kHandOff), std::future_status::ready);
  EXPECT_TRUE(drained.get());
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.get(), std::nullopt);  // ns/b was queued but never started
}

TEST_F(WorkQueueTest, ShutDownWithDrainGivesUpAtTheTimeout) {
  q.add("ns/a");
  EXPECT_EQ(take(), "ns/a");
  EXPECT_FALSE(q.shutDownWithDrain(10ms));
  q.done("ns/a");
  EXPECT_TRUE(q.shutDownWithDrain(0ms));
}

// waitIdle() is how a fake-clock test knows the work an advance released has run: it returns
// once nothing is ready or held, whatever is still parked.
TEST_F(WorkQueueTest, WaitIdleWaitsForReadyAndHeldKeysButNotParkedOnes) {
  EXPECT_TRUE(q.waitIdle(0ms));
  q.addAfter("ns/later", 1s);
  EXPECT_TRUE(q.waitIdle(0ms)) << "a parked key is not work to wait for";

  q.add("ns/a");
  EXPECT_FALSE(q.waitIdle(0ms)) << "a ready key is";
  auto idle = std::async(std::launch::async, [&] { return q.waitIdle(kHandOff); });
  EXPECT_EQ(take(), "ns/a");
  EXPECT_EQ(idle.wait_for(20ms), std::future_status::timeout) << "ns/a is still held";
  q.add("ns/a");  // dirty while held: done() queues it again, so still not idle
  q.done("ns/a");
  EXPECT_EQ(idle.wait_for(20ms), std::future_status::timeout) << "ns/a is ready again";
  EXPECT_EQ(take(), "ns/a");
  q.done("ns/a");
  ASSERT_EQ(idle.wait_for(kHandOff), std::future_status::ready);
  EXPECT_TRUE(idle.get());

  clock->advance(1s);  // pump(): ns/later is ready now
  EXPECT_FALSE(q.waitIdle(0ms));
  q.shutDown();
  EXPECT_TRUE(q.waitIdle(0ms)) << "shutDown() drops ready keys";
}

// With the real clock the queue's own delay thread releases parked keys: no pump() needed.
TEST(WorkQueueRealClock, DelayThreadReleasesParkedKeys) {
  WorkQueue q;
  auto start = std::chrono::steady_clock::now();
  q.addAfter("ns/a", 20ms);
  q.addAfter("ns/b", 5ms);
  EXPECT_EQ(q.get(), std::optional<std::string>("ns/b"));
  EXPECT_EQ(q.get(), std::optional<std::string>("ns/a"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
}

}  // namespace
}  // namespace fro::controller
