#include "runtime/events/EventRecorder.h"

#include <fmt/format.h>

#include "runtime/common/Rfc3339.h"
#include "runtime/common/Utf8.h"
#include "runtime/kube/ApiError.h"

namespace fro::events {

using kube::json;

EventRecorder::EventRecorder(kube::ObjectWriter& client, Options opts, std::shared_ptr<const Clock> clock)
    : client_(client), opts_(std::move(opts)), clock_(std::move(clock)) {}

json EventRecorder::eventObject(const ObjectReference& obj, const std::string& name, const std::string& type,
                                const std::string& reason, const std::string& message, const std::string& ts) const {
  return {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name}, {"namespace", obj.namespace_}}},
      {"involvedObject",
       {{"apiVersion", obj.apiVersion}, {"kind", obj.kind}, {"namespace", obj.namespace_}, {"name", obj.name},
        {"uid", obj.uid}, {"resourceVersion", obj.resourceVersion}}},
      {"type", type},
      {"reason", Utf8::sanitize(reason)},  // outside text (Prometheus, API errors) must not break the write
      {"message", Utf8::sanitize(message)},
      {"count", 1},
      {"firstTimestamp", ts},
      {"lastTimestamp", ts},
      {"source", {{"component", opts_.component}}},
      {"reportingComponent", opts_.component},
      {"reportingInstance", opts_.instance},
  };
}

void EventRecorder::remember(const std::string& key, Seen s) {
  if (auto it = seen_.find(key); it != seen_.end()) lru_.erase(it->second.lru);
  lru_.push_front(key);
  s.lru = lru_.begin();
  seen_[key] = std::move(s);
  while (seen_.size() > opts_.maxRemembered) {
    seen_.erase(lru_.back());
    lru_.pop_back();
  }
}

Status EventRecorder::create(const ObjectReference& obj, const std::string& type, const std::string& reason,
                             const std::string& message, const std::string& key) {
  auto now = clock_->now();
  std::string ts = Rfc3339::format(now);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  std::string name = fmt::format("{}.{:x}", obj.name, static_cast<unsigned long long>(nanos) + sequence_++);
  json ev = eventObject(obj, name, type, reason, message, ts);
  auto res = client_.create(kube::Resource::coreEvents(), obj.namespace_, ev);
  if (!res.ok()) return res.error();
  remember(key, Seen{name, 1, ts, now, {}});
  return ok();
}

Status EventRecorder::recordOnce(const ObjectReference& obj, const std::string& name, const std::string& type,
                                 const std::string& reason, const std::string& message, const std::string& at) {
  const std::string ts = at.empty() ? Rfc3339::format(clock_->now()) : at;
  json ev = eventObject(obj, name, type, reason, message, ts);
  auto res = client_.create(kube::Resource::coreEvents(), obj.namespace_, ev);
  if (!res.ok() && !kube::ApiError::isAlreadyExists(res.error())) return res.error();
  return ok();
}

Status EventRecorder::record(const ObjectReference& obj, const std::string& type, const std::string& rawReason,
                             const std::string& rawMessage) {
  // Messages quote outside text (Prometheus, API errors): the Event must be valid UTF-8 to be written.
  const std::string reason = Utf8::sanitize(rawReason);
  const std::string message = Utf8::sanitize(rawMessage);
  std::string key = fmt::format("{}\x1f{}/{}\x1f{}\x1f{}\x1f{}", obj.uid, obj.namespace_, obj.name, type, reason, message);
  MutexLock l(mu_);
  auto now = clock_->now();
  auto it = seen_.find(key);
  if (it == seen_.end() || now - it->second.last > opts_.aggregationWindow)
    return create(obj, type, reason, message, key);
  Seen s = it->second;
  json patch = {{"count", s.count + 1}, {"lastTimestamp", Rfc3339::format(now)}};
  auto res = client_.patch(kube::Resource::coreEvents(), obj.namespace_, s.eventName, kube::PatchType::Merge, patch);
  if (!res.ok()) {
    // The Event expired (events have a TTL) or was deleted: start a new one.
    if (kube::ApiError::isNotFound(res.error())) return create(obj, type, reason, message, key);
    return res.error();
  }
  s.count += 1;
  s.last = now;
  remember(key, s);
  return ok();
}

}  // namespace fro::events
