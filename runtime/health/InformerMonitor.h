#pragma once
// Turns what the informers report (kube::Informer::Notice) into what a person looks at:
//  - a log line for every failed list or watch, rate-limited per informer: the first at once, then
//    at most one per `logEvery` carrying how many were held back ("suppressed"), e.g.
//      warn "cannot list deployments.apps; retrying with backoff" resource=deployments.apps
//           namespace=shop verb=list status=403 error="GET ...: 403 Forbidden: ..." failures=1 suppressed=0
//    and one line when it works again (at most one per `logEvery` too, so a flapping watch stays quiet);
//  - each informer's sync state and last error, for /readyz?verbose and the "not synced" warning:
//      deployments.apps in shop: not synced, 3 failures; last error (list, 2s ago): GET ...: 403 ...
// Without a failure, a line only at debug level (started, synced). Thread-safe: informers report
// from their own threads.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/Clock.h"
#include "runtime/common/ThreadSafety.h"
#include "runtime/kube/Informer.h"
#include "runtime/process/Logger.h"

namespace fro::health {

class InformerMonitor {
 public:
  using Sink = std::function<void(log::Level, std::string_view msg, const log::Fields& fields)>;
  struct Options {
    std::chrono::milliseconds logEvery{30000};
    std::shared_ptr<const Clock> clock;  // null: the system clock
    Sink sink;                           // null: the process logger (log::Logger::global())
  };

  InformerMonitor() : InformerMonitor(Options{}) {}
  explicit InformerMonitor(Options options);
  InformerMonitor(const InformerMonitor&) = delete;
  InformerMonitor& operator=(const InformerMonitor&) = delete;

  void observe(const kube::Informer::Notice& notice) FRO_EXCLUDES(mu_);
  // observe() as an Informer::Observer; this monitor must outlive the informers that call it.
  kube::Informer::Observer observer();

  // One line per informer (in the order they first reported): sync state, failures, last error.
  std::vector<std::string> describe() const FRO_EXCLUDES(mu_);
  // The same, for informers that have not synced yet only.
  std::vector<std::string> unsynced() const FRO_EXCLUDES(mu_);

 private:
  struct Entry {
    std::string resource, namespace_;
    bool synced = false;
    int failures = 0;  // in a row, as the informer counts them
    std::string lastVerb;
    std::string lastError;
    std::chrono::steady_clock::time_point lastErrorAt{};
    bool everLogged = false;
    std::chrono::steady_clock::time_point lastLogAt{};
    int suppressed = 0;  // failures not logged since the last failure line
    bool recoveryLogged = false;
    std::chrono::steady_clock::time_point lastRecoveryLogAt{};
  };
  struct Line {
    log::Level level;
    std::string msg;
    log::Fields fields;
  };

  Entry& entryFor(const kube::Informer::Notice& n) FRO_REQUIRES(mu_);
  std::string describe(const Entry& e, std::chrono::steady_clock::time_point now) const;
  void emit(const Line& line) const;

  Options opts_;
  mutable Mutex mu_;
  std::vector<Entry> entries_ FRO_GUARDED_BY(mu_);
};

}  // namespace fro::health
