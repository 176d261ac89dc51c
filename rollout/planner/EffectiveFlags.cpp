#include "rollout/planner/EffectiveFlags.h"

#include <algorithm>
#include <map>

namespace fro::rollout {

std::vector<FlagValue> EffectiveFlags::at(const RolloutSpec& spec, const Position& pos) {
  std::map<std::string, int> percent;
  for (const auto& f : spec.flags) percent[f.name] = f.defaultValue ? 100 : 0;
  auto setAll = [&](const std::vector<std::string>& names, int p) {
    for (const auto& n : names) percent[n] = p;
  };

  if (pos.mode != Position::Mode::Aborted) {
    int last = pos.mode == Position::Mode::Completed ? static_cast<int>(spec.phases.size()) - 1
                                                      : std::min<int>(pos.phase, static_cast<int>(spec.phases.size()) - 1);
    if (pos.mode == Position::Mode::NotStarted) last = std::min<int>(pos.phase, static_cast<int>(spec.phases.size())) - 1;
    for (int i = 0; i <= last; ++i) {
      const Phase& ph = spec.phases[i];
      if (ph.steps.empty()) continue;
      bool current = i == pos.phase && pos.mode != Position::Mode::Completed;
      int step = current ? std::clamp(pos.step, 0, static_cast<int>(ph.steps.size()) - 1)
                         : static_cast<int>(ph.steps.size()) - 1;
      if (current && pos.mode == Position::Mode::RolledBack) {
        if (ph.onFailure) {
          // Explicit actions on top of where the phase stood ("disable writes, keep reads").
          setAll(ph.disable, 0);
          setAll(ph.enable, ph.steps[step].percent);
          setAll(ph.onFailure->disable, 0);
          setAll(ph.onFailure->enable, 100);
        }
        // Default: the whole phase is reverted, so its flags keep their defaults.
        continue;
      }
      setAll(ph.disable, 0);
      setAll(ph.enable, ph.steps[step].percent);
    }
  }
  std::vector<FlagValue> out;
  out.reserve(spec.flags.size());
  for (const auto& f : spec.flags) out.push_back({f.name, f.envVar, percent[f.name]});
  return out;
}

std::vector<std::string> EffectiveFlags::changes(const std::vector<FlagValue>& before,
                                                 const std::vector<FlagValue>& after) {
  std::vector<std::string> out;
  for (const auto& a : after)
    for (const auto& b : before)
      if (b.name == a.name && b.percent != a.percent)
        out.push_back(a.name + " " + std::to_string(b.percent) + "% -> " + std::to_string(a.percent) + "%");
  return out;
}

}  // namespace fro::rollout
