#include "rollout/planner/GateCheckStage.h"

#include <fmt/format.h>

#include "rollout/planner/GateStage.h"
#include "rollout/planner/RetryStage.h"

namespace fro::rollout {

StepOutcome GateCheckStage::run(PlanContext& c, const std::string& waiting) {
  using K = Verdict::Kind;
  RolloutStatus& st = c.st;
  StepOutcome out;
  const GateCheck gc = *st.gateCheck;
  const bool retry = gc.purpose == CheckPurpose::Retry;
  const int idx = c.spec.phaseIndex(gc.phase);
  if (idx < 0) {  // the phase was removed by an edit meanwhile
    st.gateCheck.reset();
    if (retry) {
      st.state = RolloutState::RolledBack;
      RetryStage::begin(c, {false, gc.request});
      return out;
    }
    const int next = c.firstUnfinishedPhase();
    if (next < 0) c.succeed();
    else c.startPhase(next, gc.request);
    return out;
  }
  const Phase& p = c.spec.phases[idx];
  st.state = RolloutState::Pending;
  auto pass = [&] {
    if (retry) RetryStage::restartFrom(c, idx, fmt::format(" again ({}; its gates passed at the rolled-back values first)", gc.request));
    else c.startPhase(idx, gc.request, true);
    return out;
  };
  if (p.gates.empty()) return pass();
  const std::string what = retry ? "retry of phase " + p.name : "phase " + p.name;
  // A retry's gates are judged at the rolled-back values as the pods have them; before a phase
  // starts nothing new is exposed, so its gates are judged at once.
  if (retry && !waiting.empty()) {
    st.message = fmt::format("{} waits for the current values to be delivered before its gates are judged: {}", what, waiting);
    return out;
  }
  if (!gc.since) st.gateCheck->since = c.in.now;
  const TimePoint since = *st.gateCheck->since;
  GateStage::request(c, p, since);
  const Verdict v = GateStage::judge(c, p, since);
  out.verdict = v;

  if (retry) {
    if (v.kind == K::Pass) return pass();
    if ((v.kind == K::Critical && v.reason != "GateNoData") || v.kind == K::Stalled) {
      st.gateCheck.reset();
      c.out.gateRequest.reset();
      c.transition(RolloutState::RolledBack, "RetryRefused",
                   fmt::format("retry refused: {} at the rolled-back values; nobody was exposed again ({}); fix the cause, "
                               "then retry (or retry --force)",
                               v.message, gc.request),
                   EventType::Warning);
      return out;
    }
    out.check.status = v.kind == K::Wait ? ConditionStatus::Unknown : ConditionStatus::False;
    out.check.reason = v.reason;
    out.check.message = v.message;
    st.message = fmt::format("{}: waiting for its gates to pass at the rolled-back values before any user is exposed again: {}",
                             what, v.message);
    return out;
  }
  std::vector<std::string> faults;
  bool pending = false, critical = false;
  for (const auto& g : st.gates) {
    if (!g.result) pending = true;
    if (g.result == GateResult::Error || g.result == GateResult::Critical)
      faults.push_back(GateStage::gateText(g.name, g.message));
    if (g.result == GateResult::Critical) critical = true;
  }
  if (faults.empty() && !pending) return pass();
  if (faults.empty()) {
    out.check = {"GatesPassing", ConditionStatus::Unknown, "AwaitingEvaluation", v.message};
    st.message = what + " waits for the first evaluation of its gates before any user is exposed";
    return out;
  }
  const std::string reason = v.kind == K::Stalled ? v.reason : critical ? "GateCritical" : "GateError";
  out.check = {"GatesPassing", ConditionStatus::False, reason,
               fmt::format("{} holds before any user is exposed: {}", what, join(faults, "; "))};
  if (v.kind == K::Stalled) out.stall(v.reason, out.check.message);
  const Condition* was = c.old.condition("GatesPassing");
  if (!(c.old.gateCheck && was && was->reason == reason)) c.event(EventType::Warning, reason, out.check.message);
  st.message = out.check.message;
  return out;
}

}  // namespace fro::rollout
