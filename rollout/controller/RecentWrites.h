#pragma once
// Read your own writes: the FeatureRollouts this process wrote (finalizer, status) whose watch
// event has not reached the informer yet. A reconcile that starts in that window (a ConfigMap or
// Deployment event of the same transition) would plan again from the old status and lose the
// write race with a 409 Conflict: a wasted plan, a wasted PUT and a 50 ms requeue, about one in two
// rollouts in a cold sync. While the cache still holds a resourceVersion we replaced, the object
// we wrote is the fresher one; once it holds any other, the cache has caught up (or someone else
// wrote, and optimistic concurrency sorts that out) and the entry goes.
#include <map>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/common/ThreadSafety.h"

namespace fro::rollout {

class RecentWrites {
 public:
  // A write of key replaced resourceVersion `replaced` with `written` (as the API server returned it).
  void wrote(const std::string& key, const std::string& replaced, nlohmann::json written) FRO_EXCLUDES(mu_);
  // The object to reconcile from, given the cache's resourceVersion: ours while the cache holds one
  // we replaced; nullopt (and the entry dropped) once the cache has moved on.
  std::optional<nlohmann::json> fresher(const std::string& key, const std::string& cachedVersion) FRO_EXCLUDES(mu_);
  void forget(const std::string& key) FRO_EXCLUDES(mu_);
  size_t size() const FRO_EXCLUDES(mu_);

 private:
  struct Entry {
    std::set<std::string> replaced;  // every version we superseded since the cache last caught up
    nlohmann::json written;
  };
  // A cache that never catches up (a lost watch) must not grow the set without end.
  static constexpr size_t kMaxReplaced = 16;
  mutable Mutex mu_;
  std::map<std::string, Entry> entries_ FRO_GUARDED_BY(mu_);
};

}  // namespace fro::rollout
