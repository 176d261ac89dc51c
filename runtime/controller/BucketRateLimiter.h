#pragma once
// Overall limit on retries across all keys: a token bucket (client-go's BucketRateLimiter).
// Each when() takes a token, possibly from the future, and returns the wait until it exists.
#include <chrono>
#include <memory>
#include <string>

#include "runtime/common/Clock.h"
#include "runtime/common/TokenBucket.h"
#include "runtime/controller/RateLimiter.h"

namespace fro::controller {

class BucketRateLimiter final : public RateLimiter {
 public:
  static constexpr double kDefaultQps = 10.0;
  static constexpr int kDefaultBurst = 100;

  // qps <= 0 means unlimited.
  BucketRateLimiter(double qps, int burst, std::shared_ptr<const Clock> clock);

  std::chrono::nanoseconds when(const std::string& key) override;
  void forget(const std::string&) override {}  // the bucket is not per key
  int numRequeues(const std::string&) const override { return 0; }

 private:
  std::shared_ptr<const Clock> clock_;  // outlives bucket_
  TokenBucket bucket_;
};

}  // namespace fro::controller
