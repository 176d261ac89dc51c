#pragma once
// Token-bucket limiter (qps, burst) on an injected clock: reserve() says how long the caller must
// wait before its request may go, so callers and tests decide how to wait.
#include <algorithm>
#include <chrono>
#include <mutex>

#include "runtime/common/Clock.h"

namespace fro {

class TokenBucket {
 public:
  TokenBucket(double qps, int burst, const Clock& clock)
      : qps_(qps), burst_(std::max(1, burst)), tokens_(burst_), clock_(clock), last_(clock.steadyNow()) {}

  // Takes one token, possibly from the future; returns the wait until that token exists.
  std::chrono::nanoseconds reserve() {
    if (qps_ <= 0) return std::chrono::nanoseconds::zero();  // unlimited
    std::lock_guard lock(mu_);
    auto now = clock_.steadyNow();
    double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min<double>(burst_, tokens_ + elapsed * qps_);
    tokens_ -= 1.0;
    if (tokens_ >= 0) return std::chrono::nanoseconds::zero();
    return std::chrono::nanoseconds(static_cast<long long>(-tokens_ / qps_ * 1e9));
  }

 private:
  const double qps_;
  const int burst_;
  double tokens_;
  const Clock& clock_;
  std::chrono::steady_clock::time_point last_;
  std::mutex mu_;
};

}  // namespace fro
