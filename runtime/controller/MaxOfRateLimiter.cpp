#include "runtime/controller/MaxOfRateLimiter.h"

#include <algorithm>
#include <utility>

namespace fro::controller {

MaxOfRateLimiter::MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
    : limiters_(std::move(limiters)) {}

std::chrono::nanoseconds MaxOfRateLimiter::when(const std::string& key) {
  std::chrono::nanoseconds longest{0};
  for (const auto& l : limiters_) longest = std::max(longest, l->when(key));
  return longest;
}

void MaxOfRateLimiter::forget(const std::string& key) {
  for (const auto& l : limiters_) l->forget(key);
}

int MaxOfRateLimiter::numRequeues(const std::string& key) const {
  int most = 0;
  for (const auto& l : limiters_) most = std::max(most, l->numRequeues(key));
  return most;
}

}  // namespace fro::controller
