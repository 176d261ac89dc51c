#include "rollout/controller/RecentWrites.h"

namespace fro::rollout {

void RecentWrites::wrote(const std::string& key, const std::string& replaced, nlohmann::json written) {
  if (auto md = written.find("metadata"); md != written.end() && md->is_object()) md->erase("managedFields");
  MutexLock l(mu_);
  Entry& e = entries_[key];
  if (e.replaced.size() >= kMaxReplaced) e.replaced.clear();
  if (!replaced.empty()) e.replaced.insert(replaced);
  e.written = std::move(written);
}

std::optional<nlohmann::json> RecentWrites::fresher(const std::string& key, const std::string& cachedVersion) {
  MutexLock l(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.replaced.count(cachedVersion)) return it->second.written;
  entries_.erase(it);
  return std::nullopt;
}

void RecentWrites::forget(const std::string& key) {
  MutexLock l(mu_);
  entries_.erase(key);
}

size_t RecentWrites::size() const {
  MutexLock l(mu_);
  return entries_.size();
}

}  // namespace fro::rollout
