#pragma once
// A FeatureRollout as the planner reads it: typed metadata, the parsed spec (or the problems that
// make it invalid), the typed status, and the hashes of the phases as written. Built once from the
// resource's JSON at the edge, so no decision reads raw JSON or re-reads an annotation.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollout/planner/RolloutSpec.h"
#include "rollout/planner/RolloutStatus.h"

namespace fro::rollout {

struct RolloutObject {
  // Longest metadata.name the operator runs: the name is a label value on the flag ConfigMap.
  static constexpr std::size_t kMaxNameLength = 63;

  std::string nameSpace;
  std::string name;
  std::string uid;
  std::int64_t generation = 0;
  std::string command;              // annotation names::kCommandAnnotation, "" when none
  bool pausedByAnnotation = false;  // annotation names::kPausedAnnotation is "true"
  std::optional<RolloutSpec> spec;  // nullopt: invalid, specProblems say why
  std::vector<std::string> specProblems;  // "field: message", each naming its value
  std::string configMapName;              // spec.configMapName or its default, also when the spec is invalid
  std::vector<std::string> phaseHashes;   // of spec.phases[i] as written: an edit restarts its steps
  RolloutStatus status;

  static RolloutObject fromJson(const nlohmann::json& resource);
};

}  // namespace fro::rollout
