#pragma once
// Pure: turns one gate's query outcome into the result the planner acts on, with the threshold
// that decided and a message naming value and threshold. Critical is checked before warning.
// A value that is not finite never passes: NaN, and an infinity that breaches no threshold in its
// direction, are NoData (onNoData decides); +Inf past an `above` threshold is a breach as usual.
// Messages are valid UTF-8 whatever the outcome quoted. Values and thresholds are printed with
// fro::numberText (six significant digits; NaN, +Inf, -Inf).
#include <optional>
#include <string>

#include "runtime/common/Result.h"
#include "rollout/planner/GateProvider.h"
#include "rollout/planner/RolloutSpec.h"
#include "rollout/gates/PrometheusClient.h"

namespace fro::gates {

struct Judgement {
  rollout::GateResult result = rollout::GateResult::NoData;
  std::optional<double> value;  // absent for NoData and Error
  std::string threshold;        // e.g. "critical above 0.05"; empty unless Warning or Critical
  std::string message;
};

class GateJudge {
 public:
  static Judgement judge(const rollout::Gate& gate, const Result<QueryValue>& outcome);

  // Whether the gate's policy counts this result as a pass (Passed, or NoData with onNoData=pass).
  static bool countsAsPass(const rollout::Gate& gate, rollout::GateResult result);

 private:
  static Judgement decide(const rollout::Gate& gate, const Result<QueryValue>& outcome);
};

}  // namespace fro::gates
