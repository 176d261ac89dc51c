#pragma once
// A clock tests move by hand. Thread-safe: code under test may read it from its own threads
// (a WorkQueue's delay thread, workers) while the test advances it. Hooks run after every
// advance, e.g. WorkQueue::pump() so due keys are ready when advance() returns.
// Starts at 2027-01-15T08:00:00Z (some tests rely on that date).
#include <chrono>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "runtime/common/Clock.h"

namespace fro::testing {

class ManualClock final : public Clock {
 public:
  time_point now() const override {
    std::lock_guard l(mu_);
    return wall_;
  }
  std::chrono::steady_clock::time_point steadyNow() const override {
    std::lock_guard l(mu_);
    return steady_;
  }

  void advance(std::chrono::nanoseconds d) {
    std::vector<std::function<void()>> hooks;
    {
      std::lock_guard l(mu_);
      wall_ += std::chrono::duration_cast<time_point::duration>(d);
      steady_ += d;
      hooks = hooks_;
    }
    for (auto& h : hooks) h();  // outside the lock: hooks may read the clock
  }

  // Runs after every advance(), on the advancing thread. Whatever it references must outlive
  // later advance() calls.
  void onAdvance(std::function<void()> hook) {
    std::lock_guard l(mu_);
    hooks_.push_back(std::move(hook));
  }

 private:
  mutable std::mutex mu_;
  time_point wall_{std::chrono::seconds(1'800'000'000)};
  std::chrono::steady_clock::time_point steady_{std::chrono::seconds(1000)};
  std::vector<std::function<void()>> hooks_;
};

}  // namespace fro::testing
