#include "runtime/process/Manager.h"

#include <algorithm>
#include <exception>
#include <future>

#include <fmt/format.h>

#include "runtime/common/Duration.h"

namespace fro::process {

namespace {

using Millis = std::chrono::milliseconds;

// A thread body's top-level catch: no exception may end a thread (std::terminate).
template <class Body, class OnThrow>
void guarded(const char* what, Body&& body, OnThrow&& onThrow) noexcept {
  try {
    body();
    return;
  } catch (const std::exception& e) {
    log::error(fmt::format("{} failed", what), {{"error", e.what()}});
  } catch (...) {
    log::error(fmt::format("{} failed", what), {{"error", "unknown exception"}});
  }
  try {
    onThrow();
  } catch (...) {
  }
}

}  // namespace

Manager::Manager(kube::KubeClient& client, Options options) : client_(client), opts_(std::move(options)) {}

Manager::~Manager() {
  for (auto* t : {&stopper_, &releaser_, &electorThread_})
    if (t->joinable()) t->join();
  std::thread starter;
  {
    MutexLock l(mu_);
    starter = std::move(starter_);
  }
  if (starter.joinable()) starter.join();
}

void Manager::add(std::shared_ptr<Runnable> runnable) { runnables_.push_back(std::move(runnable)); }

void Manager::fail() {
  failed_ = true;
  if (signals_) signals_->notify();
}

Manager::Exit Manager::run(SignalWaiter& signals) {
  signals_ = &signals;
  if (opts_.leaderElection) {
    if (auto v = leaderelection::LeaderElector::validate(*opts_.leaderElection); !v.ok()) {
      log::error("invalid leader election settings", {{"error", v.error().message}});
      return Exit{2, 0, true};
    }
  }
  for (const auto& r : runnables_) {
    if (r->needsLeadership()) continue;
    if (auto s = r->start(); !s.ok()) {
      log::error(fmt::format("cannot start {}", r->name()), {{"error", s.error().message}});
      for (auto it = always_.rbegin(); it != always_.rend(); ++it) (void)(*it)->stop(Millis(0));
      return Exit{1, 0, true};
    }
    always_.push_back(r);
  }

  if (opts_.leaderElection) {
    const auto& lc = *opts_.leaderElection;
    leaderelection::LeaderElector::Callbacks cb;
    cb.onStartedLeading = [this, lease = fmt::format("{}/{}", lc.leaseNamespace, lc.leaseName)] {
      log::info("became the leader; starting workers", {{"identity", opts_.identity}, {"lease", lease}});
      lead();
    };
    cb.onStoppedLeading = [this] {
      if (opts_.onLeading) opts_.onLeading(false);
      // Also called when the shutdown stops the elector: no loss, the lease is ours to release.
      if (stopping_) return;
      // Another process may lead now: stop writing at once and exit, as controller-runtime does.
      lostLease_ = true;
      signals_->notify();
    };
    cb.onNewLeader = [](const std::string& who) { log::info("leader elected", {{"leader", who}}); };
    cb.onError = [](const Error& e) { log::warn("leader election: the Lease could not be read or written", {{"error", e.message}}); };
    elector_ = std::make_unique<leaderelection::LeaderElector>(client_, lc, std::move(cb), opts_.clock);
    electorThread_ = std::thread([this] {
      guarded("leader election", [this] { elector_->run(); }, [this] {
        if (!stopping_) fail();
      });
    });
  } else {
    lead();
  }
  log::Fields running = opts_.runningFields;
  running.push_back({"identity", opts_.identity});
  log::info("running", running);

  const int sig = signals.wait();
  const auto stopAt = opts_.clock->steadyNow();
  stopping_ = true;
  stopWaiting_.set();
  log::info(lostLease_ ? "lost the lease; shutting down" : "shutting down",
            {{"signal", sig}, {"timeout", fmt::format("{}ms", opts_.shutdownTimeout.count())}});
  const int code = lostLease_ || failed_ ? 1 : 0;
  bool leaderRan;
  {
    MutexLock l(mu_);
    closed_ = true;
    leaderRan = !leaderStarted_.empty();
  }
  stopper_ = std::thread([this] {
    guarded("shutdown", [this] { stopAll(); }, [] {});
    {
      MutexLock l(doneMu_);
      done_ = true;
    }
    doneCv_.notify_all();
  });
  // Runnables that never started have nothing in flight: only the hand-over of threads remains.
  const auto bound = (leaderRan ? opts_.shutdownTimeout : Millis(0)) + opts_.handOver;
  bool finished;
  {
    MutexLock l(doneMu_);
    finished = doneCv_.wait_for(l.native(), bound, [this]() FRO_REQUIRES(doneMu_) { return done_; });
  }
  if (finished) {
    stopper_.join();
    return finish(code, sig, true, stopAt);
  }
  log::warn("shutdown did not finish in time (an API call is still retrying); exiting anyway",
            {{"waitedMs", static_cast<std::int64_t>(
                              std::chrono::duration_cast<Millis>(opts_.clock->steadyNow() - stopAt).count())}});
  // The drain is stuck: the lease goes now, as it would have after the drain, within handOver.
  if (elector_ && !lostLease_ && !releaseTried_) {
    std::packaged_task<void()> release([this] { guarded("releasing the lease", [this] { releaseLease(); }, [] {}); });
    auto released = release.get_future();
    releaser_ = std::thread(std::move(release));
    (void)released.wait_for(opts_.handOver);
  }
  return finish(code, sig, false, stopAt);
}

Manager::Exit Manager::finish(int code, int signal, bool finished, std::chrono::steady_clock::time_point stopAt) {
  log::info("stopped", {{"exitCode", code},
                        {"signal", signal},
                        {"shutdownMs", static_cast<std::int64_t>(
                                           std::chrono::duration_cast<Millis>(opts_.clock->steadyNow() - stopAt).count())}});
  return Exit{code, signal, finished};
}

void Manager::lead() {
  if (opts_.onLeading) opts_.onLeading(true);
  MutexLock l(mu_);
  if (closed_) return;
  // Not on the elector's thread: it must go on renewing the lease while the caches fill.
  starter_ = std::thread([this] {
    guarded("starting the leader's runnables", [this] { startLeaderRunnablesWhenSynced(); }, [this] { fail(); });
  });
}

bool Manager::allSynced() const {
  return std::all_of(always_.begin(), always_.end(), [](const auto& r) { return r->synced(); });
}

void Manager::startLeaderRunnablesWhenSynced() {
  const auto deadline = opts_.clock->steadyNow() + opts_.cacheSyncTimeout;
  while (!allSynced()) {
    if (stopWaiting_.isSet()) return;
    if (opts_.clock->steadyNow() >= deadline) {
      log::Fields f;
      for (const auto& r : always_)
        if (!r->synced())
          for (const auto& p : r->pending()) f.push_back({fmt::format("informer{}", f.size() + 1), p});
      log::warn(fmt::format("caches not synced after {}; starting anyway", Duration::format(opts_.cacheSyncTimeout)), f);
      break;
    }
    if (stopWaiting_.waitFor(opts_.syncPoll)) return;
  }
  // Under the lock: a shutdown that begins now either sees them started (and stops them) or
  // stops them from starting.
  MutexLock l(mu_);
  if (closed_ || lostLease_) return;
  for (const auto& r : runnables_) {
    if (!r->needsLeadership()) continue;
    if (auto s = r->start(); !s.ok()) {
      log::error(fmt::format("cannot start {}", r->name()), {{"error", s.error().message}});
      fail();
      return;
    }
    leaderStarted_.push_back(r);
  }
}

void Manager::releaseLease() {
  if (releaseTried_.exchange(true)) return;
  elector_->stop();  // no renewal may follow the release
  if (auto r = elector_->release(); !r.ok()) log::warn("releasing the lease failed", {{"error", r.error().message}});
  else log::info("released the lease");
}

void Manager::stopAll() {
  std::vector<std::shared_ptr<Runnable>> leaders;
  {
    MutexLock l(mu_);
    leaders = leaderStarted_;
  }
  for (auto it = leaders.rbegin(); it != leaders.rend(); ++it)
    if (!(*it)->stop(opts_.shutdownTimeout))
      log::warn(fmt::format("{} did not finish within the shutdown timeout", (*it)->name()));
  // The writers have stopped: the lease can go.
  if (elector_) {
    elector_->stop();
    if (!lostLease_) releaseLease();
  }
  // The rest side by side (the metrics server alone takes about a second).
  std::vector<std::thread> stoppers;
  for (const auto& r : always_)
    stoppers.emplace_back([this, r] {
      guarded(r->name().c_str(), [&] { (void)r->stop(opts_.shutdownTimeout); }, [] {});
    });
  for (auto& t : stoppers) t.join();
  if (electorThread_.joinable()) electorThread_.join();
  std::thread starter;
  {
    MutexLock l(mu_);
    starter = std::move(starter_);
  }
  if (starter.joinable()) starter.join();
}

}  // namespace fro::process
