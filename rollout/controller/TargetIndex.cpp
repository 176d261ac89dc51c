#include "rollout/controller/TargetIndex.h"

#include <algorithm>

namespace fro::rollout {
namespace {

// Object names cannot hold '/', so "kind/ns/name" is unambiguous.
std::string targetKey(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + "/" + ns + "/" + name;
}

std::string text(const nlohmann::json& o, const char* field) {
  auto it = o.find(field);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

void TargetIndex::set(const std::string& key, const std::string& ns, const nlohmann::json& fields) {
  std::vector<std::string> targets;
  if (auto spec = fields.find("spec"); spec != fields.end() && spec->is_object())
    if (auto ts = spec->find("targets"); ts != spec->end() && ts->is_array())
      for (const auto& t : *ts) {
        if (!t.is_object()) continue;
        std::string k = targetKey(text(t, "kind"), ns, text(t, "name"));
        if (std::find(targets.begin(), targets.end(), k) == targets.end()) targets.push_back(std::move(k));
      }
  MutexLock l(mu_);
  auto was = byRollout_.find(key);
  if (was != byRollout_.end() && was->second == targets) return;  // the usual case: a status write
  removeLocked(key);
  for (const auto& t : targets) byTarget_[t].push_back(key);
  byRollout_[key] = std::move(targets);
}

void TargetIndex::remove(const std::string& key) {
  MutexLock l(mu_);
  removeLocked(key);
}

void TargetIndex::removeLocked(const std::string& key) {
  auto was = byRollout_.find(key);
  if (was == byRollout_.end()) return;
  for (const auto& t : was->second) {
    auto it = byTarget_.find(t);
    if (it == byTarget_.end()) continue;
    std::erase(it->second, key);
    if (it->second.empty()) byTarget_.erase(it);
  }
  byRollout_.erase(was);
}

std::vector<std::string> TargetIndex::rolloutsTargeting(const std::string& kind, const std::string& ns,
                                                        const std::string& name) const {
  MutexLock l(mu_);
  auto it = byTarget_.find(targetKey(kind, ns, name));
  return it == byTarget_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace fro::rollout
