#pragma once
// Which FeatureRollouts name a workload in spec.targets, kept up to date from the FeatureRollout
// informer's events. A Deployment watch event used to scan every cached rollout of its namespace
// (and copy each one's targets): O(rollouts) per event, O(n^2) over a cold sync, 47% of the
// operator's CPU at 1,000 rollouts (issue 18's profile); a lookup here is one hash probe.
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/ThreadSafety.h"

namespace fro::rollout {

class TargetIndex {
 public:
  // The rollout `key` (namespace/name) in `ns` now targets what its fields' spec.targets name;
  // replaces what it targeted before.
  void set(const std::string& key, const std::string& ns, const nlohmann::json& fields) FRO_EXCLUDES(mu_);
  void remove(const std::string& key) FRO_EXCLUDES(mu_);
  // Keys of the rollouts whose spec.targets name kind/name in ns, in the order they were indexed.
  std::vector<std::string> rolloutsTargeting(const std::string& kind, const std::string& ns, const std::string& name) const
      FRO_EXCLUDES(mu_);

 private:
  void removeLocked(const std::string& key) FRO_REQUIRES(mu_);

  mutable Mutex mu_;
  std::unordered_map<std::string, std::vector<std::string>> byTarget_ FRO_GUARDED_BY(mu_);   // "kind/ns/name" -> rollouts
  std::unordered_map<std::string, std::vector<std::string>> byRollout_ FRO_GUARDED_BY(mu_);  // rollout -> "kind/ns/name"
};

}  // namespace fro::rollout
