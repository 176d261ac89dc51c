#pragma once
// `kubectl featurerollout plan`: the rollout's timeline as the operator would run it, from the
// spec alone. Every flag's value and percent at every step comes from
// fro::rollout::EffectiveFlags (the function the operator writes the ConfigMap from), so the plan
// cannot disagree with what happens. Pure: spec in, text out.
#include <string>

#include "rollout/planner/RolloutSpec.h"

namespace fro::plugin {

class PlanView {
 public:
  // name/ns: the resource's metadata (ns may be empty).
  static std::string render(const rollout::RolloutSpec& spec, const std::string& name, const std::string& ns);
};

}  // namespace fro::plugin
