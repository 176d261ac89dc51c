#pragma once
// One way to print a gate value or threshold in every message, status field and plugin view:
// up to six significant digits (0.0643625, not 0.06436249218275461; 0.05 stays 0.05), and
// Prometheus' own spelling for the non-finite values.
#include <cmath>
#include <string>

#include <fmt/format.h>

namespace fro {

inline std::string numberText(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:.6g}", v);
}

}  // namespace fro
