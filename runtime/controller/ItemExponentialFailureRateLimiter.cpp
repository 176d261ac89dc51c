#include "runtime/controller/ItemExponentialFailureRateLimiter.h"

#include <cmath>

namespace fro::controller {

ItemExponentialFailureRateLimiter::ItemExponentialFailureRateLimiter(std::chrono::nanoseconds base,
                                                                     std::chrono::nanoseconds max)
    : base_(base), max_(max) {}

std::chrono::nanoseconds ItemExponentialFailureRateLimiter::when(const std::string& key) {
  int exp;
  {
    MutexLock lock(mu_);
    int& n = failures_[key];
    exp = n;
    if (n < 1'000'000) ++n;  // the delay is long capped by then; keep the counter from overflowing
  }
  // Computed in double so large exponents saturate at max instead of overflowing.
  double ns = static_cast<double>(base_.count()) * std::pow(2.0, exp);
  if (ns >= static_cast<double>(max_.count())) return max_;
  return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(ns));
}

void ItemExponentialFailureRateLimiter::forget(const std::string& key) {
  MutexLock lock(mu_);
  failures_.erase(key);
}

int ItemExponentialFailureRateLimiter::numRequeues(const std::string& key) const {
  MutexLock lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

}  // namespace fro::controller
