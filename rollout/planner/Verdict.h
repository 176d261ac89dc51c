#pragma once
// How the current step's gates stand, as GateStage judges them. Kinds are ordered by precedence:
// the worst gate decides.
#include <string>

namespace fro::rollout {

struct Verdict {
  enum class Kind { Pass, Wait, NoData, Error, Warning, Stalled, Critical };
  Kind kind = Kind::Pass;
  std::string reason;          // condition reason
  std::string message;         // names gate, value, threshold
  std::string rollbackReason;  // GateCritical | GateNoData, when kind is Critical
};

}  // namespace fro::rollout
