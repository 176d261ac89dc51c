#include "runtime/controller/BucketRateLimiter.h"

#include <utility>

namespace fro::controller {

BucketRateLimiter::BucketRateLimiter(double qps, int burst, std::shared_ptr<const Clock> clock)
    : clock_(std::move(clock)), bucket_(qps, burst, *clock_) {}

std::chrono::nanoseconds BucketRateLimiter::when(const std::string&) { return bucket_.reserve(); }

}  // namespace fro::controller
