#include "runtime/controller/WorkQueue.h"

#include <algorithm>

namespace fro::controller {

namespace {

// Floor of the delay thread's waits, so a clock running behind real time cannot make it spin.
constexpr std::chrono::nanoseconds kMinDelayWait = std::chrono::milliseconds(1);
// condition_variable::wait_for adds the timeout to now(): keep it far from overflowing.
constexpr std::chrono::nanoseconds kMaxWait = std::chrono::hours(24 * 365);

}  // namespace

WorkQueue::WorkQueue(WorkQueueOptions options)
    : clock_(options.clock ? std::move(options.clock) : std::make_shared<SystemClock>()),
      limiter_(options.rateLimiter ? std::move(options.rateLimiter) : RateLimiter::controllerDefault(clock_)),
      metrics_(std::move(options.metrics)) {
  if (options.delayThread) delayThread_ = std::thread([this] { delayLoop(); });
}

WorkQueue::~WorkQueue() {
  shutDown();
  if (delayThread_.joinable()) delayThread_.join();
}

void WorkQueue::add(const std::string& key) {
  MutexLock lock(mu_);
  if (shuttingDown_) return;
  addLocked(key, clock_->steadyNow());
}

void WorkQueue::addLocked(const std::string& key, TimePoint now) {
  if (!dirty_.insert(key).second) return;  // already pending: queued, or dirty while processing
  if (metrics_) metrics_->onAdd(key);
  if (processing_.count(key)) return;  // done(key) queues it again
  queue_.emplace_back(key, now);
  if (metrics_) metrics_->onDepth(queue_.size());
  readyCv_.notify_one();
}

void WorkQueue::addAfter(const std::string& key, std::chrono::nanoseconds delay) {
  MutexLock lock(mu_);
  if (shuttingDown_) return;
  TimePoint now = clock_->steadyNow();
  if (delay <= std::chrono::nanoseconds::zero()) {
    addLocked(key, now);
    return;
  }
  TimePoint readyAt = now + delay;
  auto it = parked_.find(key);
  if (it != parked_.end()) {
    if (readyAt >= it->second.readyAt) return;  // the earlier time wins
    parkedByTime_.erase({it->second.readyAt, it->second.seq, key});
    it->second = Parked{readyAt, seq_};
  } else {
    parked_.emplace(key, Parked{readyAt, seq_});
  }
  auto pos = parkedByTime_.emplace(readyAt, seq_++, key).first;
  if (pos == parkedByTime_.begin()) delayCv_.notify_one();  // new earliest deadline
}

void WorkQueue::addRateLimited(const std::string& key) {
  {
    MutexLock lock(mu_);
    if (shuttingDown_) return;
    if (metrics_) metrics_->onRetry(key);
  }
  addAfter(key, limiter_->when(key));
}

void WorkQueue::forget(const std::string& key) { limiter_->forget(key); }

int WorkQueue::numRequeues(const std::string& key) const { return limiter_->numRequeues(key); }

std::optional<std::string> WorkQueue::get() {
  MutexLock lock(mu_);
  readyCv_.wait(lock.native(), [this]() FRO_REQUIRES(mu_) { return shuttingDown_ || !queue_.empty(); });
  if (shuttingDown_) return std::nullopt;
  auto [key, readySince] = std::move(queue_.front());
  queue_.pop_front();
  TimePoint now = clock_->steadyNow();
  processing_.emplace(key, now);
  dirty_.erase(key);
  if (metrics_) {
    metrics_->onDepth(queue_.size());
    metrics_->onGet(key, now - readySince);
  }
  return std::move(key);
}

void WorkQueue::done(const std::string& key) {
  MutexLock lock(mu_);
  auto it = processing_.find(key);
  if (it == processing_.end()) return;  // not held: ignore rather than corrupt the state
  TimePoint now = clock_->steadyNow();
  if (metrics_) metrics_->onDone(key, now - it->second);
  processing_.erase(it);
  if (!shuttingDown_ && dirty_.count(key)) {  // added while processing: its turn now
    queue_.emplace_back(key, now);
    if (metrics_) metrics_->onDepth(queue_.size());
    readyCv_.notify_one();
  }
  if (processing_.empty()) idleCv_.notify_all();
}

std::size_t WorkQueue::promoteDueLocked() {
  if (shuttingDown_ || parkedByTime_.empty()) return 0;
  TimePoint now = clock_->steadyNow();
  std::size_t moved = 0;
  while (!parkedByTime_.empty() && std::get<0>(*parkedByTime_.begin()) <= now) {
    auto node = parkedByTime_.extract(parkedByTime_.begin());
    const std::string& key = std::get<2>(node.value());
    parked_.erase(key);
    addLocked(key, now);
    ++moved;
  }
  return moved;
}

std::size_t WorkQueue::pump() {
  MutexLock lock(mu_);
  return promoteDueLocked();
}

void WorkQueue::delayLoop() {
  // No exception may end the thread: parked keys would then never be released. Only the
  // queue's own allocations can throw here; after one, the loop starts over.
  for (;;) {
    try {
      MutexLock lock(mu_);
      while (!shuttingDown_) {
        promoteDueLocked();
        if (parkedByTime_.empty()) {
          delayCv_.wait(lock.native());
          continue;
        }
        auto wait = std::get<0>(*parkedByTime_.begin()) - clock_->steadyNow();
        delayCv_.wait_for(lock.native(), std::clamp<std::chrono::nanoseconds>(wait, kMinDelayWait, kMaxWait));
      }
      return;
    } catch (...) {
      std::this_thread::sleep_for(kMinDelayWait);  // a persistent fault must not spin
    }
  }
}

std::size_t WorkQueue::len() const {
  MutexLock lock(mu_);
  return queue_.size();
}

std::size_t WorkQueue::delayedLen() const {
  MutexLock lock(mu_);
  return parked_.size();
}

std::size_t WorkQueue::processingLen() const {
  MutexLock lock(mu_);
  return processing_.size();
}

void WorkQueue::shutDown() {
  MutexLock lock(mu_);
  if (shuttingDown_) return;
  shuttingDown_ = true;
  // Not-started keys are dropped (see the header): the API server still has the state.
  bool hadReady = !queue_.empty();
  queue_.clear();
  dirty_.clear();
  parked_.clear();
  parkedByTime_.clear();
  if (hadReady && metrics_) metrics_->onDepth(0);
  readyCv_.notify_all();
  delayCv_.notify_all();
  idleCv_.notify_all();
}

bool WorkQueue::shutDownWithDrain(std::chrono::nanoseconds timeout) {
  shutDown();
  MutexLock lock(mu_);
  auto bounded = std::clamp<std::chrono::nanoseconds>(timeout, std::chrono::nanoseconds::zero(), kMaxWait);
  return idleCv_.wait_for(lock.native(), bounded, [this]() FRO_REQUIRES(mu_) { return processing_.empty(); });
}

bool WorkQueue::waitIdle(std::chrono::nanoseconds timeout) const {
  MutexLock lock(mu_);
  auto bounded = std::clamp<std::chrono::nanoseconds>(timeout, std::chrono::nanoseconds::zero(), kMaxWait);
  // done() notifies when nothing is processing; a ready key then is taken by get() (processing
  // again) or dropped by shutDown() (which notifies too).
  return idleCv_.wait_for(lock.native(), bounded,
                          [this]() FRO_REQUIRES(mu_) { return queue_.empty() && processing_.empty(); });
}

bool WorkQueue::isShuttingDown() const {
  MutexLock lock(mu_);
  return shuttingDown_;
}

}  // namespace fro::controller
