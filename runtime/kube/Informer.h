#pragma once
// List-then-watch loop feeding an ObjectCache and event handlers, with client-go semantics:
// watch from the list's resourceVersion with bookmarks, resume from the last seen version when
// the server closes the watch, full relist on 410 Gone (diffed against the cache, so handlers see
// no lost or duplicated events: vanished objects arrive as delete tombstones), backoff on errors.
// Every failed list or watch is reported to an Observer (the informer itself never logs: main
// turns notices into log lines and /readyz?verbose text).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <string>
#include <vector>

#include "runtime/common/Result.h"
#include "runtime/common/ThreadSafety.h"
#include "runtime/kube/KubeClient.h"
#include "runtime/kube/ObjectCache.h"

namespace fro::kube {

class Informer {
 public:
  // Reduces a full object to what controllers read. Default: drops metadata.managedFields.
  using Projector = std::function<json(const json& full)>;

  struct Handlers {
    std::function<void(const CachedPtr& obj)> onAdd;
    std::function<void(const CachedPtr& old, const CachedPtr& cur)> onUpdate;
    // tombstone = true: the delete was noticed on a relist; obj is the last state we knew.
    std::function<void(const CachedPtr& obj, bool tombstone)> onDelete;
  };

  // What an informer tells its observer, on the informer's own thread.
  struct Notice {
    enum class Kind {
      Started,    // run() began: not synced yet
      Failed,     // a list or watch failed (verb, error); the informer backs off and retries
      Synced,     // the first list is in the cache
      Recovered,  // a list or watch worked again after `failures` failed ones
    };
    Kind kind = Kind::Started;
    std::string resource;    // plural.group, e.g. "deployments.apps", "configmaps"
    std::string namespace_;  // "" = all namespaces
    std::string verb;        // Failed: "list" or "watch"
    Error error;             // Failed: kind and code say what failed (HTTP status, transport code)
    int failures = 0;        // Failed: in a row, this one included; Recovered: how many there were
  };
  // Must be cheap; an exception it throws is swallowed (never ends the informer's thread).
  using Observer = std::function<void(const Notice&)>;

  struct Options {
    std::string namespace_;  // "" = all namespaces
    std::string labelSelector;
    int timeoutSeconds = 300;
    int pageSize = 500;
    std::chrono::milliseconds minBackoff{200};
    std::chrono::milliseconds maxBackoff{30000};
    Projector project;
    Observer observer;  // empty: nobody is told
  };

  struct Stats {
    int lists = 0;  // list requests (one per page)
    int watches = 0;
    int expired = 0;  // 410 Gone seen
    int errors = 0;
    std::string lastError;
  };

  Informer(KubeClient& client, Resource resource, Options options);

  void addHandlers(Handlers h);  // call before run()
  // Blocks until stop(). A handler or projection that throws is reported as a failure and
  // answered with a relist; it never ends the loop.
  void run();
  void stop() FRO_EXCLUDES(mu_);
  bool hasSynced() const { return synced_.load(); }
  // Blocks until the first list is in the cache, or the timeout passes.
  bool waitForSync(std::chrono::milliseconds timeout) const FRO_EXCLUDES(mu_);
  const ObjectCache& cache() const { return cache_; }
  Stats stats() const FRO_EXCLUDES(mu_);

  static json defaultProjection(const json& full);
  // "deployments.apps", "configmaps": how notices and logs name a resource.
  static std::string resourceName(const Resource& r);

 private:
  Status relist(std::string& rv) FRO_EXCLUDES(mu_);
  // One list (when needed) and one watch; false once stopping.
  bool listAndWatch(std::string& rv, bool& needList, std::chrono::milliseconds& backoff) FRO_EXCLUDES(mu_);
  void apply(const WatchEvent& ev);
  CachedPtr toCached(const json& obj) const;
  bool sleepInterruptibly(std::chrono::milliseconds d) FRO_EXCLUDES(mu_);
  // Counts and reports a failed list/watch (nothing once stopping: that is no failure).
  void recordError(const char* verb, const Error& e) FRO_EXCLUDES(mu_);
  void recordSuccess();
  void notify(Notice::Kind kind, const char* verb = "", const Error* e = nullptr);

  KubeClient& client_;
  Resource resource_;
  Options opts_;
  std::vector<Handlers> handlers_;
  ObjectCache cache_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> synced_{false};
  mutable Mutex mu_;
  mutable std::condition_variable cv_;  // stop_ or synced_ changed
  Stats stats_ FRO_GUARDED_BY(mu_);
  int failuresInARow_ = 0;  // informer thread only
};

}  // namespace fro::kube
