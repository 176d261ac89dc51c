#pragma once
// How long a key must wait before it is retried (client-go's workqueue.RateLimiter).
#include <chrono>
#include <memory>
#include <string>

#include "runtime/common/Clock.h"

namespace fro::controller {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // One more failure of `key`: returns how long to wait before it is processed again.
  // Every call counts (it consumes a failure step and/or a token).
  virtual std::chrono::nanoseconds when(const std::string& key) = 0;
  // The key succeeded: its failure history is dropped.
  virtual void forget(const std::string& key) = 0;
  // Failures recorded for `key` since the last forget().
  virtual int numRequeues(const std::string& key) const = 0;

  // client-go's DefaultControllerRateLimiter: the max of a per-key exponential backoff
  // (5 ms doubling to 1000 s) and an overall token bucket (10 qps, burst 100) on `clock`.
  static std::unique_ptr<RateLimiter> controllerDefault(std::shared_ptr<const Clock> clock);
};

}  // namespace fro::controller
