#pragma once
// Durations on the command line, Go style as controller-runtime's flags take them: "500ms", "15s",
// "2m", "1m30s", "1h". Parsing lives here (not in the reconciler's spec Duration) so the process
// layer does not depend on reconcilers.
#include <chrono>
#include <string>
#include <string_view>

#include "operator/common/Result.h"

namespace fro::process {

class Duration {
 public:
  // One or more <integer><unit> terms, unit ms|s|m|h, e.g. "1m30s"; a bare "0" is zero. No sign,
  // no spaces, no fractions. The error message says what was wrong, without naming a flag.
  static Result<std::chrono::milliseconds> parse(std::string_view text);
  // Shortest exact form: 0s, 500ms, 15s, 2m, 1m30s, 1h0m0s is written 1h.
  static std::string format(std::chrono::milliseconds d);
};

}  // namespace fro::process
