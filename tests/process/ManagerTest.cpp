// The process Manager with fake runnables and a fake API server holding the Lease: what starts
// when, what stops in which order, the bound on the shutdown, and the lease on the way out.
// SIGTERM is raise()d into the test process (the SignalWaiter catches it); every wait is a
// bounded wait for a condition.
#include "runtime/process/Manager.h"

#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <mutex>

#include <nlohmann/json.hpp>

#include "runtime/process/FunctionRunnable.h"
#include "tests/support/FakeLeaseServer.h"
#include "tests/support/ManualClock.h"

namespace fro::process {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using fro::testing::FakeLeaseServer;
using fro::testing::FakeTransport;
using fro::testing::ManualClock;
using Steady = std::chrono::steady_clock;

// Polls `cond` every 5 ms for at most `limit`.
template <class Cond>
bool eventually(Cond cond, std::chrono::milliseconds limit = 5s) {
  for (auto deadline = Steady::now() + limit; Steady::now() < deadline; std::this_thread::sleep_for(5ms))
    if (cond()) return true;
  return cond();
}

// A runnable that records what happened to it; stop() can be held until the test lets it go.
class FakeRunnable final : public Runnable {
 public:
  FakeRunnable(std::string name, bool leader) : name_(std::move(name)), leader_(leader) {}
  std::string name() const override { return name_; }
  bool needsLeadership() const override { return leader_; }
  Status start() override {
    if (failStart) return Error::of("port 8080 in use");
    started = true;
    if (onStart) onStart();
    return ok();
  }
  bool synced() const override { return isSynced; }
  std::vector<std::string> pending() const override { return {name_ + " cache: not synced"}; }
  bool stop(std::chrono::milliseconds grace) override {
    if (onStop) onStop();
    graceSeen = grace;
    stopped = true;
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return !holdStop; });
    return true;
  }
  void letStopFinish() {
    {
      std::lock_guard l(mu_);
      holdStop = false;
    }
    cv_.notify_all();
  }

  std::atomic<bool> started{false}, stopped{false}, isSynced{true}, failStart{false};
  std::atomic<std::chrono::milliseconds> graceSeen{-1ms};
  bool holdStop = false;  // under mu_
  std::function<void()> onStart, onStop;

 private:
  std::string name_;
  bool leader_;
  std::mutex mu_;
  std::condition_variable cv_;
};

class ManagerTest : public ::testing::Test {
 protected:
  ManagerTest() : server(*transport), client(transport, clientOpts()) {
    log::Logger::setGlobal(std::make_shared<log::Logger>(log::Logger::Config{
        log::Format::Json, log::Level::Debug,
        [this](std::string_view line) {
          std::lock_guard l(logMu);
          lines.push_back(json::parse(line));
        },
        {}}));
    auto w = SignalWaiter::create({.exitOnSecondSignal = false});
    EXPECT_TRUE(w.ok());
    if (w.ok()) waiter = std::move(*w);
  }
  ~ManagerTest() override { log::Logger::setGlobal(nullptr); }

  static kube::KubeClient::Options clientOpts() {
    kube::KubeClient::Options o;
    o.server = "https://api";
    o.qps = 0;
    o.retry.maxRetries = 0;
    return o;
  }
  Manager::Options options(bool elect) {
    Manager::Options o;
    o.identity = "me";
    if (elect) o.leaderElection = leaderelection::LeaderElectionConfig{"ops", "fro", "me", 15s, 10s, 20ms};
    o.shutdownTimeout = 300ms;
    o.handOver = 300ms;
    o.syncPoll = 5ms;
    o.onLeading = [this](bool leading) { leadingCalls.push_back(leading); };
    o.runningFields = {{"metrics", ":8080"}};
    o.clock = clock;
    return o;
  }
  std::future<Manager::Exit> runAsync(Manager& m) {
    return std::async(std::launch::async, [this, &m] { return m.run(*waiter); });
  }
  std::optional<json> logged(const std::string& msg) {
    std::lock_guard l(logMu);
    for (auto& r : lines)
      if (r.value("msg", "") == msg) return r;
    return std::nullopt;
  }
  std::string holder() { return server.lease("fro").value("/spec/holderIdentity"_json_pointer, std::string()); }

  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  FakeLeaseServer server;
  kube::KubeClient client;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::unique_ptr<SignalWaiter> waiter;
  std::mutex logMu;
  std::vector<json> lines;
  std::vector<bool> leadingCalls;  // the elector's thread writes, the test reads after run()
};

TEST_F(ManagerTest, LeaderOnlyRunnablesStartOnlyOnceTheLeaseIsOursAndStopBeforeItIsReleased) {
  // Another process holds the lease; it stops renewing it.
  auto otherClock = std::make_shared<ManualClock>();
  leaderelection::LeaderElector other(client, {"ops", "fro", "other", 15s, 10s, 20ms}, {}, otherClock);
  ASSERT_TRUE(other.tryAcquireOrRenew());

  auto informers = std::make_shared<FakeRunnable>("informers", false);
  auto workers = std::make_shared<FakeRunnable>("controller workers", true);
  std::string holderWhenWorkersStopped;
  workers->onStop = [&] { holderWhenWorkersStopped = holder(); };
  Manager m(client, options(true));
  m.add(informers);
  m.add(workers);
  auto run = runAsync(m);

  ASSERT_TRUE(eventually([&] { return logged("running").has_value(); }));
  EXPECT_EQ(logged("running")->value("identity", ""), "me");
  EXPECT_EQ(logged("running")->value("metrics", ""), ":8080");
  EXPECT_TRUE(informers->started) << "a standby keeps warm caches";
  ASSERT_TRUE(eventually([&] { return logged("leader elected").has_value(); }));
  EXPECT_EQ(logged("leader elected")->value("leader", ""), "other");
  EXPECT_FALSE(workers->started) << "a standby must not write";

  // The other's lease runs out on our clock: ours, and the workers start.
  clock->advance(16s);
  ASSERT_TRUE(eventually([&] { return workers->started.load(); }));
  EXPECT_EQ(holder(), "me");
  auto became = logged("became the leader; starting workers");
  ASSERT_TRUE(became.has_value());
  EXPECT_EQ(became->value("lease", ""), "ops/fro");

  std::raise(SIGTERM);
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  auto exit = run.get();
  EXPECT_EQ(exit.code, 0);
  EXPECT_EQ(exit.signal, SIGTERM);
  EXPECT_TRUE(exit.finished);
  EXPECT_TRUE(workers->stopped);
  EXPECT_EQ(workers->graceSeen.load(), 300ms) << "in-flight work gets the shutdown timeout";
  EXPECT_TRUE(informers->stopped);
  EXPECT_EQ(holderWhenWorkersStopped, "me") << "the writers stop while the lease is still ours";
  EXPECT_EQ(holder(), "") << "released on the way out";
  EXPECT_EQ(server.lease("fro")["spec"]["leaseDurationSeconds"], 1);
  EXPECT_TRUE(logged("released the lease").has_value());
  auto stopped = logged("stopped");
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(stopped->value("exitCode", -1), 0);
  EXPECT_EQ(stopped->value("signal", -1), SIGTERM);
  EXPECT_EQ(leadingCalls, (std::vector<bool>{true, false}));
}

TEST_F(ManagerTest, ALostLeaseStopsTheWritersExitsOneAndLogsWhyTheRenewalFailed) {
  auto workers = std::make_shared<FakeRunnable>("controller workers", true);
  Manager m(client, options(true));
  m.add(workers);
  auto run = runAsync(m);
  ASSERT_TRUE(eventually([&] { return workers->started.load(); }));

  // The API server goes away; past the renew deadline on our clock the lease is lost.
  server.down = true;
  // A renewal in flight when it went may still land: keep moving the clock until it is lost.
  ASSERT_TRUE(eventually([&] {
    clock->advance(1s);
    return run.wait_for(0s) == std::future_status::ready;
  }));
  auto exit = run.get();
  EXPECT_EQ(exit.code, 1);
  EXPECT_EQ(exit.signal, 0);
  EXPECT_TRUE(workers->stopped);
  EXPECT_TRUE(logged("lost the lease; shutting down").has_value());
  EXPECT_FALSE(logged("released the lease").has_value()) << "a lost lease is not ours to release";
  EXPECT_FALSE(logged("releasing the lease failed").has_value());
  auto failure = logged("leader election: the Lease could not be read or written");
  ASSERT_TRUE(failure.has_value()) << "the renewal's error is logged";
  EXPECT_EQ(failure->value("level", ""), "warn");
  EXPECT_NE(failure->value("error", "").find("reading Lease ops/fro: "), std::string::npos) << failure->dump();
  EXPECT_NE(failure->value("error", "").find("connection refused"), std::string::npos) << failure->dump();
}

TEST_F(ManagerTest, AStuckDrainIsBoundedAndTheLeaseIsStillReleased) {
  auto informers = std::make_shared<FakeRunnable>("informers", false);
  auto workers = std::make_shared<FakeRunnable>("controller workers", true);
  workers->holdStop = true;  // a reconcile that ignores the grace period
  Manager m(client, options(true));
  m.add(informers);
  m.add(workers);
  auto run = runAsync(m);
  ASSERT_TRUE(eventually([&] { return workers->started.load(); }));

  auto at = Steady::now();
  std::raise(SIGTERM);
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  auto took = Steady::now() - at;
  auto exit = run.get();
  EXPECT_FALSE(exit.finished) << "the caller must exit without destructors";
  EXPECT_EQ(exit.code, 0);
  // shutdownTimeout + handOver, plus at most handOver for the release.
  EXPECT_GE(took, 600ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_TRUE(logged("shutdown did not finish in time (an API call is still retrying); exiting anyway").has_value());
  EXPECT_TRUE(logged("released the lease").has_value());
  EXPECT_EQ(holder(), "");
  EXPECT_FALSE(informers->stopped) << "the rest waits for the writers";
  EXPECT_TRUE(logged("stopped").has_value());
  workers->letStopFinish();  // the manager's destructor joins the shutdown thread
}

TEST_F(ManagerTest, ASignalDuringTheCacheSyncEndsTheWaitAtOnce) {
  auto informers = std::make_shared<FakeRunnable>("informers", false);
  informers->isSynced = false;  // e.g. list forbidden: never syncs
  auto workers = std::make_shared<FakeRunnable>("controller workers", true);
  Manager m(client, options(true));
  m.add(informers);
  m.add(workers);
  auto run = runAsync(m);
  ASSERT_TRUE(eventually([&] { return logged("became the leader; starting workers").has_value(); }));

  auto at = Steady::now();
  std::raise(SIGTERM);
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  auto exit = run.get();
  EXPECT_LT(Steady::now() - at, 1s) << "nothing was in flight: only the hand-over bound applies";
  EXPECT_TRUE(exit.finished);
  EXPECT_EQ(exit.code, 0);
  EXPECT_FALSE(workers->started);
  EXPECT_FALSE(workers->stopped);
  EXPECT_TRUE(informers->stopped);
  EXPECT_TRUE(logged("released the lease").has_value());
  EXPECT_EQ(holder(), "");
}

TEST_F(ManagerTest, WithoutElectionTheWritersStartOnceTheCachesSyncOrTheWaitRunsOut) {
  auto informers = std::make_shared<FakeRunnable>("informers", false);
  auto other = std::make_shared<FakeRunnable>("metrics server", false);
  informers->isSynced = false;
  auto workers = std::make_shared<FakeRunnable>("controller workers", true);
  auto o = options(false);
  o.cacheSyncTimeout = 2min;
  Manager m(client, o);
  m.add(other);
  m.add(informers);
  m.add(workers);
  auto run = runAsync(m);
  ASSERT_TRUE(eventually([&] { return logged("running").has_value(); }));
  EXPECT_TRUE(informers->started);
  EXPECT_FALSE(workers->started);

  clock->advance(2min);  // on the injected clock: the wait gives up and starts anyway
  ASSERT_TRUE(eventually([&] { return workers->started.load(); }));
  auto late = logged("caches not synced after 2m; starting anyway");
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->value("informer1", ""), "informers cache: not synced");
  EXPECT_EQ(late->value("level", ""), "warn");

  std::raise(SIGTERM);
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(run.get().code, 0);
  EXPECT_FALSE(logged("released the lease").has_value()) << "no lease without election";
  EXPECT_TRUE(server.lease("fro").is_null()) << "no Lease is created without election";
  EXPECT_EQ(leadingCalls, std::vector<bool>{true});
}

TEST_F(ManagerTest, SyncedCachesStartTheWritersWithoutWaitingForTheTimeout) {
  auto informers = std::make_shared<FakeRunnable>("informers", false);
  informers->isSynced = false;
  auto workers = std::make_shared<FakeRunnable>("controller workers", true);
  Manager m(client, options(false));
  m.add(informers);
  m.add(workers);
  auto run = runAsync(m);
  ASSERT_TRUE(eventually([&] { return logged("running").has_value(); }));
  EXPECT_FALSE(workers->started);
  informers->isSynced = true;
  ASSERT_TRUE(eventually([&] { return workers->started.load(); }));
  EXPECT_FALSE(logged("caches not synced after 2m; starting anyway").has_value());
  std::raise(SIGTERM);
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(run.get().finished);
}

TEST_F(ManagerTest, ARunnableThatCannotStartEndsTheProcessWithOneAndStopsTheOthers) {
  auto first = std::make_shared<FakeRunnable>("informers", false);
  auto metrics = std::make_shared<FakeRunnable>("metrics server", false);
  metrics->failStart = true;
  auto workers = std::make_shared<FakeRunnable>("controller workers", true);
  Manager m(client, options(true));
  m.add(first);
  m.add(metrics);
  m.add(workers);
  auto exit = m.run(*waiter);
  EXPECT_EQ(exit.code, 1);
  EXPECT_TRUE(first->stopped);
  EXPECT_FALSE(workers->started);
  auto r = logged("cannot start metrics server");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->value("error", ""), "port 8080 in use");
  EXPECT_TRUE(server.lease("fro").is_null()) << "no election before everything started";
}

TEST_F(ManagerTest, InvalidElectionSettingsExitTwoBeforeAnythingStarts) {
  auto informers = std::make_shared<FakeRunnable>("informers", false);
  auto o = options(true);
  o.leaderElection->identity = "";
  Manager m(client, o);
  m.add(informers);
  EXPECT_EQ(m.run(*waiter).code, 2);
  EXPECT_FALSE(informers->started);
  EXPECT_TRUE(logged("invalid leader election settings").has_value());
}

TEST_F(ManagerTest, AWriterThatFailsToStartStopsTheProcessWithOne) {
  auto workers = std::make_shared<FakeRunnable>("controller workers", true);
  workers->failStart = true;
  Manager m(client, options(false));
  m.add(workers);
  auto run = runAsync(m);
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(run.get().code, 1);
  EXPECT_TRUE(logged("cannot start controller workers").has_value());
}

}  // namespace
}  // namespace fro::process
