#pragma once
// The working state of one plan() call, shared by its stages: the input, the spec, the status as
// read (old) and as it will be written (st), and the plan being built. It holds no decision
// flags: what a stage decides, it returns. Its helpers are the vocabulary every stage speaks:
// a transition (state + history entry + Event), entering a step, starting a phase.
#include <chrono>
#include <string>

#include "rollout/planner/Plan.h"
#include "rollout/planner/RolloutSpec.h"
#include "rollout/planner/RolloutStatus.h"

namespace fro::rollout {

class PlanContext {
 public:
  explicit PlanContext(const PlanInput& in);

  const PlanInput& in;
  const RolloutObject& rollout;  // in.rollout
  const RolloutSpec& spec;       // valid: stages run only for a parsed spec (ClusterStage::invalid aside)
  const RolloutStatus old;       // as stored
  RolloutStatus st;              // as it will be written
  Plan out;
  const std::string now;         // RFC 3339, for history and conditions

  // A transition: the new state, its message (so the status version that records it says what
  // happened, not what the previous step was doing), a history entry and, unless None, its Event.
  void transition(RolloutState state, const std::string& reason, const std::string& message,
                  EventType type = EventType::Normal);
  // One numbered entry in the bounded history; an entry with an event type has exactly one Event,
  // named after its number (the reconciler re-emits it if a crash came between status and Event).
  void record(RolloutState state, const std::string& reason, const std::string& message,
              EventType type = EventType::None);
  // An Event (and its history entry) that does not change the state.
  void event(EventType type, const std::string& reason, const std::string& message);
  void requeue(std::chrono::milliseconds d);
  void setCondition(const std::string& type, ConditionStatus status, const std::string& reason,
                    const std::string& message);

  std::string phaseHash(int idx) const;
  const Phase& phase() const { return spec.phases[st.phaseIndex]; }
  // "phase canary step 2/3 (50%)"
  std::string stepLabel() const;
  void enterStep(int phaseIdx, int step);
  // A phase with gates first has them judged at today's values (a Start gate check), so no user is
  // exposed by a step whose gates cannot be judged; checked=true once that is done.
  void startPhase(int idx, const std::string& why, bool checked = false);
  int firstUnfinishedPhase();
  void succeed();
  // The phase list follows the spec's order; entries of removed phases go.
  void syncPhaseList();
  // A command still gets its answer (the plugin waits for it) when the rollout cannot act on it.
  void ackIgnoredCommand(const std::string& why);
  // The targets in spec order with what was observed of each (nullptr: not observed at all).
  const WorkloadView* workload(const Target& t) const;

 private:
  static const RolloutSpec& specOf(const PlanInput& in);
};

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ");

}  // namespace fro::rollout
