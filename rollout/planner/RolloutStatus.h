#pragma once
// The FeatureRollout's .status as a typed value. All rollout progress lives here (nothing only in
// memory), so a restarted operator reads it back and continues exactly where it was.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollout/planner/GateProvider.h"
#include "rollout/planner/RolloutVocabulary.h"

namespace fro::rollout {

using TimePoint = std::chrono::system_clock::time_point;

struct Condition {
  std::string type;
  ConditionStatus status = ConditionStatus::Unknown;
  std::string reason;  // CamelCase
  std::string message;
  std::string lastTransitionTime;
  std::int64_t observedGeneration = 0;
};

// What a condition should say now; setCondition keeps lastTransitionTime when status is unchanged.
struct ConditionUpdate {
  std::string type;
  ConditionStatus status = ConditionStatus::Unknown;
  std::string reason;
  std::string message;
};

struct FlagStatus {
  std::string name;
  std::string envVar;
  bool enabled = false;  // on for 100% of users
  int percent = 0;
};

struct GateStatus {
  std::string name;
  std::string query;
  std::string value;  // as measured, "" when none
  std::string threshold;
  std::optional<GateResult> result;  // nullopt: not evaluated yet
  std::string message;
  std::string evaluatedAt;
  int consecutivePasses = 0;
};

struct HistoryEntry {
  std::string phase;
  int step = 0;
  RolloutState state = RolloutState::Unset;
  std::string reason;
  std::string message;
  std::string at;
  // Numbers every transition of the rollout (status.transitions counts them), so the Event that
  // records it has a name derived from it: created once, also when a restarted operator re-emits it.
  std::int64_t seq = 0;
  EventType eventType = EventType::None;  // Normal | Warning: this entry has an Event
};

// Gates judged before any user is exposed: before a phase's first step, and before a retry
// exposes users again (then the gates must pass at the rolled-back values).
struct GateCheck {
  std::string phase;
  CheckPurpose purpose = CheckPurpose::Start;
  std::optional<TimePoint> since;     // set once the current values are delivered; results after it count
  std::string request;                // the retry command or spec change that asked for it
};

struct PhaseStatus {
  std::string name;
  PhaseState state = PhaseState::Pending;
  std::string startedAt;
  std::string completedAt;
};

struct RollbackInfo {
  std::string phase;    // the phase that failed ("" for an abort before any phase)
  std::string reason;   // GateCritical | NoDataFail | Aborted
  std::string message;  // names gate, value and threshold
  std::string at;
};

// The flag document last written (status.delivery): its revision, stamped into the document so an
// app can export what it serves, and when it was seen delivered (the propagation allowance and
// the exposure check of file delivery count from there).
struct DeliveryStatus {
  std::int64_t revision = 0;
  std::string valuesChecksum;              // of the values without the revision: a change means revision + 1
  std::optional<TimePoint> deliveredAt;    // ConfigMap current and every target rolled out, first seen
  std::optional<TimePoint> activeAfter;    // deliveredAt + spec.delivery.propagation.allowance
  bool exposed = false;                    // the exposure query showed the revision served
  // Succeeded only: since when the values or targets of the edited rollout wait for delivery (the
  // progress deadline counts from here); unset once delivered.
  std::optional<TimePoint> pendingSince;
};

struct RolloutStatus {
  static constexpr size_t kMaxHistory = 20;

  std::int64_t observedGeneration = 0;
  std::string phase;
  int phaseIndex = 0;
  int step = 0;
  int percent = 0;
  RolloutState state = RolloutState::Unset;  // Unset before the first reconcile
  std::optional<TimePoint> stepEnteredAt;  // the step's values were first written
  std::optional<TimePoint> stepStartedAt;  // the step became active (values delivered, converged)
  std::optional<TimePoint> pausedAt;       // paused since; timers resume shifted by the pause
  std::optional<TimePoint> pauseUntil;     // the step's pause ends (clients compute countdowns from it)
  std::string currentStep;                 // 1-based "2/3", as Events and the plugin show it
  std::int64_t transitions = 0;            // transitions recorded so far (history[].seq)
  std::optional<GateCheck> gateCheck;
  bool operatorPaused = false;             // paused by the operator itself (critical gate, rollback: manual)
  std::string phaseHash;                   // of the current phase's spec: an edit restarts its steps
  std::string lastCommand;
  std::string message;
  std::string gatesSummary;
  std::string configMapName;
  std::string checksum;
  DeliveryStatus delivery;
  std::optional<RollbackInfo> rollback;
  std::vector<std::string> appliedTargets;  // "Deployment/web": where our env injection is
  std::vector<FlagStatus> flags;
  std::vector<GateStatus> gates;
  std::vector<HistoryEntry> history;
  std::vector<PhaseStatus> phases;
  std::vector<Condition> conditions;

  const Condition* condition(const std::string& type) const;
  // Sets a condition, keeping lastTransitionTime when status does not change.
  void setCondition(const ConditionUpdate& c, const std::string& now, std::int64_t generation);
  PhaseStatus* phaseStatus(const std::string& name);

  static RolloutStatus fromJson(const nlohmann::json& status);
  nlohmann::json toJson() const;
};

}  // namespace fro::rollout
