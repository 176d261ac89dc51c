#pragma once
// Combines limiters: the wait is the longest any of them asks for (client-go's MaxOfRateLimiter).
// Every limiter sees every call, so each keeps its own count.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "runtime/controller/RateLimiter.h"

namespace fro::controller {

class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);

  std::chrono::nanoseconds when(const std::string& key) override;
  void forget(const std::string& key) override;
  int numRequeues(const std::string& key) const override;

 private:
  const std::vector<std::unique_ptr<RateLimiter>> limiters_;  // fixed after construction
};

}  // namespace fro::controller
