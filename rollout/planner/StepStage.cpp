#include "rollout/planner/StepStage.h"

#include <fmt/format.h>

#include "runtime/common/Rfc3339.h"
#include "rollout/planner/Annotations.h"
#include "runtime/common/Duration.h"
#include "rollout/planner/EffectiveFlags.h"
#include "rollout/planner/GateCheckStage.h"
#include "rollout/planner/GateStage.h"

namespace fro::rollout {
namespace {

using std::chrono::milliseconds;

std::string left(milliseconds d) {
  // Whole seconds are enough for a person; Duration::format keeps it short ("1m30s").
  return Duration::format(std::chrono::duration_cast<milliseconds>(std::chrono::ceil<std::chrono::seconds>(d)));
}

}  // namespace

std::string StepStage::pausedBy(const PlanContext& c) {
  if (c.spec.paused) return "spec.paused";
  if (c.rollout.pausedByAnnotation) return fmt::format("annotation {}", names::kPausedAnnotation);
  if (c.st.operatorPaused)
    return "the operator (critical gate with rollback: manual; resume with kubectl featurerollout resume)";
  return "";
}

StepOutcome StepStage::run(PlanContext& c, const Command& command, const std::string& waiting) {
  using K = Verdict::Kind;
  RolloutStatus& st = c.st;
  StepOutcome out;
  const bool checking = st.gateCheck.has_value();
  if (!inStep(st.state) && !checking) return out;

  const std::string by = pausedBy(c);
  const bool promote = command.kind == Command::Kind::Promote || command.kind == Command::Kind::PromoteFull;
  const bool full = command.kind == Command::Kind::PromoteFull;
  if (!by.empty()) {
    if (!st.pausedAt) {
      st.pausedAt = c.in.now;
      c.transition(RolloutState::Paused, "Paused", fmt::format("{} paused by {}", c.stepLabel(), by));
    } else {
      st.state = RolloutState::Paused;
    }
    st.message = fmt::format("{}: paused by {}; timers are frozen", c.stepLabel(), by);
    if (promote) c.event(EventType::Normal, "CommandIgnored", "promote ignored while paused: resume first" + command.why);
    return out;
  }
  if (st.pausedAt) {
    const auto d = c.in.now - *st.pausedAt;
    if (st.stepEnteredAt) *st.stepEnteredAt += d;
    if (st.stepStartedAt) *st.stepStartedAt += d;
    st.pausedAt.reset();
    c.transition(RolloutState::Progressing, "Resumed",
                 fmt::format("{} resumed after {} paused", c.stepLabel(), left(std::chrono::duration_cast<milliseconds>(d))));
  }
  if (checking) return GateCheckStage::run(c, waiting);

  const Phase& p = c.phase();
  const Step& step = p.steps[st.step];
  if (promote) {
    c.event(EventType::Normal, full ? "CommandPromoteFull" : "CommandPromote",
            (full ? "promote-full: finishing phase " + p.name + " now"
                  : "promote: skipping the pause and gates of " + c.stepLabel()) +
                command.why);
    advance(c, full, " (promoted)");
    return out;
  }

  if (!st.stepStartedAt) {
    if (waiting.empty()) {
      st.stepStartedAt = c.in.now;
      c.record(RolloutState::Progressing, "StepActive", c.stepLabel() + " is active: values delivered and every target rolled out");
    } else {
      const auto deadline = *st.stepEnteredAt + c.spec.progressDeadline;
      if (c.in.now >= deadline) {
        out.stall("ProgressDeadlineExceeded",
                  fmt::format("{} did not become active within progressDeadline {}: {}", c.stepLabel(),
                              Duration::format(c.spec.progressDeadline), waiting));
        const Condition* was = c.old.condition("Stalled");
        if (st.state != RolloutState::Holding || !was || was->reason != out.stalledReason)
          c.transition(RolloutState::Holding, out.stalledReason, out.stalledMessage, EventType::Warning);
        st.message = out.stalledMessage;
      } else {
        st.state = RolloutState::Progressing;
        st.message = fmt::format("{}: waiting for {}", c.stepLabel(), waiting);
        c.requeue(std::chrono::duration_cast<milliseconds>(deadline - c.in.now));
      }
      st.gatesSummary = p.gates.empty() ? "none" : fmt::format("0/{} Passed, waiting for delivery", p.gates.size());
      return out;
    }
  }

  if (!p.gates.empty()) GateStage::request(c, p, *st.stepStartedAt);
  const Verdict v = GateStage::judge(c, p, *st.stepStartedAt);
  out.verdict = v;

  if (v.kind == K::Critical) {
    if (c.spec.rollback == RollbackPolicy::Automatic) {
      rollBack(c, v);
      return out;
    }
    st.operatorPaused = true;
    st.pausedAt = c.in.now;
    const std::string msg = fmt::format(
        "{} paused: {} (rollback: manual; resume, abort or retry with kubectl featurerollout)", c.stepLabel(), v.message);
    c.transition(RolloutState::Paused, "GateCritical", msg, EventType::Warning);
    c.out.gateRequest.reset();
    return out;
  }

  const auto pauseEnd = *st.stepStartedAt + step.pause;
  if (c.in.now < pauseEnd) {
    // The end as a timestamp (status.pauseUntil), not a countdown: status changes only when the
    // situation does, so nothing is written while a pause runs.
    st.state = RolloutState::Progressing;
    st.message = fmt::format("{}: pausing until {}{}", c.stepLabel(), Rfc3339::format(pauseEnd),
                             v.kind >= K::NoData ? "; " + v.message : std::string());
    c.requeue(std::chrono::duration_cast<milliseconds>(pauseEnd - c.in.now));
    if (v.kind == K::Stalled) out.stall(v.reason, v.message);
    return out;
  }
  if (v.kind == K::Pass) {
    advance(c, false, "");
    return out;
  }
  // Holding: the pause has passed but the gates do not allow the next step yet.
  if (v.kind == K::Stalled) out.stall(v.reason, v.message);
  if (v.kind == K::Wait) {
    st.state = RolloutState::Progressing;
    st.message = fmt::format("{}: {}", c.stepLabel(), v.message);
    return out;
  }
  // One history entry and Event per new reason, not one per evaluation (values change each time).
  const std::string msg = fmt::format("{}: holding: {}", c.stepLabel(), v.message);
  const Condition* was = c.old.condition("GatesPassing");
  if (!(c.old.state == RolloutState::Holding && was && was->reason == v.reason))
    c.transition(RolloutState::Holding, v.reason, msg, EventType::Warning);
  st.state = RolloutState::Holding;
  st.message = msg;
  return out;
}

void StepStage::rollBack(PlanContext& c, const Verdict& v) {
  RolloutStatus& st = c.st;
  const Phase& p = c.phase();
  const auto before = EffectiveFlags::at(c.spec, Position{Position::Mode::InProgress, st.phaseIndex, st.step});
  const auto after = EffectiveFlags::at(c.spec, Position{Position::Mode::RolledBack, st.phaseIndex, st.step});
  const auto reverted = EffectiveFlags::changes(before, after);
  const std::string msg = fmt::format("phase {} rolled back at {}%: {}; reverted {}", p.name, p.steps[st.step].percent,
                                      v.message, reverted.empty() ? std::string("nothing") : join(reverted));
  st.rollback = RollbackInfo{p.name, v.rollbackReason, msg, c.now};
  if (PhaseStatus* ps = st.phaseStatus(p.name)) ps->state = PhaseState::RolledBack;
  st.stepStartedAt.reset();
  c.transition(RolloutState::RolledBack, "RolledBack", msg, EventType::Warning);
}

void StepStage::advance(PlanContext& c, bool fullPhase, const std::string& why) {
  RolloutStatus& st = c.st;
  const Phase& p = c.phase();
  const int last = static_cast<int>(p.steps.size()) - 1;
  if (!fullPhase && st.step < last) {
    const int from = p.steps[st.step].percent;
    c.enterStep(st.phaseIndex, st.step + 1);
    c.transition(RolloutState::Progressing, "StepAdvanced",
                 fmt::format("{} started (was {}%){}: {} on for {}% of users", c.stepLabel(), from, why,
                             p.enable.empty() ? std::string("no flags") : join(p.enable), p.steps[st.step].percent));
    return;
  }
  PhaseStatus* ps = st.phaseStatus(p.name);
  ps->state = PhaseState::Succeeded;
  ps->completedAt = c.now;
  st.state = RolloutState::Progressing;
  c.event(EventType::Normal, "PhaseCompleted", fmt::format("phase {} completed{}", p.name, why));
  const int next = c.firstUnfinishedPhase();
  if (next < 0) return c.succeed();
  c.startPhase(next, "");
}

}  // namespace fro::rollout
