#pragma once
// Records core/v1 Events about our objects (what `kubectl describe` shows). A repeat of the same
// event (object, type, reason, message) within the aggregation window bumps `count` and
// `lastTimestamp` on the existing Event instead of writing a new object, as kubelet's recorder does.
#include <chrono>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "runtime/common/Clock.h"
#include "runtime/common/Result.h"
#include "runtime/common/ThreadSafety.h"
#include "runtime/kube/ObjectWriter.h"

namespace fro::events {

struct ObjectReference {
  std::string apiVersion;
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resourceVersion;
};

class EventRecorder {
 public:
  struct Options {
    std::string component = "feature-rollout-operator";
    std::string instance;  // e.g. pod name; reportingInstance
    size_t maxRemembered = 4096;
    std::chrono::minutes aggregationWindow{10};
  };

  EventRecorder(kube::ObjectWriter& client, Options opts, std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>());

  // type: "Normal" or "Warning"; reason: CamelCase; message: says which values.
  Status record(const ObjectReference& obj, const std::string& type, const std::string& reason, const std::string& message)
      FRO_EXCLUDES(mu_);
  // Exactly once: an Event with a name derived from what it records (e.g. a numbered transition).
  // Creating it again (a restarted operator re-emitting it) finds it there and succeeds; no count
  // is bumped. `at` is when the transition happened, so a late re-emit shows the right time.
  Status recordOnce(const ObjectReference& obj, const std::string& name, const std::string& type,
                    const std::string& reason, const std::string& message, const std::string& at);

 private:
  struct Seen {
    std::string eventName;
    int count = 0;
    std::string firstTimestamp;
    Clock::time_point last;
    std::list<std::string>::iterator lru;
  };
  Status create(const ObjectReference& obj, const std::string& type, const std::string& reason,
                const std::string& message, const std::string& key) FRO_REQUIRES(mu_);
  void remember(const std::string& key, Seen s) FRO_REQUIRES(mu_);
  kube::json eventObject(const ObjectReference& obj, const std::string& name, const std::string& type,
                         const std::string& reason, const std::string& message, const std::string& ts) const;

  kube::ObjectWriter& client_;
  Options opts_;
  std::shared_ptr<const Clock> clock_;
  Mutex mu_;
  std::unordered_map<std::string, Seen> seen_ FRO_GUARDED_BY(mu_);
  std::list<std::string> lru_ FRO_GUARDED_BY(mu_);  // most recent at the front
  unsigned long long sequence_ FRO_GUARDED_BY(mu_) = 0;
};

}  // namespace fro::events
