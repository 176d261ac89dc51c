#pragma once
// Runs the operator process's Runnables (controller-runtime's manager, in small):
//
// - start: every runnable that needs no leadership at once, in the order added (informers,
//   servers), so a standby keeps warm caches; then, with leader election, the elector. Once this
//   process leads (at once without election) and every runnable's caches synced (at most
//   cacheSyncTimeout, then it starts anyway), the leader-only runnables (controller workers).
// - stop, on SIGTERM/SIGINT or a lost lease: the leader-only runnables first, draining in-flight
//   work for at most shutdownTimeout; then the lease is released (not after a lost lease: it is
//   not ours); then the others, side by side. The whole stop is bounded: (shutdownTimeout when
//   leader-only runnables ran) + handOver. Past it run() returns finished = false, having released
//   the lease if that had not happened yet, and the caller exits without running destructors (a
//   thread is inside a call that retries against an unreachable server).
// - A signal is honoured at any moment, during the wait for the caches included.
// - Failures of the elector (reading, renewing, acquiring the Lease) are logged as warnings.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/common/Clock.h"
#include "runtime/common/StopFlag.h"
#include "runtime/common/ThreadSafety.h"
#include "runtime/kube/KubeClient.h"
#include "runtime/leaderelection/LeaderElector.h"
#include "runtime/process/Logger.h"
#include "runtime/process/Runnable.h"
#include "runtime/process/SignalWaiter.h"

namespace fro::process {

class Manager {
 public:
  struct Options {
    std::string identity;  // in the "running" record and the Lease
    // Set: lead only while holding this Lease (its identity is `identity`). Unset: lead at once.
    std::optional<leaderelection::LeaderElectionConfig> leaderElection;
    std::chrono::milliseconds shutdownTimeout{30000};
    std::chrono::milliseconds cacheSyncTimeout{std::chrono::minutes(2)};
    // Beyond the drain, for the rest to hand their threads back (civetweb takes about a second).
    std::chrono::milliseconds handOver{1200};
    std::chrono::milliseconds syncPoll{100};
    // Leadership gained (true) or given up (false), e.g. for the fro_leader gauge.
    std::function<void(bool leading)> onLeading;
    log::Fields runningFields;  // more fields of the "running" record (addresses)
    std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();
  };

  struct Exit {
    int code = 0;    // 0 after a signal, 1 after a lost lease or a failure, 2 for bad settings
    int signal = 0;  // the signal that stopped the process; 0 when it stopped by itself
    // false: the stop ran past its bound and threads are still busy; exit without destructors.
    bool finished = true;
  };

  // `client` is the elector's; it must outlive this manager.
  Manager(kube::KubeClient& client, Options options);
  ~Manager();  // waits for every thread run() left behind
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Before run(). Runnables start in the order added and must outlive run().
  void add(std::shared_ptr<Runnable> runnable);
  // Starts everything, waits for a signal (or notify(): a lost lease), stops. Once per manager.
  Exit run(SignalWaiter& signals);

 private:
  void lead();
  void startLeaderRunnablesWhenSynced();
  bool allSynced() const;
  void stopAll();
  void releaseLease();
  Exit finish(int code, int signal, bool finished, std::chrono::steady_clock::time_point stopAt);
  void fail();

  kube::KubeClient& client_;
  const Options opts_;
  std::vector<std::shared_ptr<Runnable>> runnables_;
  std::vector<std::shared_ptr<Runnable>> always_;  // started, needing no leadership
  std::unique_ptr<leaderelection::LeaderElector> elector_;
  SignalWaiter* signals_ = nullptr;

  std::atomic<bool> stopping_{false};  // set on the signal, before the elector is stopped
  std::atomic<bool> lostLease_{false};
  std::atomic<bool> failed_{false};    // a leader-only runnable or a thread failed
  std::atomic<bool> releaseTried_{false};
  StopFlag stopWaiting_;  // set with stopping_: ends the wait for the caches

  Mutex mu_;
  bool closed_ FRO_GUARDED_BY(mu_) = false;  // no leader-only runnable starts any more
  std::vector<std::shared_ptr<Runnable>> leaderStarted_ FRO_GUARDED_BY(mu_);
  std::thread starter_ FRO_GUARDED_BY(mu_);  // waits for the caches, starts the leader-only ones

  Mutex doneMu_;
  std::condition_variable doneCv_;
  bool done_ FRO_GUARDED_BY(doneMu_) = false;

  std::thread electorThread_;
  std::thread stopper_;
  std::thread releaser_;  // the release on the hard-exit path, bounded by handOver
};

}  // namespace fro::process
