#pragma once
// What the step stages (GateCheckStage, StepStage) found, for ConditionStage: the verdict of the
// gates if they were judged, why the rollout is stalled if it is, and how the gate check before
// exposure stands while one runs.
#include <optional>
#include <string>

#include "rollout/planner/RolloutStatus.h"
#include "rollout/planner/Verdict.h"

namespace fro::rollout {

struct StepOutcome {
  std::optional<Verdict> verdict;  // the gates were judged in this plan
  std::string stalledReason;       // "" when not stalled
  std::string stalledMessage;
  // GatesPassing while status.gateCheck is set (state Pending).
  ConditionUpdate check{"GatesPassing", ConditionStatus::Unknown, "AwaitingDelivery",
                        "gates are judged once the current values are delivered"};
  // Succeeded only: what the values of an edited, completed rollout still wait for ("" = delivered
  // and every target converged, so Ready may be True).
  std::string delivering;

  void stall(const std::string& reason, const std::string& message) {
    stalledReason = reason;
    stalledMessage = message;
  }
};

// A retry to begin: asked by the retry command or by a spec change of a rolled-back rollout.
struct RetryRequest {
  bool force = false;  // retry --force: the gates are not checked before users are exposed again
  std::string why;
};

}  // namespace fro::rollout
