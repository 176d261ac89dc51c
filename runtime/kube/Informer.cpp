#include "runtime/kube/Informer.h"

#include <malloc.h>

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "runtime/kube/ApiError.h"

namespace fro::kube {

namespace {
// Inside a catch block: what was thrown, for a message.
std::string currentExceptionText() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}
}  // namespace

Informer::Informer(KubeClient& client, Resource resource, Options options)
    : client_(client), resource_(std::move(resource)), opts_(std::move(options)) {
  if (!opts_.project) opts_.project = defaultProjection;
}

std::string Informer::resourceName(const Resource& r) {
  return r.group.empty() ? r.plural : fmt::format("{}.{}", r.plural, r.group);
}

void Informer::notify(Notice::Kind kind, const char* verb, const Error* e) {
  if (!opts_.observer) return;
  Notice n;
  n.kind = kind;
  n.resource = resourceName(resource_);
  n.namespace_ = opts_.namespace_;
  n.verb = verb;
  if (e) n.error = *e;
  n.failures = failuresInARow_;
  try {
    opts_.observer(n);
  } catch (...) {
    // An observer that throws must not end the informer: its cache would go stale silently.
  }
}

json Informer::defaultProjection(const json& full) {
  json o = full;
  if (auto m = o.find("metadata"); m != o.end() && m->is_object()) m->erase("managedFields");
  return o;
}

void Informer::addHandlers(Handlers h) { handlers_.push_back(std::move(h)); }

Informer::Stats Informer::stats() const {
  MutexLock l(mu_);
  return stats_;
}

void Informer::recordError(const char* verb, const Error& e) {
  if (stop_) return;
  {
    MutexLock l(mu_);
    ++stats_.errors;
    stats_.lastError = e.message;
  }
  ++failuresInARow_;
  notify(Notice::Kind::Failed, verb, &e);
}

void Informer::recordSuccess() {
  if (failuresInARow_ == 0) return;
  notify(Notice::Kind::Recovered);
  failuresInARow_ = 0;
}

void Informer::stop() {
  {
    MutexLock l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

bool Informer::waitForSync(std::chrono::milliseconds timeout) const {
  MutexLock l(mu_);
  return cv_.wait_for(l.native(), timeout, [&] { return synced_.load() || stop_.load(); }) && synced_.load();
}

bool Informer::sleepInterruptibly(std::chrono::milliseconds d) {
  MutexLock l(mu_);
  return !cv_.wait_for(l.native(), d, [&] { return stop_.load(); });
}

CachedPtr Informer::toCached(const json& obj) const {
  auto c = std::make_shared<CachedObject>();
  const json& m = obj.contains("metadata") ? obj["metadata"] : json::object();
  c->namespace_ = m.value("namespace", "");
  c->name = m.value("name", "");
  c->uid = m.value("uid", "");
  c->resourceVersion = m.value("resourceVersion", "");
  c->generation = m.value("generation", 0LL);
  c->fields = opts_.project(obj);
  return c;
}

Status Informer::relist(std::string& rv) {
  ListOptions lo;
  lo.labelSelector = opts_.labelSelector;
  lo.limit = opts_.pageSize;
  // Page by page, projecting each page before the next arrives: a full listing of big objects
  // is never held in memory at once.
  std::vector<CachedPtr> fresh;
  std::string listRv;
  do {
    auto page = client_.list(resource_, opts_.namespace_, lo);
    {
      MutexLock l(mu_);
      ++stats_.lists;
    }
    if (!page.ok()) return page.error();
    auto& items = (*page)["items"];
    if (items.is_array())
      for (const auto& item : items) fresh.push_back(toCached(item));
    auto& meta = (*page)["metadata"];
    if (listRv.empty()) listRv = meta.value("resourceVersion", "");
    lo.continueToken = meta.value("continue", "");
  } while (!lo.continueToken.empty());
  std::vector<std::pair<CachedPtr, CachedPtr>> changes;  // (old, new); old null = add
  for (const auto& n : fresh) {
    auto old = cache_.get(n->key());
    if (!old || old->resourceVersion != n->resourceVersion) changes.emplace_back(old, n);
  }
  auto gone = cache_.replace(std::move(fresh));
  // The pages' JSON is freed by now; hand the heap it used back to the OS instead of keeping it.
  malloc_trim(0);
  for (auto& [old, cur] : changes) {
    for (auto& h : handlers_) {
      if (!old && h.onAdd) h.onAdd(cur);
      if (old && h.onUpdate) h.onUpdate(old, cur);
    }
  }
  for (auto& g : gone)
    for (auto& h : handlers_)
      if (h.onDelete) h.onDelete(g, /*tombstone=*/true);
  rv = listRv;
  recordSuccess();
  if (!synced_) {
    {
      MutexLock l(mu_);
      synced_ = true;
    }
    cv_.notify_all();
    notify(Notice::Kind::Synced);
  }
  return ok();
}

void Informer::apply(const WatchEvent& ev) {
  switch (ev.type) {
    case WatchEvent::Type::Added:
    case WatchEvent::Type::Modified: {
      auto cur = toCached(ev.object);
      auto old = cache_.upsert(cur);
      if (old && old->resourceVersion == cur->resourceVersion) return;  // replayed after a resume
      for (auto& h : handlers_) {
        if (!old && h.onAdd) h.onAdd(cur);
        if (old && h.onUpdate) h.onUpdate(old, cur);
      }
      return;
    }
    case WatchEvent::Type::Deleted: {
      auto cur = toCached(ev.object);
      if (!cache_.erase(cur->key())) return;
      for (auto& h : handlers_)
        if (h.onDelete) h.onDelete(cur, false);
      return;
    }
    case WatchEvent::Type::Bookmark:
    case WatchEvent::Type::Error:
      return;
  }
}

void Informer::run() {
  std::string rv;
  auto backoff = opts_.minBackoff;
  bool needList = true;
  notify(Notice::Kind::Started);
  while (!stop_) {
    try {
      if (!listAndWatch(rv, needList, backoff)) break;
    } catch (...) {
      // A handler or projection threw: nothing may end the informer's thread (its cache would go
      // stale silently). Relist, so that the cache and the handlers agree again.
      const char* verb = needList ? "list" : "watch";
      recordError(verb, Error::of(fmt::format("{} {}: event handling threw: {}", verb, resourceName(resource_),
                                              currentExceptionText())));
      needList = true;
      if (!sleepInterruptibly(backoff)) break;
      backoff = std::min(backoff * 2, opts_.maxBackoff);
    }
  }
}

bool Informer::listAndWatch(std::string& rv, bool& needList, std::chrono::milliseconds& backoff) {
  if (needList) {
    auto st = relist(rv);
    if (!st.ok()) {
      recordError("list", st.error());
      if (!sleepInterruptibly(backoff)) return false;
      backoff = std::min(backoff * 2, opts_.maxBackoff);
      return true;
    }
    needList = false;
  }
  WatchOptions wo;
  wo.resourceVersion = rv;
  wo.labelSelector = opts_.labelSelector;
  wo.timeoutSeconds = opts_.timeoutSeconds;
  wo.cancel = &stop_;
  {
    MutexLock l(mu_);
    ++stats_.watches;
  }
  bool progressed = false;
  auto end = client_.watch(resource_, opts_.namespace_, wo, [&](const WatchEvent& ev) {
    apply(ev);
    if (auto v = ev.resourceVersion(); !v.empty()) rv = v;
    progressed = true;
    return !stop_;
  });
  if (stop_) return false;
  if (progressed) recordSuccess();
  if (!end.ok()) {
    if (ApiError::isGone(end.error())) {
      // Expired: the protocol's normal way to say "relist", not a failure to report.
      MutexLock l(mu_);
      ++stats_.errors;
      stats_.lastError = end.error().message;
      needList = true;
      return true;
    }
    recordError("watch", end.error());
    // Resume from the last version we saw, after a pause that grows while nothing works.
    if (!sleepInterruptibly(backoff)) return false;
    backoff = progressed ? opts_.minBackoff : std::min(backoff * 2, opts_.maxBackoff);
    return true;
  }
  recordSuccess();
  backoff = opts_.minBackoff;
  if (!end->lastResourceVersion.empty()) rv = end->lastResourceVersion;
  if (end->reason == WatchEnd::Reason::Expired) {
    MutexLock l(mu_);
    ++stats_.expired;
    needList = true;
  }
  return true;
}

}  // namespace fro::kube
