#pragma once
#include <chrono>

#include "operator/common/Clock.h"

namespace fro::testing {

// A clock tests move by hand.
class ManualClock : public Clock {
 public:
  time_point now() const override { return wall_; }
  std::chrono::steady_clock::time_point steadyNow() const override { return steady_; }
  void advance(std::chrono::nanoseconds d) {
    wall_ += std::chrono::duration_cast<time_point::duration>(d);
    steady_ += d;
  }

 private:
  time_point wall_{std::chrono::seconds(1'800'000'000)};
  std::chrono::steady_clock::time_point steady_{std::chrono::seconds(1000)};
};

}  // namespace fro::testing
