#include "rollout/planner/RetryStage.h"

#include <fmt/format.h>

#include "rollout/planner/EffectiveFlags.h"
#include "rollout/planner/RetryPlan.h"

namespace fro::rollout {

void RetryStage::begin(PlanContext& c, const RetryRequest& r) {
  RolloutStatus& st = c.st;
  std::vector<FlagValue> current;
  for (const auto& f : st.flags) current.push_back({f.name, f.envVar, f.percent});
  const RetryPlan rp = RetryPlan::compute(c.spec, current);
  st.operatorPaused = false;
  st.pausedAt.reset();
  if (rp.phase < 0) {
    st.rollback.reset();
    return c.succeed();
  }
  const Phase& p = c.spec.phases[rp.phase];
  const auto changes = EffectiveFlags::changes(rp.before, rp.after);
  const std::string plan = fmt::format("phase {} restarts at {}%{}", p.name, p.steps[0].percent,
                                       changes.empty() ? std::string() : ": " + join(changes));
  if (p.gates.empty() || r.force) {
    restartFrom(c, rp.phase, fmt::format(" again ({}{})", r.why, r.force ? "; --force: gates not checked first" : ""));
    return;
  }
  st.gateCheck = GateCheck{p.name, CheckPurpose::Retry, std::nullopt, r.why};
  c.transition(RolloutState::Pending, "RetryRequested",
               fmt::format("retry: the gates of phase {} must pass at the rolled-back values before any user is exposed "
                           "again; then {}; {}",
                           p.name, plan, r.why));
}

void RetryStage::restartFrom(PlanContext& c, int idx, const std::string& why) {
  c.st.rollback.reset();
  for (size_t i = static_cast<size_t>(idx); i < c.spec.phases.size(); ++i)
    if (PhaseStatus* ps = c.st.phaseStatus(c.spec.phases[i].name)) *ps = PhaseStatus{ps->name, PhaseState::Pending, "", ""};
  c.startPhase(idx, why, true);
}

}  // namespace fro::rollout
