// Lease semantics between candidates, on a fake API with real optimistic concurrency and a
// manual clock (no sleeps).
#include <gtest/gtest.h>

#include "runtime/leaderelection/LeaderElector.h"
#include "tests/support/FakeLeaseServer.h"
#include "tests/support/ManualClock.h"

namespace fro::leaderelection {
namespace {

using namespace std::chrono_literals;
using fro::testing::FakeLeaseServer;
using fro::testing::FakeTransport;
using fro::testing::ManualClock;

class LeaderElectorTest : public ::testing::Test {
 protected:
  LeaderElectorTest() : server(*transport), client(transport, clientOpts()) {}
  static kube::KubeClient::Options clientOpts() {
    kube::KubeClient::Options o;
    o.server = "https://api";
    o.qps = 0;
    o.retry.maxRetries = 0;
    return o;
  }
  LeaderElectionConfig cfg(const std::string& id) {
    return LeaderElectionConfig{"ops", "feature-rollout-operator", id, 15s, 10s, 2s};
  }
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  FakeLeaseServer server;
  kube::KubeClient client;
  std::shared_ptr<ManualClock> clockA = std::make_shared<ManualClock>();
  std::shared_ptr<ManualClock> clockB = std::make_shared<ManualClock>();
};

TEST_F(LeaderElectorTest, FirstCandidateCreatesTheLeaseSecondWaitsUntilItExpires) {
  std::vector<std::string> seenByB;
  LeaderElector a(client, cfg("a"), {}, clockA);
  LeaderElector b(client, cfg("b"), {nullptr, nullptr, [&](const std::string& id) { seenByB.push_back(id); }}, clockB);
  ASSERT_TRUE(a.tryAcquireOrRenew());
  EXPECT_EQ(server.lease("feature-rollout-operator")["spec"]["holderIdentity"], "a");
  EXPECT_EQ(server.lease("feature-rollout-operator")["spec"]["leaseDurationSeconds"], 15);

  EXPECT_FALSE(b.tryAcquireOrRenew());
  EXPECT_EQ(b.currentLeader(), "a");
  EXPECT_EQ(seenByB, std::vector<std::string>{"a"});

  // a keeps renewing: b never gets it, however long it waits.
  for (int i = 0; i < 20; ++i) {
    clockA->advance(2s);
    clockB->advance(2s);
    ASSERT_TRUE(a.tryAcquireOrRenew());
    EXPECT_FALSE(b.tryAcquireOrRenew());
  }
  // a stops renewing. Just before 15 s of b's own observation, still a's.
  clockB->advance(14s);
  EXPECT_FALSE(b.tryAcquireOrRenew());
  clockB->advance(1s);
  EXPECT_TRUE(b.tryAcquireOrRenew());
  auto spec = server.lease("feature-rollout-operator")["spec"];
  EXPECT_EQ(spec["holderIdentity"], "b");
  EXPECT_EQ(spec["leaseTransitions"], 1);

  // a comes back: b now holds a fresh lease, a must not take it back.
  EXPECT_FALSE(a.tryAcquireOrRenew());
  EXPECT_EQ(a.currentLeader(), "b");
}

TEST_F(LeaderElectorTest, ReleaseHandsOverAtOnce) {
  LeaderElector a(client, cfg("a"), {}, clockA);
  LeaderElector b(client, cfg("b"), {}, clockB);
  ASSERT_TRUE(a.tryAcquireOrRenew());
  EXPECT_FALSE(b.tryAcquireOrRenew());
  ASSERT_TRUE(a.release().ok());
  EXPECT_FALSE(server.lease("feature-rollout-operator")["spec"].contains("holderIdentity"));
  EXPECT_TRUE(b.tryAcquireOrRenew()) << "a released lease is free without waiting for expiry";
}

TEST_F(LeaderElectorTest, ReleaseByANonHolderChangesNothing) {
  LeaderElector a(client, cfg("a"), {}, clockA);
  LeaderElector b(client, cfg("b"), {}, clockB);
  ASSERT_TRUE(a.tryAcquireOrRenew());
  auto before = server.lease("feature-rollout-operator");
  ASSERT_TRUE(b.release().ok());
  EXPECT_EQ(server.lease("feature-rollout-operator"), before);
}

TEST_F(LeaderElectorTest, StaleReadLosesTheRaceWithAConflict) {
  LeaderElector a(client, cfg("a"), {}, clockA);
  ASSERT_TRUE(a.tryAcquireOrRenew());
  ASSERT_TRUE(a.release().ok());
  // b and c both read the free lease; the first write wins, the second gets 409 and does not lead.
  auto lease = server.lease("feature-rollout-operator");
  LeaderElector b(client, cfg("b"), {}, clockB);
  ASSERT_TRUE(b.tryAcquireOrRenew());
  lease["spec"]["holderIdentity"] = "c";
  auto racing = client.update(kube::Resource::leases(), lease);
  ASSERT_FALSE(racing.ok());
  EXPECT_EQ(racing.error().reason, "Conflict");
  EXPECT_EQ(server.lease("feature-rollout-operator")["spec"]["holderIdentity"], "b");
}

TEST_F(LeaderElectorTest, UnreachableApiIsNotLeadership) {
  LeaderElector a(client, cfg("a"), {}, clockA);
  server.down = true;
  EXPECT_FALSE(a.tryAcquireOrRenew());
  server.down = false;
  EXPECT_TRUE(a.tryAcquireOrRenew());
}

TEST_F(LeaderElectorTest, FailedReadsAndWritesAreReportedNamingTheLease) {
  std::vector<std::string> errors;
  LeaderElector::Callbacks cb;
  cb.onError = [&](const Error& e) { errors.push_back(e.message); };
  LeaderElector a(client, cfg("a"), cb, clockA);
  server.down = true;
  EXPECT_FALSE(a.tryAcquireOrRenew());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("reading Lease ops/feature-rollout-operator: ", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("connection refused"), std::string::npos) << errors[0];
  server.down = false;
  ASSERT_TRUE(a.tryAcquireOrRenew());
  EXPECT_EQ(errors.size(), 1u) << "a success reports nothing";

  // Waiting for another holder's lease is no error.
  LeaderElector b(client, cfg("b"), cb, clockB);
  EXPECT_FALSE(b.tryAcquireOrRenew());
  EXPECT_EQ(errors.size(), 1u);

  // a stops renewing; b takes over, but its write loses a race (409): the error names what it tried.
  clockB->advance(16s);
  transport->push(200, server.lease("feature-rollout-operator").dump());
  transport->push(409, R"({"kind":"Status","code":409,"reason":"Conflict","message":"the object has been modified"})");
  EXPECT_FALSE(b.tryAcquireOrRenew());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[1].rfind("acquiring Lease ops/feature-rollout-operator: ", 0), 0u) << errors[1];
  EXPECT_NE(errors[1].find("the object has been modified"), std::string::npos) << errors[1];
}

TEST_F(LeaderElectorTest, AStoppedElectorWritesNothingSoReleaseCannotBeUndone) {
  LeaderElector a(client, cfg("a"), {}, clockA);
  ASSERT_TRUE(a.tryAcquireOrRenew());
  a.stop();
  ASSERT_TRUE(a.release().ok());
  auto released = server.lease("feature-rollout-operator");
  EXPECT_FALSE(released["spec"].contains("holderIdentity"));
  EXPECT_FALSE(a.tryAcquireOrRenew()) << "a renewal after stop() would take the released lease back";
  EXPECT_EQ(server.lease("feature-rollout-operator"), released);
}

TEST(LeaderElectionConfigTest, TimingsMustNest) {
  EXPECT_TRUE(LeaderElector::validate({"ns", "l", "me", 15s, 10s, 2s}).ok());
  auto bad = LeaderElector::validate({"ns", "l", "me", 10s, 10s, 2s});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("renew deadline (10000ms) must be shorter than the lease duration (10000ms)"),
            std::string::npos);
  EXPECT_FALSE(LeaderElector::validate({"ns", "l", "me", 15s, 10s, 10s}).ok());
  EXPECT_FALSE(LeaderElector::validate({"ns", "l", "", 15s, 10s, 2s}).ok());
  EXPECT_FALSE(LeaderElector::validate({"", "l", "me", 15s, 10s, 2s}).ok());
}

}  // namespace
}  // namespace fro::leaderelection
