#pragma once
// The controller work queue: client-go's rate-limited, delaying workqueue in one class.
//
//  * add(key) deduplicates: a key added many times before a worker takes it is processed once.
//  * A key is never held by two workers: added while being processed, it is marked dirty and
//    queued again by done(key).
//  * addAfter(key, d) parks the key until clock->steadyNow() >= now + d; a key parked twice keeps
//    the earlier time. addRateLimited(key) parks it for the rate limiter's when(key).
//  * get() blocks until a key is ready or the queue shuts down.
//
// Time and delays. Every time the queue reasons about comes from the injected Clock. A single
// delay thread per queue waits on a condition variable until the earliest parked key is due
// (deadline computed from the clock) and moves due keys to the ready queue, so it never polls.
// pump() does the same move synchronously: a test that advances a fake clock calls pump()
// (the tests register it as tests/support/ManualClock's advance hook) and the due keys are
// ready when pump() returns, with no real sleeping. A fake clock's time does not follow the real
// waits of the delay thread, so fake-clock users set WorkQueueOptions::delayThread = false:
// then nothing runs in the background and parked keys move only on pump().
//
// Shutdown. shutDown() makes every blocked and future get() return nullopt and ignores further
// adds. Keys that are queued or parked but not started are DROPPED: a controller's state lives in
// the API server, and the next leader or process relists and reconciles everything anyway.
// In-flight keys may still be done(). shutDownWithDrain(t) also waits (real time, bounded by t)
// until every in-flight key is done(). A queue cannot be restarted.
//
// Thread-safe throughout. The destructor shuts down and joins the delay thread; callers must
// have stopped their workers (see Workers) before destroying the queue.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "runtime/common/Clock.h"
#include "runtime/common/ThreadSafety.h"
#include "runtime/controller/QueueMetricsListener.h"
#include "runtime/controller/RateLimiter.h"

namespace fro::controller {

struct WorkQueueOptions {
  std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();
  // Default: RateLimiter::controllerDefault(clock) (5 ms..1000 s per key, 10 qps / burst 100).
  std::unique_ptr<RateLimiter> rateLimiter;
  std::shared_ptr<QueueMetricsListener> metrics;  // optional
  // Run the delay thread that releases parked keys when they are due. Keep it with a clock that
  // follows real time (SystemClock); turn it off with a fake clock and call pump() after advancing.
  bool delayThread = true;
};

class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {});
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void add(const std::string& key) FRO_EXCLUDES(mu_);
  // delay <= 0 adds at once. A key already parked keeps the earlier of the two times.
  void addAfter(const std::string& key, std::chrono::nanoseconds delay) FRO_EXCLUDES(mu_);
  // addAfter(key, rateLimiter.when(key)): per-key backoff combined with the overall limit.
  void addRateLimited(const std::string& key) FRO_EXCLUDES(mu_);
  // Resets the key's backoff (call after a successful reconcile). Does not unpark the key.
  void forget(const std::string& key);
  int numRequeues(const std::string& key) const;

  // Blocks until a key is ready (then the caller holds it until done(key)), or returns nullopt
  // once the queue is shutting down, even if keys are still queued.
  std::optional<std::string> get() FRO_EXCLUDES(mu_);
  void done(const std::string& key) FRO_EXCLUDES(mu_);

  // Moves parked keys that are due on the clock to the ready queue now; returns how many.
  std::size_t pump() FRO_EXCLUDES(mu_);

  std::size_t len() const FRO_EXCLUDES(mu_);            // ready keys, waiting for a worker
  std::size_t delayedLen() const FRO_EXCLUDES(mu_);     // parked keys (addAfter / addRateLimited)
  std::size_t processingLen() const FRO_EXCLUDES(mu_);  // keys held by workers

  // Blocks until no key is ready or held by a worker (parked keys may remain), so a test that
  // pumped a fake clock knows the work it released has run; false if `timeout` (real time)
  // passed first.
  bool waitIdle(std::chrono::nanoseconds timeout) const FRO_EXCLUDES(mu_);

  void shutDown() FRO_EXCLUDES(mu_);
  // shutDown(), then waits until no key is being processed; false if `timeout` passed first.
  bool shutDownWithDrain(std::chrono::nanoseconds timeout) FRO_EXCLUDES(mu_);
  bool isShuttingDown() const FRO_EXCLUDES(mu_);

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Parked {
    TimePoint readyAt;
    std::uint64_t seq;  // FIFO among keys due at the same instant
  };

  void addLocked(const std::string& key, TimePoint now) FRO_REQUIRES(mu_);
  std::size_t promoteDueLocked() FRO_REQUIRES(mu_);
  void delayLoop() FRO_EXCLUDES(mu_);

  const std::shared_ptr<const Clock> clock_;
  const std::unique_ptr<RateLimiter> limiter_;
  const std::shared_ptr<QueueMetricsListener> metrics_;

  mutable Mutex mu_;
  std::condition_variable readyCv_;         // get(): a key is ready, or shutdown
  std::condition_variable delayCv_;         // delay thread: a new earliest deadline, or shutdown
  mutable std::condition_variable idleCv_;  // shutDownWithDrain(), waitIdle(): nothing is processing
  bool shuttingDown_ FRO_GUARDED_BY(mu_) = false;
  // Ready keys with the time they became ready. Invariant: a key here is also in dirty_ and not
  // in processing_.
  std::deque<std::pair<std::string, TimePoint>> queue_ FRO_GUARDED_BY(mu_);
  // Keys that need processing: queued, or added again while being processed.
  std::unordered_set<std::string> dirty_ FRO_GUARDED_BY(mu_);
  // Keys held by workers, with the time get() handed them out.
  std::unordered_map<std::string, TimePoint> processing_ FRO_GUARDED_BY(mu_);
  std::unordered_map<std::string, Parked> parked_ FRO_GUARDED_BY(mu_);
  std::set<std::tuple<TimePoint, std::uint64_t, std::string>> parkedByTime_ FRO_GUARDED_BY(mu_);
  std::uint64_t seq_ FRO_GUARDED_BY(mu_) = 0;

  std::thread delayThread_;  // last: starts after everything above is constructed (if enabled)
};

}  // namespace fro::controller
