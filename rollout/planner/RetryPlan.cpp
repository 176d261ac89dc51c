#include "rollout/planner/RetryPlan.h"

#include <map>

#include "rollout/planner/EffectiveFlags.h"

namespace fro::rollout {

RetryPlan RetryPlan::compute(const RolloutSpec& spec, const std::vector<FlagValue>& current) {
  RetryPlan out;
  std::map<std::string, int> now;
  for (const auto& f : spec.flags) now[f.name] = f.defaultValue ? 100 : 0;
  for (const auto& c : current)
    if (now.count(c.name)) now[c.name] = c.percent;
  for (const auto& f : spec.flags) out.before.push_back({f.name, f.envVar, now[f.name]});

  const int n = static_cast<int>(spec.phases.size());
  for (int i = 0; i < n && out.phase < 0; ++i) {
    const Phase& p = spec.phases[i];
    if (p.steps.empty()) continue;
    // What phase i leaves its own flags at: its last step, everything before it complete.
    auto done = EffectiveFlags::at(spec, Position{Position::Mode::InProgress, i, static_cast<int>(p.steps.size()) - 1});
    auto atDone = [&](const std::string& flag) {
      for (const auto& v : done)
        if (v.name == flag) return v.percent;
      return 0;
    };
    bool complete = true;
    for (const auto& f : p.enable) complete = complete && now[f] == atDone(f);
    for (const auto& f : p.disable) complete = complete && now[f] == atDone(f);
    if (!complete) out.phase = i;
  }
  out.after = out.phase < 0 ? out.before : EffectiveFlags::at(spec, Position{Position::Mode::InProgress, out.phase, 0});
  return out;
}

}  // namespace fro::rollout
