#include "rollout/planner/PlanContext.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/common/Rfc3339.h"
#include "rollout/planner/FlagDocument.h"

namespace fro::rollout {

std::string join(const std::vector<std::string>& v, const std::string& sep) { return fmt::format("{}", fmt::join(v, sep)); }

const RolloutSpec& PlanContext::specOf(const PlanInput& in) {
  static const RolloutSpec kNone;
  return in.rollout.spec ? *in.rollout.spec : kNone;
}

PlanContext::PlanContext(const PlanInput& input)
    : in(input), rollout(input.rollout), spec(specOf(input)), old(input.rollout.status), st(input.rollout.status),
      now(Rfc3339::format(input.now)) {}

void PlanContext::transition(RolloutState state, const std::string& reason, const std::string& message, EventType type) {
  st.state = state;
  st.message = message;
  event(type, reason, message);
}

void PlanContext::record(RolloutState state, const std::string& reason, const std::string& message, EventType type) {
  st.history.push_back({st.phase, st.step, state, reason, message, now, ++st.transitions, type});
  if (st.history.size() > RolloutStatus::kMaxHistory)
    st.history.erase(st.history.begin(), st.history.end() - RolloutStatus::kMaxHistory);
}

void PlanContext::event(EventType type, const std::string& reason, const std::string& message) {
  record(st.state, reason, message, type);
  if (type != EventType::None) out.events.push_back({type, reason, message, st.transitions});
}

void PlanContext::requeue(std::chrono::milliseconds d) {
  d = std::max(d, std::chrono::milliseconds(0));
  if (!out.requeueAfter || d < *out.requeueAfter) out.requeueAfter = d;
}

void PlanContext::setCondition(const std::string& type, ConditionStatus status, const std::string& reason,
                               const std::string& message) {
  st.setCondition({type, status, reason, message}, now, rollout.generation);
}

std::string PlanContext::phaseHash(int idx) const {
  if (idx >= 0 && idx < static_cast<int>(rollout.phaseHashes.size())) return rollout.phaseHashes[idx];
  return FlagDocument::checksum({{"phase", ""}}).substr(0, 16);
}

std::string PlanContext::stepLabel() const {
  const Phase& p = phase();
  return fmt::format("phase {} step {}/{} ({}%)", p.name, st.step + 1, p.steps.size(), p.steps[st.step].percent);
}

void PlanContext::enterStep(int phaseIdx, int step) {
  st.phaseIndex = phaseIdx;
  st.phase = spec.phases[phaseIdx].name;
  st.step = step;
  st.stepEnteredAt = in.now;
  st.stepStartedAt.reset();
  st.phaseHash = phaseHash(phaseIdx);
  st.gates.clear();
  const auto& gates = spec.phases[phaseIdx].gates;
  st.gatesSummary = gates.empty() ? "none" : fmt::format("0/{} Passed, waiting for delivery", gates.size());
}

void PlanContext::startPhase(int idx, const std::string& why, bool checked) {
  if (!checked && !spec.phases[idx].gates.empty()) {
    enterStep(idx, 0);
    st.stepEnteredAt.reset();
    st.gateCheck = GateCheck{spec.phases[idx].name, CheckPurpose::Start, std::nullopt, why};
    st.state = RolloutState::Pending;
    st.message = fmt::format("phase {} waits for its gates to be judged before any user is exposed", st.phase);
    record(RolloutState::Pending, "GateCheck", st.message);
    return;
  }
  st.gateCheck.reset();
  enterStep(idx, 0);
  PhaseStatus* ps = st.phaseStatus(st.phase);
  ps->state = PhaseState::Progressing;
  ps->startedAt = now;
  ps->completedAt.clear();
  const Phase& p = phase();
  std::string msg = fmt::format("phase {} started{}: {}", p.name, why,
                                p.enable.empty() ? std::string("no flags to enable")
                                                 : fmt::format("{} on for {}% of users", join(p.enable), p.steps[0].percent));
  if (!p.disable.empty()) msg += fmt::format("; {} off", join(p.disable));
  transition(RolloutState::Progressing, "PhaseStarted", msg);
}

int PlanContext::firstUnfinishedPhase() {
  for (size_t i = 0; i < spec.phases.size(); ++i) {
    PhaseStatus* ps = st.phaseStatus(spec.phases[i].name);
    if (!ps || ps->state != PhaseState::Succeeded) return static_cast<int>(i);
  }
  return -1;
}

void PlanContext::succeed() {
  st.gateCheck.reset();
  st.phaseIndex = static_cast<int>(spec.phases.size()) - 1;
  st.phase = spec.phases.back().name;
  st.step = static_cast<int>(spec.phases.back().steps.size()) - 1;
  st.stepEnteredAt.reset();
  st.stepStartedAt.reset();
  transition(RolloutState::Succeeded, "RolloutSucceeded",
             fmt::format("all {} phases completed; flags stay at their final values", spec.phases.size()));
}

void PlanContext::syncPhaseList() {
  std::vector<PhaseStatus> list;
  for (const auto& p : spec.phases) {
    PhaseStatus* was = st.phaseStatus(p.name);
    list.push_back(was ? *was : PhaseStatus{p.name, PhaseState::Pending, "", ""});
  }
  st.phases = std::move(list);
}

void PlanContext::ackIgnoredCommand(const std::string& why) {
  const std::string& cmd = rollout.command;
  if (cmd.empty() || cmd == st.lastCommand) return;
  st.lastCommand = cmd;
  event(EventType::Warning, "CommandIgnored", fmt::format("{} ignored: {} (request {})", cmd.substr(0, cmd.find(' ')), why, cmd));
}

const WorkloadView* PlanContext::workload(const Target& t) const {
  auto it = std::find_if(in.workloads.begin(), in.workloads.end(),
                         [&](const WorkloadView& w) { return w.kind == t.kind && w.name == t.name; });
  return it == in.workloads.end() ? nullptr : &*it;
}

}  // namespace fro::rollout
