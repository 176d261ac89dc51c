#pragma once
// Go-style durations, one grammar for the command line and FeatureRollout specs: exactly the CRD's
// pattern ^(0|([0-9]+(\.[0-9]+)?(ms|s|m|h))+)$, e.g. "500ms", "15s", "1m30s", "1.5h", "0".
#include <chrono>
#include <string>
#include <string_view>

#include "runtime/common/Result.h"

namespace fro {

class Duration {
 public:
  // At most a year (8760h), as a rollout's pause or interval must be. Fractions count to the
  // nanosecond (as Go's) and round to the nearest millisecond. The error says what is wrong
  // without naming the flag or field; callers add that.
  static Result<std::chrono::milliseconds> parse(std::string_view text);
  // Shortest exact form that parse() reads back: 0s, 250ms, 1.5s, 1m30s, 24h, 1h0.5s.
  static std::string format(std::chrono::milliseconds d);
};

}  // namespace fro
