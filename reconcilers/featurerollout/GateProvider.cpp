#include "reconcilers/featurerollout/GateProvider.h"

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

}  // namespace fro::rollout
