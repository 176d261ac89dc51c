#pragma once
// The gates of a phase: what the gate provider is asked to evaluate (and since when: only results
// taken strictly after `since` count, so a step is never judged by values from before it), and the
// verdict their latest results give, with each gate's status and the summary kubectl shows.
#include "rollout/planner/PlanContext.h"
#include "rollout/planner/Verdict.h"

namespace fro::rollout {

class GateStage {
 public:
  static void request(PlanContext& c, const Phase& p, TimePoint since);
  // Fills status.gates and status.gatesSummary.
  static Verdict judge(PlanContext& c, const Phase& p, TimePoint since);
  // "gate error-rate = 0.06 is above ..." rather than "gate error-rate: error-rate = 0.06 ...":
  // the judge's messages already start with the gate's name.
  static std::string gateText(const std::string& gate, const std::string& message);
};

}  // namespace fro::rollout
