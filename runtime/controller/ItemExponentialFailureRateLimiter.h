#pragma once
// Per-key exponential backoff: base * 2^failures, capped at max (client-go's
// ItemExponentialFailureRateLimiter). Purely counting: it never reads a clock.
#include <chrono>
#include <string>
#include <unordered_map>

#include "runtime/common/ThreadSafety.h"
#include "runtime/controller/RateLimiter.h"

namespace fro::controller {

class ItemExponentialFailureRateLimiter final : public RateLimiter {
 public:
  static constexpr std::chrono::nanoseconds kDefaultBase = std::chrono::milliseconds(5);
  static constexpr std::chrono::nanoseconds kDefaultMax = std::chrono::seconds(1000);

  ItemExponentialFailureRateLimiter(std::chrono::nanoseconds base, std::chrono::nanoseconds max);

  std::chrono::nanoseconds when(const std::string& key) override;
  void forget(const std::string& key) override;
  int numRequeues(const std::string& key) const override;

 private:
  const std::chrono::nanoseconds base_;
  const std::chrono::nanoseconds max_;
  mutable Mutex mu_;
  std::unordered_map<std::string, int> failures_ FRO_GUARDED_BY(mu_);
};

}  // namespace fro::controller
