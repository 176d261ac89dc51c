#include "runtime/controller/Workers.h"

#include <algorithm>
#include <exception>
#include <utility>

#include <fmt/format.h>

namespace fro::controller {

Workers::Workers(WorkQueue& queue, Reconcile reconcile, int count, OnThrow onThrow)
    : queue_(queue), reconcile_(std::move(reconcile)), count_(std::max(1, count)), onThrow_(std::move(onThrow)) {}

Workers::~Workers() {
  stop();
  MutexLock j(joinMu_);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void Workers::start() {
  MutexLock j(joinMu_);
  {
    MutexLock lock(mu_);
    if (started_ > 0) return;
    started_ = static_cast<std::size_t>(count_);
  }
  threads_.reserve(static_cast<std::size_t>(count_));
  for (int i = 0; i < count_; ++i) threads_.emplace_back([this] { loop(); });
}

void Workers::stop() { queue_.shutDown(); }

bool Workers::join(std::chrono::nanoseconds timeout) {
  MutexLock j(joinMu_);
  {
    MutexLock lock(mu_);
    auto bounded =
        std::clamp<std::chrono::nanoseconds>(timeout, std::chrono::nanoseconds::zero(), std::chrono::hours(24 * 365));
    if (!exitedCv_.wait_for(lock.native(), bounded, [this]() FRO_REQUIRES(mu_) { return exited_ == started_; }))
      return false;
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();  // each has left loop(): returns at once
  return true;
}

void Workers::loop() {
  // No exception may end the thread. Reconcile's own are caught in serve(); only the queue's
  // bookkeeping (an allocation) could throw past it, and then the worker serves on.
  for (;;) {
    try {
      while (auto key = queue_.get()) serve(*key);
      break;
    } catch (...) {
    }
  }
  MutexLock lock(mu_);
  ++exited_;
  exitedCv_.notify_all();
}

void Workers::serve(const std::string& key) {
  // Whatever throws below, the key is released and the busy count restored.
  struct Release {
    Workers& w;
    const std::string& key;
    ~Release() {
      w.queue_.done(key);
      --w.busy_;
    }
  } release{*this, key};
  ++busy_;
  ReconcileOutcome outcome;
  bool threw = true;
  auto started = std::chrono::steady_clock::now();
  try {
    outcome = reconcile_(key);
    threw = false;
  } catch (const std::exception& e) {
    outcome = ReconcileOutcome::error(fmt::format("reconcile threw: {}", e.what()));
  } catch (...) {
    outcome = ReconcileOutcome::error("reconcile threw a non-standard exception");
  }
  if (threw && onThrow_) {
    try {
      onThrow_(key, outcome, std::chrono::steady_clock::now() - started);
    } catch (...) {
      // Reporting must not cost the worker or leave the key held.
    }
  }
  switch (outcome.kind) {
    case ReconcileOutcome::Kind::kSuccess: queue_.forget(key); break;
    case ReconcileOutcome::Kind::kError: queue_.addRateLimited(key); break;
    case ReconcileOutcome::Kind::kRequeueAfter:
      queue_.forget(key);
      queue_.addAfter(key, outcome.after);
      break;
  }
}

}  // namespace fro::controller
