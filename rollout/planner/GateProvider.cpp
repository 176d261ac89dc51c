#include "rollout/planner/GateProvider.h"

namespace fro::rollout {

const char* toString(GateResult r) {
  switch (r) {
    case GateResult::Passed: return "Passed";
    case GateResult::Warning: return "Warning";
    case GateResult::Critical: return "Critical";
    case GateResult::NoData: return "NoData";
    case GateResult::Error: return "Error";
  }
  return "Error";
}

std::optional<GateResult> parseGateResult(std::string_view text) {
  for (GateResult r : {GateResult::Passed, GateResult::Warning, GateResult::Critical, GateResult::NoData, GateResult::Error})
    if (text == toString(r)) return r;
  return std::nullopt;
}

}  // namespace fro::rollout
