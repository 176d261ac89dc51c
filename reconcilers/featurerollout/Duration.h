#pragma once
// Go-style durations as written in FeatureRollout specs: "90s", "1m30s", "24h", "250ms", "0s".
#include <chrono>
#include <string>
#include <string_view>

#include "operator/common/Result.h"

namespace fro::rollout {

class Duration {
 public:
  // Units: ms, s, m, h, as the CRD's pattern allows. No sign, no spaces.
  static Result<std::chrono::milliseconds> parse(std::string_view text);
  // Shortest canonical form: 0s, 250ms, 90s -> 1m30s, 86400s -> 24h.
  static std::string format(std::chrono::milliseconds d);
};

}  // namespace fro::rollout
