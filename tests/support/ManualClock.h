#pragma once
#include <chrono>
#include <mutex>

#include "operator/common/Clock.h"

namespace fro::testing {

// A clock tests move by hand. Thread-safe: code under test may read it from its own threads.
// Starts at 2027-01-15T08:00:00Z (some tests rely on that date).
class ManualClock : public Clock {
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
    std::lock_guard l(mu_);
    wall_ += std::chrono::duration_cast<time_point::duration>(d);
    steady_ += d;
  }

 private:
  mutable std::mutex mu_;
  time_point wall_{std::chrono::seconds(1'800'000'000)};
  std::chrono::steady_clock::time_point steady_{std::chrono::seconds(1000)};
};

}  // namespace fro::testing
