#include "rollout/planner/CommandStage.h"

#include <fmt/format.h>

#include "rollout/planner/Annotations.h"

namespace fro::rollout {

Command CommandStage::handle(PlanContext& c) {
  RolloutStatus& st = c.st;
  const std::string& cmd = c.rollout.command;
  if (cmd.empty() || cmd == st.lastCommand) return {};
  st.lastCommand = cmd;
  const std::string verb = cmd.substr(0, cmd.find(' '));
  const std::string req = fmt::format(" (request {})", cmd);
  const std::string state = toString(st.state);
  if (verb == "resume") {
    if (st.state == RolloutState::RolledBack || st.state == RolloutState::Succeeded) {
      c.event(EventType::Normal, "CommandIgnored",
              fmt::format("resume ignored: the rollout is {}{}{}", state,
                          st.state == RolloutState::RolledBack ? " (use retry to walk its steps again)" : "", req));
    } else if (st.operatorPaused) {
      st.operatorPaused = false;
      c.event(EventType::Normal, "CommandResume", "resume: the operator's pause (critical gate, rollback: manual) is lifted" + req);
    } else {
      c.event(EventType::Normal, "CommandResume", "resume acknowledged" + req);
    }
    return {};
  }
  if (verb == "promote" || verb == "promote-full") {
    if (!inStep(st.state)) {
      c.event(EventType::Normal, "CommandIgnored", fmt::format("{} ignored: the rollout is {}{}", verb, state, req));
      return {};
    }
    return {verb == "promote" ? Command::Kind::Promote : Command::Kind::PromoteFull, req};
  }
  if (verb == "abort") {
    if (st.state == RolloutState::RolledBack && st.rollback && st.rollback->reason == "Aborted") {
      c.event(EventType::Normal, "CommandIgnored", "abort ignored: already aborted" + req);
      return {};
    }
    const std::string msg = "aborted by command: every flag is back to its default" + req;
    st.rollback = RollbackInfo{st.phase, "Aborted", msg, c.now};
    if (PhaseStatus* ps = st.phaseStatus(st.phase); ps && ps->state == PhaseState::Progressing)
      ps->state = PhaseState::RolledBack;
    st.operatorPaused = false;
    st.pausedAt.reset();
    st.stepStartedAt.reset();
    st.gateCheck.reset();
    c.transition(RolloutState::RolledBack, "Aborted", msg, EventType::Warning);
    return {};
  }
  if (verb == "retry" || verb == "retry-force") {
    if (st.state != RolloutState::RolledBack) {
      c.event(EventType::Normal, "CommandIgnored",
              fmt::format("{} ignored: the rollout is {}, not RolledBack{}", verb, state, req));
      return {};
    }
    const bool force = verb == "retry-force";
    return {force ? Command::Kind::RetryForce : Command::Kind::Retry,
            (force ? "retry --force requested" : "retry requested") + req};
  }
  c.event(EventType::Warning, "UnknownCommand",
          fmt::format("unknown command \"{}\" in annotation {}: use resume, promote, promote-full, abort, retry or "
                      "retry-force{}",
                      verb, names::kCommandAnnotation, req));
  return {};
}

}  // namespace fro::rollout
