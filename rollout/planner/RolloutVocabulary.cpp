#include "rollout/planner/RolloutVocabulary.h"

#include <array>
#include <utility>

namespace fro::rollout {
namespace {

// One table per enum, in declaration order: toString indexes it, parse searches it.
constexpr std::array kRolloutStates{"", "Pending", "Progressing", "Holding", "Paused", "RolledBack", "Succeeded", "Invalid"};
constexpr std::array kPhaseStates{"Pending", "Progressing", "Succeeded", "RolledBack"};
constexpr std::array kPurposes{"Start", "Retry"};
constexpr std::array kConditionStatuses{"True", "False", "Unknown"};
constexpr std::array kEventTypes{"", "Normal", "Warning"};
constexpr std::array kOnNoData{"hold", "pass", "fail"};
constexpr std::array kRollbackPolicies{"automatic", "manual"};
constexpr std::array kRestartOn{"Never", "BooleanChange", "EveryChange"};

template <class E, std::size_t N>
std::optional<E> find(const std::array<const char*, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i)
    if (text == names[i]) return static_cast<E>(i);
  return std::nullopt;
}

}  // namespace

const char* toString(RolloutState s) { return kRolloutStates[static_cast<std::size_t>(s)]; }
const char* toString(PhaseState s) { return kPhaseStates[static_cast<std::size_t>(s)]; }
const char* toString(CheckPurpose p) { return kPurposes[static_cast<std::size_t>(p)]; }
const char* toString(ConditionStatus s) { return kConditionStatuses[static_cast<std::size_t>(s)]; }
const char* toString(EventType t) { return kEventTypes[static_cast<std::size_t>(t)]; }
const char* toString(OnNoData o) { return kOnNoData[static_cast<std::size_t>(o)]; }
const char* toString(RollbackPolicy r) { return kRollbackPolicies[static_cast<std::size_t>(r)]; }
const char* toString(RestartOn r) { return kRestartOn[static_cast<std::size_t>(r)]; }

std::optional<RolloutState> parseRolloutState(std::string_view t) { return find<RolloutState>(kRolloutStates, t); }
std::optional<PhaseState> parsePhaseState(std::string_view t) { return find<PhaseState>(kPhaseStates, t); }
std::optional<CheckPurpose> parseCheckPurpose(std::string_view t) { return find<CheckPurpose>(kPurposes, t); }
std::optional<ConditionStatus> parseConditionStatus(std::string_view t) {
  return find<ConditionStatus>(kConditionStatuses, t);
}
std::optional<EventType> parseEventType(std::string_view t) { return find<EventType>(kEventTypes, t); }
std::optional<OnNoData> parseOnNoData(std::string_view t) { return find<OnNoData>(kOnNoData, t); }
std::optional<RollbackPolicy> parseRollbackPolicy(std::string_view t) {
  return find<RollbackPolicy>(kRollbackPolicies, t);
}
std::optional<RestartOn> parseRestartOn(std::string_view t) { return find<RestartOn>(kRestartOn, t); }

bool inStep(RolloutState s) {
  return s == RolloutState::Progressing || s == RolloutState::Holding || s == RolloutState::Paused;
}

}  // namespace fro::rollout
