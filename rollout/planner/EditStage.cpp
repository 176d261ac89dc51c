#include "rollout/planner/EditStage.h"

#include <fmt/format.h>

namespace fro::rollout {

std::optional<std::string> EditStage::reposition(PlanContext& c) {
  RolloutStatus& st = c.st;
  c.syncPhaseList();
  if (st.state == RolloutState::Unset || (st.state == RolloutState::Invalid && st.phase.empty()) ||
      (st.state == RolloutState::Pending && !st.gateCheck)) {
    const int first = c.firstUnfinishedPhase();
    if (first < 0) c.succeed();
    else c.startPhase(first, "");
    return std::nullopt;
  }
  const bool edited = c.old.observedGeneration != c.rollout.generation;
  if (st.gateCheck && st.state != RolloutState::Invalid) {
    // Judged again under the new spec: results taken before the edit do not count.
    if (edited) st.gateCheck->since.reset();
    return std::nullopt;
  }
  // A rolled-back rollout whose spec was invalid and is valid again: the fix counts as a spec change.
  const bool fixedAfterRollback = st.state == RolloutState::Invalid && st.rollback;
  if (fixedAfterRollback) st.state = RolloutState::RolledBack;
  if (st.state == RolloutState::RolledBack) {
    if (edited || fixedAfterRollback) return fmt::format("the spec changed (generation {})", c.rollout.generation);
    return std::nullopt;
  }
  if (!edited && st.state != RolloutState::Invalid) return std::nullopt;
  const int idx = c.spec.phaseIndex(st.phase);
  if (st.state != RolloutState::Succeeded && idx >= 0 && c.phaseHash(idx) == st.phaseHash) {
    st.phaseIndex = idx;  // phases may have moved; progress is kept by name
    if (st.state == RolloutState::Invalid)
      c.transition(RolloutState::Progressing, "SpecValid", "the spec is valid again; continuing " + c.stepLabel());
    return std::nullopt;
  }
  if (idx >= 0 && st.state != RolloutState::Succeeded) {
    PhaseStatus* ps = st.phaseStatus(st.phase);
    ps->state = PhaseState::Progressing;
    ps->startedAt = c.now;
    c.enterStep(idx, 0);
    c.transition(RolloutState::Progressing, "PhaseRestarted",
                 fmt::format("phase {} was edited: its steps restart at {}%", st.phase, c.phase().steps[0].percent));
    return std::nullopt;
  }
  const int next = c.firstUnfinishedPhase();
  if (next < 0) {
    if (st.state != RolloutState::Succeeded) c.succeed();
    return std::nullopt;
  }
  c.startPhase(next, st.state == RolloutState::Succeeded ? " (added to a completed rollout)"
                                                         : fmt::format(" (phase {} was removed from the spec)", st.phase));
  return std::nullopt;
}

void EditStage::normalize(PlanContext& c) {
  RolloutStatus& st = c.st;
  if (!inStep(st.state) && st.state != RolloutState::RolledBack) return;
  const auto& phases = c.spec.phases;
  const int n = static_cast<int>(phases.size());
  auto stepFits = [&](int idx) { return st.step >= 0 && st.step < static_cast<int>(phases[idx].steps.size()); };
  if (st.phaseIndex >= 0 && st.phaseIndex < n && phases[st.phaseIndex].name == st.phase && stepFits(st.phaseIndex)) return;
  int idx = c.spec.phaseIndex(st.phase);
  if (idx >= 0 && stepFits(idx)) {
    st.phaseIndex = idx;
    return;
  }
  if (st.state == RolloutState::RolledBack) {
    st.phaseIndex = idx >= 0 ? idx : 0;
    st.phase = phases[st.phaseIndex].name;
    st.step = 0;
    return;
  }
  idx = idx >= 0 ? idx : c.firstUnfinishedPhase();
  if (idx < 0) return c.succeed();
  c.enterStep(idx, 0);
  c.transition(RolloutState::Progressing, "PhaseRestarted", "status did not match the spec: restarting " + c.stepLabel());
}

}  // namespace fro::rollout
