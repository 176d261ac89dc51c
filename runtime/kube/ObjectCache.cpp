#include "runtime/kube/ObjectCache.h"

namespace fro::kube {

CachedPtr ObjectCache::get(const std::string& key) const {
  ReaderLock l(mu_);
  auto it = byKey_.find(key);
  return it == byKey_.end() ? nullptr : it->second;
}

CachedPtr ObjectCache::get(const std::string& ns, const std::string& name) const {
  return get(ns.empty() ? name : fmt::format("{}/{}", ns, name));
}

std::vector<CachedPtr> ObjectCache::list(const std::string& ns) const {
  ReaderLock l(mu_);
  std::vector<CachedPtr> out;
  if (ns.empty()) {
    out.reserve(byKey_.size());
    for (auto& [k, v] : byKey_) out.push_back(v);
    return out;
  }
  auto it = byNamespace_.find(ns);
  if (it == byNamespace_.end()) return out;
  for (auto& k : it->second) out.push_back(byKey_.at(k));
  return out;
}

size_t ObjectCache::size() const {
  ReaderLock l(mu_);
  return byKey_.size();
}

CachedPtr ObjectCache::upsert(CachedPtr obj) {
  WriterLock l(mu_);
  auto key = obj->key();
  byNamespace_[obj->namespace_].insert(key);
  auto& slot = byKey_[key];
  auto prev = std::move(slot);
  slot = std::move(obj);
  return prev;
}

CachedPtr ObjectCache::erase(const std::string& key) {
  WriterLock l(mu_);
  auto it = byKey_.find(key);
  if (it == byKey_.end()) return nullptr;
  auto prev = it->second;
  byKey_.erase(it);
  auto ns = byNamespace_.find(prev->namespace_);
  if (ns != byNamespace_.end()) {
    ns->second.erase(key);
    if (ns->second.empty()) byNamespace_.erase(ns);
  }
  return prev;
}

std::vector<CachedPtr> ObjectCache::replace(std::vector<CachedPtr> objs) {
  std::unordered_map<std::string, CachedPtr> next;
  std::map<std::string, std::set<std::string>> nextNs;
  next.reserve(objs.size());
  for (auto& o : objs) {
    auto key = o->key();
    nextNs[o->namespace_].insert(key);
    next[key] = std::move(o);
  }
  WriterLock l(mu_);
  std::vector<CachedPtr> gone;
  for (auto& [k, v] : byKey_)
    if (!next.count(k)) gone.push_back(v);
  byKey_ = std::move(next);
  byNamespace_ = std::move(nextNs);
  return gone;
}

}  // namespace fro::kube
