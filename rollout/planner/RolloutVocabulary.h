#pragma once
// The rollout's states and policies as types. Strings exist only at the JSON edge
// (RolloutSpec::parse, RolloutStatus::fromJson/toJson): decisions compare enums, so a misspelt
// state is a compile error, not a rollout that silently never advances.
#include <optional>
#include <string>
#include <string_view>

namespace fro::rollout {

// status.state
enum class RolloutState { Unset, Pending, Progressing, Holding, Paused, RolledBack, Succeeded, Invalid };
// status.phases[].state
enum class PhaseState { Pending, Progressing, Succeeded, RolledBack };
// status.gateCheck.purpose: before a phase's first step, or before a retry exposes users again.
enum class CheckPurpose { Start, Retry };
// status.conditions[].status
enum class ConditionStatus { True, False, Unknown };
// Event and history entry type.
enum class EventType { None, Normal, Warning };
// spec.analysis.gates[].onNoData
enum class OnNoData { Hold, Pass, Fail };
// spec.rollback
enum class RollbackPolicy { Automatic, Manual };
// spec.delivery.env.restartOn: which value changes restart the targets' pods (Never: no env delivery).
enum class RestartOn { Never, BooleanChange, EveryChange };

const char* toString(RolloutState s);
const char* toString(PhaseState s);
const char* toString(CheckPurpose p);
const char* toString(ConditionStatus s);
const char* toString(EventType t);  // "" for None
const char* toString(OnNoData o);
const char* toString(RollbackPolicy r);
const char* toString(RestartOn r);

// nullopt for text that names no value (a hand-edited status): the caller decides the fallback.
std::optional<RolloutState> parseRolloutState(std::string_view text);
std::optional<PhaseState> parsePhaseState(std::string_view text);
std::optional<CheckPurpose> parseCheckPurpose(std::string_view text);
std::optional<ConditionStatus> parseConditionStatus(std::string_view text);
std::optional<EventType> parseEventType(std::string_view text);
std::optional<OnNoData> parseOnNoData(std::string_view text);
std::optional<RollbackPolicy> parseRollbackPolicy(std::string_view text);
std::optional<RestartOn> parseRestartOn(std::string_view text);

// Progressing, Holding or Paused: the rollout is inside a step.
bool inStep(RolloutState s);

}  // namespace fro::rollout
