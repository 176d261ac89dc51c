#include "runtime/controller/RateLimiter.h"

#include <utility>
#include <vector>

#include "runtime/controller/BucketRateLimiter.h"
#include "runtime/controller/ItemExponentialFailureRateLimiter.h"
#include "runtime/controller/MaxOfRateLimiter.h"

namespace fro::controller {

std::unique_ptr<RateLimiter> RateLimiter::controllerDefault(std::shared_ptr<const Clock> clock) {
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(std::make_unique<ItemExponentialFailureRateLimiter>(
      ItemExponentialFailureRateLimiter::kDefaultBase, ItemExponentialFailureRateLimiter::kDefaultMax));
  limiters.push_back(std::make_unique<BucketRateLimiter>(BucketRateLimiter::kDefaultQps,
                                                         BucketRateLimiter::kDefaultBurst, std::move(clock)));
  return std::make_unique<MaxOfRateLimiter>(std::move(limiters));
}

}  // namespace fro::controller
