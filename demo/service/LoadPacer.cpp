#include "demo/service/LoadPacer.h"

#include <cmath>

namespace fro::demo {

long LoadPacer::due(time_point now) {
  double elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed <= 0) return 0;
  long target = static_cast<long>(std::floor(elapsed * rate_));
  long backlogCap = static_cast<long>(std::ceil(rate_));
  if (target - sent_ > backlogCap) sent_ = target - backlogCap;  // forget what a stall cost
  long n = target - sent_;
  sent_ = target;
  return n;
}

}  // namespace fro::demo
