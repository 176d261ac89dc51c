#pragma once
// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: a candidate takes
// the lease only when its holder has not renewed it for leaseDuration as observed on *our* clock
// (no trust in other machines' clocks), every write is guarded by resourceVersion, and a leader
// that cannot renew within renewDeadline (< leaseDuration) stops leading before anyone else may
// take over. release() hands the lease over at once on graceful shutdown.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/common/Clock.h"
#include "runtime/common/Result.h"
#include "runtime/common/ThreadSafety.h"
#include "runtime/kube/KubeClient.h"

namespace fro::leaderelection {

struct LeaderElectionConfig {
  std::string leaseNamespace;
  std::string leaseName;
  std::string identity;  // unique per process, e.g. pod name + random suffix
  std::chrono::milliseconds leaseDuration{15000};
  std::chrono::milliseconds renewDeadline{10000};
  std::chrono::milliseconds retryPeriod{2000};
};

class LeaderElector {
 public:
  struct Callbacks {
    std::function<void()> onStartedLeading;
    // Called once leadership is lost or given up; writers must stop before it returns.
    std::function<void()> onStoppedLeading;
    std::function<void(const std::string& identity)> onNewLeader;
    // A failed read or write of the Lease (unreachable API server, a lost race, RBAC), naming it.
    // Not called when another holder's unexpired lease simply makes us wait.
    std::function<void(const Error& error)> onError;
  };

  LeaderElector(kube::KubeClient& client, LeaderElectionConfig cfg, Callbacks cb,
                std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>());

  // Validates timings (renewDeadline < leaseDuration, retryPeriod < renewDeadline).
  static Status validate(const LeaderElectionConfig& cfg);

  // One attempt to acquire or renew; true when we hold the lease afterwards. Exposed for tests.
  // After stop() it writes nothing, so release() may run while an attempt is still in flight.
  bool tryAcquireOrRenew();
  // Blocks: acquire, lead, renew until lost or stop(); then returns.
  void run();
  void stop();
  // Gives the lease up (holder cleared) if we hold it, so a standby takes over without waiting.
  Status release();

  bool isLeader() const { return leading_.load(); }
  std::string currentLeader() const;
  const LeaderElectionConfig& config() const { return cfg_; }

 private:
  kube::json desiredLease(const kube::json* existing, bool acquiring) const;
  bool sleepFor(std::chrono::milliseconds d);
  void report(const Error& e, const char* doing) const;

  kube::KubeClient& client_;
  LeaderElectionConfig cfg_;
  Callbacks cb_;
  std::shared_ptr<const Clock> clock_;
  std::atomic<bool> leading_{false};
  std::atomic<bool> stop_{false};
  mutable Mutex mu_;
  std::condition_variable cv_;
  // What we last saw of the lease, and when on our clock it last changed.
  std::string observedHolder_ FRO_GUARDED_BY(mu_);
  std::string observedRecord_ FRO_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point observedAt_ FRO_GUARDED_BY(mu_){};
  std::chrono::steady_clock::time_point lastRenew_{};  // run()'s thread only
};

}  // namespace fro::leaderelection
