#include "rollout/planner/ConditionStage.h"

#include <fmt/format.h>

namespace fro::rollout {
namespace {
constexpr auto True = ConditionStatus::True;
constexpr auto False = ConditionStatus::False;
constexpr auto Unknown = ConditionStatus::Unknown;
}  // namespace

void ConditionStage::run(PlanContext& c, StepOutcome o) {
  RolloutStatus& st = c.st;
  const RolloutState s = st.state;
  c.setCondition("InvalidSpec", False, "SpecValid", fmt::format("the spec is valid (generation {})", c.rollout.generation));
  if (!c.in.writeError.empty() && o.stalledReason.empty() &&
      (s == RolloutState::Progressing || s == RolloutState::Holding || s == RolloutState::Pending ||
       (s == RolloutState::Succeeded && !o.delivering.empty()))) {
    // The values cannot be delivered (e.g. a permission missing from the operator's Role).
    o.stall("WriteFailed", "cannot write the flag values: " + c.in.writeError);
    st.message = o.stalledMessage;
  }
  if (s == RolloutState::Succeeded) {
    succeeded(c, o);
  } else if (s == RolloutState::RolledBack) {
    const RollbackInfo rb = st.rollback.value_or(RollbackInfo{st.phase, "RolledBack", "rolled back", c.now});
    st.message = rb.message + "; stays rolled back until the spec changes or kubectl featurerollout retry";
    c.setCondition("Ready", False, rb.reason, st.message);
    c.setCondition("Reconciling", False, rb.reason, "rolled back; waiting for a spec change or a retry");
    c.setCondition("Stalled", True, rb.reason, rb.message);
    c.setCondition("Progressing", False, rb.reason, rb.message);
    c.setCondition("RolledBack", True, rb.reason, rb.message);
    if (rb.reason == "Aborted") c.setCondition("GatesPassing", Unknown, "Aborted", "aborted; no gates are evaluated");
    else c.setCondition("GatesPassing", False, rb.reason, rb.message);
    st.gatesSummary = rb.reason;
  } else if (s == RolloutState::Paused) {
    c.setCondition("Ready", False, "Paused", st.message);
    c.setCondition("Reconciling", False, "Paused", st.message);
    // Paused by the operator on a critical gate (rollback: manual) waits for a person: that is
    // Stalled for kstatus (Flux fails fast with the gate's message instead of timing out).
    if (st.operatorPaused) c.setCondition("Stalled", True, "GateCritical", st.message);
    else c.setCondition("Stalled", False, "Paused", "paused, not stalled");
    c.setCondition("Progressing", False, "Paused", st.message);
    c.setCondition("RolledBack", False, "NotRolledBack", "not rolled back");
  } else {
    inStep(c, o);
  }
}

// Ready only once the values of the latest generation are delivered and every target converged:
// Flux and Argo CD call a rollout Current on Ready=True at the observed generation.
void ConditionStage::succeeded(PlanContext& c, const StepOutcome& o) {
  RolloutStatus& st = c.st;
  const std::string done = fmt::format("rollout complete: {} phases succeeded", c.spec.phases.size());
  st.gatesSummary = "done";
  c.setCondition("GatesPassing", True, "RolloutSucceeded", "every phase passed its gates");
  c.setCondition("RolledBack", False, "RolloutSucceeded", "not rolled back");
  if (o.delivering.empty()) {
    st.message = done;
    c.setCondition("Ready", True, "RolloutSucceeded", st.message);
    for (const char* type : {"Reconciling", "Stalled", "Progressing"}) c.setCondition(type, False, "RolloutSucceeded", st.message);
    const Condition* was = c.old.condition("Ready");
    if (c.old.state == RolloutState::Succeeded && was && was->status != True)
      c.event(EventType::Normal, "Delivered", fmt::format("the values of generation {} reached every target", c.rollout.generation));
    return;
  }
  if (!o.stalledReason.empty()) {
    st.message = fmt::format("{}; {}", done, o.stalledMessage);
    c.setCondition("Ready", False, o.stalledReason, st.message);
    c.setCondition("Reconciling", False, o.stalledReason, st.message);
    c.setCondition("Stalled", True, o.stalledReason, o.stalledMessage);
    c.setCondition("Progressing", False, o.stalledReason, st.message);
    const Condition* was = c.old.condition("Stalled");
    if (!was || was->status != True || was->reason != o.stalledReason)
      c.event(EventType::Warning, o.stalledReason, o.stalledMessage);
    return;
  }
  st.message = fmt::format("{}; delivering the values of generation {}: waiting for {}", done, c.rollout.generation, o.delivering);
  c.setCondition("Ready", False, "Delivering", st.message);
  c.setCondition("Reconciling", True, "Delivering", st.message);
  c.setCondition("Stalled", False, "NotStalled", "making progress");
  c.setCondition("Progressing", True, "Delivering", st.message);
}

// Pending, Progressing or Holding.
void ConditionStage::inStep(PlanContext& c, const StepOutcome& o) {
  using K = Verdict::Kind;
  RolloutStatus& st = c.st;
  const bool stalled = !o.stalledReason.empty();
  std::string reason = stalled                          ? o.stalledReason
                       : st.state == RolloutState::Holding ? (o.verdict ? o.verdict->reason : std::string())
                       : st.gateCheck ? (o.check.status == False ? o.check.reason : std::string("AwaitingGateCheck"))
                                      : std::string("StepProgressing");
  if (reason.empty()) reason = "StepProgressing";
  c.setCondition("Ready", False, reason, st.message);
  c.setCondition("Reconciling", stalled ? False : True, reason, st.message);
  c.setCondition("Stalled", stalled ? True : False, stalled ? o.stalledReason : "NotStalled",
                 stalled ? o.stalledMessage : "making progress");
  c.setCondition("Progressing", True, reason, st.message);
  c.setCondition("RolledBack", False, "NotRolledBack", "not rolled back");
  if (st.gateCheck) {
    c.setCondition("GatesPassing", o.check.status, o.check.reason, o.check.message);
  } else if (!st.stepStartedAt) {
    c.setCondition("GatesPassing", Unknown, "AwaitingRollout", "gates are evaluated once the step is active");
  } else if (o.verdict) {
    const Verdict& v = *o.verdict;
    if (v.kind == K::Pass) c.setCondition("GatesPassing", True, c.phase().gates.empty() ? "NoGates" : "GatesPassed", v.message);
    else if (v.kind == K::Wait) c.setCondition("GatesPassing", Unknown, v.reason, v.message);
    else c.setCondition("GatesPassing", False, v.reason, v.message);
    // A Warning Event as soon as a gate warns, even while the pause is still running.
    const Condition* was = c.old.condition("GatesPassing");
    if (v.kind == K::Warning && (!was || was->reason != "GateWarning") &&
        (c.out.events.empty() || c.out.events.back().reason != "GateWarning"))
      c.event(EventType::Warning, "GateWarning", fmt::format("{} ({} holds)", v.message, c.stepLabel()));
  }
}

}  // namespace fro::rollout
