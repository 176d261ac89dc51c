#include "rollout/planner/RolloutPlanner.h"

#include <algorithm>

#include <fmt/format.h>

#include "rollout/planner/ClusterStage.h"
#include "rollout/planner/CommandStage.h"
#include "rollout/planner/ConditionStage.h"
#include "rollout/planner/DeliveryStage.h"
#include "rollout/planner/EditStage.h"
#include "rollout/planner/RetryStage.h"
#include "rollout/planner/StepStage.h"

namespace fro::rollout {
namespace {

// The share the rollout's flags are really on for, and the fields clients read ("1/3", pauseUntil).
void summarize(PlanContext& c) {
  RolloutStatus& st = c.st;
  const auto& phases = c.spec.phases;
  const bool validPhase = st.phaseIndex >= 0 && st.phaseIndex < static_cast<int>(phases.size());
  const bool stepping = !st.gateCheck && inStep(st.state);
  if (stepping) {
    st.percent = c.phase().steps[st.step].percent;
  } else if (st.state == RolloutState::Succeeded) {
    st.percent = phases.back().steps.back().percent;
  } else {
    // Rolled back or not started: the share its flags are really on for (onFailure may keep one).
    st.percent = 0;
    if (validPhase)
      for (const auto& f : st.flags)
        for (const auto& e : phases[st.phaseIndex].enable)
          if (f.name == e) st.percent = std::max(st.percent, f.percent);
  }
  st.currentStep = validPhase && !st.phase.empty() ? fmt::format("{}/{}", st.step + 1, phases[st.phaseIndex].steps.size()) : "";
  st.pauseUntil.reset();
  if (stepping && st.state != RolloutState::Paused && st.stepStartedAt)
    st.pauseUntil = *st.stepStartedAt + c.phase().steps[st.step].pause;
  if (st.state != RolloutState::Progressing && st.state != RolloutState::Holding &&
      !(st.gateCheck && st.state == RolloutState::Pending))
    c.out.gateRequest.reset();
  if (st.state == RolloutState::RolledBack && !st.rollback) st.rollback = RollbackInfo{st.phase, "RolledBack", "rolled back", c.now};
}

}  // namespace

Plan RolloutPlanner::plan(const PlanInput& in) {
  PlanContext c(in);
  if (!in.rollout.spec) {
    ClusterStage::invalid(c, in.rollout.specProblems);
    c.out.status = c.st;
    return std::move(c.out);
  }
  c.out.configMapName = c.spec.configMapName;
  c.st.configMapName = c.spec.configMapName;
  if (ClusterStage::stops(c)) {
    c.out.status = c.st;
    return std::move(c.out);
  }

  std::optional<RetryRequest> retry;
  if (auto why = EditStage::reposition(c)) retry = RetryRequest{false, *why};
  EditStage::normalize(c);
  const Command command = CommandStage::handle(c);
  if (command.kind == Command::Kind::Retry || command.kind == Command::Kind::RetryForce)
    retry = RetryRequest{command.kind == Command::Kind::RetryForce, command.why};
  if (retry && c.st.state == RolloutState::RolledBack) RetryStage::begin(c, *retry);

  c.out.writeChildren = true;
  DeliveryStage::desire(c);
  const std::string waiting = DeliveryStage::waitingFor(c);
  DeliveryStage::release(c);
  StepOutcome outcome = StepStage::run(c, command, waiting);
  DeliveryStage::desire(c);  // the position may have moved (advance, rollback)
  summarize(c);
  if (c.st.state == RolloutState::Succeeded) DeliveryStage::settleCompleted(c, outcome);
  ConditionStage::run(c, std::move(outcome));

  RolloutStatus& st = c.st;
  st.checksum = c.out.checksum;
  st.observedGeneration = in.rollout.generation;
  st.appliedTargets.clear();
  for (const auto& t : c.out.targets) st.appliedTargets.push_back(t.kind + "/" + t.name);
  c.out.status = st;
  return std::move(c.out);
}

}  // namespace fro::rollout
