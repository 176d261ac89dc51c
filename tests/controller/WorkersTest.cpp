#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "runtime/controller/Workers.h"
#include "runtime/controller/WorkQueue.h"
#include "tests/support/ManualClock.h"
#include "tests/controller/Sync.h"

namespace fro::controller {
namespace {

using namespace std::chrono_literals;
using testing::Counter;
using testing::Gate;
using testing::kHandOff;

// done() is the last thing a worker does with a key: counting it tells the test that the
// outcome (forget / addRateLimited / addAfter) has been applied.
class DoneCounter : public QueueMetricsListener {
 public:
  void onDone(const std::string&, std::chrono::nanoseconds) override { done.inc(); }
  Counter done;
};

class WorkersTest : public ::testing::Test {
 protected:
  WorkersTest() { clock->onAdvance([this] { q.pump(); }); }
  WorkQueueOptions options() {
    WorkQueueOptions o;
    o.clock = clock;
    o.metrics = metrics;
    o.delayThread = false;  // only the advance hook's pump() moves parked keys
    return o;
  }
  void record(const std::string& key) {
    std::lock_guard l(mu);
    calls.push_back(key);
  }
  std::vector<std::string> seen() {
    std::lock_guard l(mu);
    return calls;
  }

  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
  std::shared_ptr<DoneCounter> metrics = std::make_shared<DoneCounter>();
  WorkQueue q{options()};  // declared before any Workers: outlives them
  std::mutex mu;
  std::vector<std::string> calls;
};

TEST_F(WorkersTest, SuccessForgetsTheKey) {
  Workers w(q, [&](const std::string& k) { record(k); return ReconcileOutcome::success(); }, 2);
  w.start();
  q.add("ns/a");
  q.add("ns/b");
  ASSERT_TRUE(metrics->done.waitFor(2));
  EXPECT_EQ(q.numRequeues("ns/a"), 0);
  EXPECT_EQ(q.delayedLen(), 0u);
  EXPECT_TRUE(w.shutDown(kHandOff));
  auto all = seen();
  EXPECT_EQ(std::multiset<std::string>(all.begin(), all.end()), (std::multiset<std::string>{"ns/a", "ns/b"}));
}

TEST_F(WorkersTest, ErrorIsRetriedWithBackoffUntilSuccess) {
  std::atomic<int> attempt{0};
  Workers w(q, [&](const std::string&) {
    return ++attempt < 3 ? ReconcileOutcome::error("boom") : ReconcileOutcome::success();
  }, 1);
  w.start();
  q.add("ns/a");
  ASSERT_TRUE(metrics->done.waitFor(1));
  EXPECT_EQ(q.numRequeues("ns/a"), 1);
  EXPECT_EQ(q.delayedLen(), 1u);
  clock->advance(5ms - 1ns);
  EXPECT_EQ(attempt.load(), 1);
  EXPECT_EQ(q.len() + q.processingLen(), 0u);
  clock->advance(1ns);
  ASSERT_TRUE(metrics->done.waitFor(2));
  EXPECT_EQ(q.numRequeues("ns/a"), 2);
  clock->advance(10ms);
  ASSERT_TRUE(metrics->done.waitFor(3));
  EXPECT_EQ(attempt.load(), 3);
  EXPECT_EQ(q.numRequeues("ns/a"), 0);  // success forgot the failures
  EXPECT_EQ(q.delayedLen(), 0u);
  EXPECT_TRUE(w.shutDown(kHandOff));
}

TEST_F(WorkersTest, AThrowingReconcileCountsAsAnError) {
  Workers w(q, [&](const std::string&) -> ReconcileOutcome { throw std::runtime_error("bad"); }, 1);
  w.start();
  q.add("ns/a");
  ASSERT_TRUE(metrics->done.waitFor(1));
  EXPECT_EQ(q.numRequeues("ns/a"), 1);
  EXPECT_EQ(q.delayedLen(), 1u);
  EXPECT_TRUE(w.shutDown(kHandOff));
}

// The caller's reporting around its reconcile is skipped by a throw: the hook logs and counts it,
// the key comes back with backoff, and the worker goes on with the next key.
TEST_F(WorkersTest, AThrowingReconcileIsReportedWithItsKeyAndRetriedWithBackoff) {
  std::mutex m;
  std::vector<std::pair<std::string, ReconcileOutcome>> thrown;
  std::atomic<int> attempt{0};
  Workers w(
      q,
      [&](const std::string& k) -> ReconcileOutcome {
        record(k);
        if (k == "ns/a" && ++attempt == 1) throw std::runtime_error("[json.exception.type_error.316] invalid UTF-8 byte");
        if (k == "ns/b") throw 42;
        return ReconcileOutcome::success();
      },
      1,
      [&](const std::string& k, const ReconcileOutcome& o, std::chrono::nanoseconds) {
        std::lock_guard l(m);
        thrown.emplace_back(k, o);
        if (k == "ns/b") throw std::runtime_error("a hook that throws costs nothing");
      });
  w.start();
  q.add("ns/a");
  q.add("ns/b");
  ASSERT_TRUE(metrics->done.waitFor(2));
  {
    std::lock_guard l(m);
    ASSERT_EQ(thrown.size(), 2u);
    EXPECT_EQ(thrown[0].first, "ns/a");
    EXPECT_EQ(thrown[0].second.kind, ReconcileOutcome::Kind::kError);
    EXPECT_EQ(thrown[0].second.message, "reconcile threw: [json.exception.type_error.316] invalid UTF-8 byte");
    EXPECT_EQ(thrown[1].first, "ns/b");
    EXPECT_EQ(thrown[1].second.message, "reconcile threw a non-standard exception");
  }
  EXPECT_EQ(q.numRequeues("ns/a"), 1);
  EXPECT_EQ(q.numRequeues("ns/b"), 1);
  EXPECT_EQ(q.delayedLen(), 2u);
  // The backoff passes: the retry of ns/a succeeds and reports nothing more.
  clock->advance(std::chrono::seconds(1));
  ASSERT_TRUE(metrics->done.waitFor(4));
  EXPECT_EQ(q.numRequeues("ns/a"), 0);
  {
    std::lock_guard l(m);
    EXPECT_EQ(thrown.size(), 3u) << "only ns/b threw again";
  }
  EXPECT_TRUE(w.shutDown(kHandOff));
}

TEST_F(WorkersTest, RequeueAfterReaddsTheKeyAfterTheDelay) {
  std::atomic<int> attempt{0};
  Workers w(q, [&](const std::string&) {
    return ++attempt == 1 ? ReconcileOutcome::requeueAfter(30s) : ReconcileOutcome::success();
  }, 2);
  w.start();
  q.add("ns/a");
  ASSERT_TRUE(metrics->done.waitFor(1));
  EXPECT_EQ(q.numRequeues("ns/a"), 0);  // requeueAfter is not a failure
  EXPECT_EQ(q.delayedLen(), 1u);
  clock->advance(30s - 1ns);
  EXPECT_EQ(q.len() + q.processingLen(), 0u);
  EXPECT_EQ(attempt.load(), 1);
  clock->advance(1ns);
  ASSERT_TRUE(metrics->done.waitFor(2));
  EXPECT_EQ(attempt.load(), 2);
  EXPECT_TRUE(w.shutDown(kHandOff));
}

TEST_F(WorkersTest, AKeyIsNeverReconciledConcurrently) {
  // Six workers, one hot key added over and over, also by its own reconcile while in flight:
  // a queue that handed a held key to a second worker would run it concurrently at once.
  constexpr std::size_t kRounds = 1500;
  std::atomic<int> active{0};
  std::atomic<int> maxActive{0};
  std::atomic<int> other{0};
  Counter hot;
  Workers w(q, [&](const std::string& k) {
    if (k != "ns/hot") {
      ++other;
      return ReconcileOutcome::success();
    }
    int now = ++active;
    int seen = maxActive.load();
    while (now > seen && !maxActive.compare_exchange_weak(seen, now)) {
    }
    q.add(k);
    for (int i = 0; i < 20; ++i) std::this_thread::yield();
    --active;
    hot.inc();
    return ReconcileOutcome::success();
  }, 6);
  w.start();
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p)
    producers.emplace_back(testing::threadBody([&, p] {
      for (int i = 0; i < 20000 && !q.isShuttingDown(); ++i) q.add(i % 100 ? "ns/hot" : fmt::format("ns/cold{}", p));
    }));
  ASSERT_TRUE(hot.waitFor(kRounds));
  EXPECT_TRUE(w.shutDown(kHandOff));
  for (auto& t : producers) t.join();
  EXPECT_EQ(maxActive.load(), 1);
  EXPECT_GT(other.load(), 0);  // other keys still went through alongside the hot one
}

TEST_F(WorkersTest, ShutDownFinishesInFlightAndDoesNotStartQueuedKeys) {
  Gate release;
  Counter started;
  Workers w(q, [&](const std::string& k) {
    record(k);
    started.inc();
    EXPECT_TRUE(release.wait());
    return ReconcileOutcome::success();
  }, 2);
  q.add("ns/a");
  q.add("ns/b");
  q.add("ns/c");
  q.add("ns/d");
  w.start();
  ASSERT_TRUE(started.waitFor(2));  // both workers busy; ns/c and ns/d still queued
  EXPECT_EQ(q.len(), 2u);
  EXPECT_EQ(w.busy(), 2u);
  w.stop();
  EXPECT_EQ(q.len(), 0u);  // dropped
  release.open();
  EXPECT_TRUE(w.join(kHandOff));
  EXPECT_EQ(metrics->done.value(), 2u);  // both in-flight reconciles completed
  auto all = seen();
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), (std::set<std::string>{"ns/a", "ns/b"}));
  EXPECT_EQ(w.busy(), 0u);
}

TEST_F(WorkersTest, JoinReportsAReconcileThatOutlivesTheDeadline) {
  Gate release;
  Counter started;
  Workers w(q, [&](const std::string&) {
    started.inc();
    EXPECT_TRUE(release.wait());
    return ReconcileOutcome::error("after shutdown");  // its addRateLimited is ignored
  }, 1);
  w.start();
  q.add("ns/a");
  ASSERT_TRUE(started.waitFor(1));
  EXPECT_FALSE(w.shutDown(10ms));
  release.open();
  EXPECT_TRUE(w.join(kHandOff));
  EXPECT_EQ(q.delayedLen(), 0u);
  EXPECT_EQ(q.len(), 0u);
}

TEST_F(WorkersTest, DestructorStopsIdleWorkers) {
  {
    Workers w(q, [&](const std::string&) { return ReconcileOutcome::success(); }, 3);
    w.start();
  }
  EXPECT_TRUE(q.isShuttingDown());
}

}  // namespace
}  // namespace fro::controller
