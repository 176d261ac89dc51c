#pragma once
// What promote, promote --full and retry will turn on, printed before the command is sent, from
// the spec and status the plugin just read, with the operator's own functions:
//   retry [--force] RetryPlan::compute(spec, status.flags): where it restarts and which flags change;
//   promote        EffectiveFlags::at(current step) -> at(next step), or the next phase's first step
//                  (or the final values) when the current step is the phase's last;
//   promote --full EffectiveFlags::at(current step) -> the next phase's first step (or the final values).
// Only flags whose percent changes are listed. Empty when there is nothing to say: another verb,
// a spec the operator would refuse, or a state in which the operator ignores the command (it
// answers those with a CommandIgnored Event, which the plugin reports).
#include <string>

#include <nlohmann/json.hpp>

#include "plugin/RolloutCommands.h"

namespace fro::plugin {

class CommandPreview {
 public:
  static std::string describe(Verb verb, const nlohmann::json& rollout);
};

}  // namespace fro::plugin
