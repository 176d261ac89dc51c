// The operator's metrics as Prometheus scrapes them: a real /metrics endpoint on a loopback port,
// parsed back from the text format.
#include "rollout/metrics/OperatorMetrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "runtime/controller/WorkQueue.h"
#include "runtime/kube/KubeClient.h"
#include "runtime/metrics/MetricsServer.h"
#include "tests/metrics/Scrape.h"
#include "tests/support/FakeTransport.h"
#include "tests/support/ManualClock.h"

namespace fro::metrics {
namespace {

using namespace std::chrono_literals;
using testing::countMatching;
using testing::key;
using testing::scrape;

// One metrics object and server for the suite, as in the operator process (and because stopping a
// civetweb server takes up to its 2 s poll quantum). Tests use their own rollout and queue names,
// and counters shared between tests are compared as differences.
class OperatorMetricsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared = new OperatorMetrics("1.2.3");
    auto s = MetricsServer::start("127.0.0.1:0", shared->registry());
    ASSERT_TRUE(s.ok()) << s.error().message;
    sharedServer = s->release();
    ASSERT_TRUE(sharedServer->enabled());
    ASSERT_GT(sharedServer->port(), 0);
  }
  static void TearDownTestSuite() {
    delete sharedServer;
    delete shared;
  }
  static testing::Series scrapeSeries() { return scrape(sharedServer->port()).series; }

  static inline OperatorMetrics* shared = nullptr;
  static inline MetricsServer* sharedServer = nullptr;
  OperatorMetrics& metrics = *shared;
  MetricsServer* server = sharedServer;
};

RolloutMetricsSnapshot sample() {
  RolloutMetricsSnapshot s;
  s.nameSpace = "shop";
  s.name = "unified-workflow";
  s.phaseIndex = 1;
  s.step = 2;
  s.state = "Holding";
  s.flags = {{"unified_workflow_read", 100}, {"unified_workflow_write", 50}, {"ai_assist", 0}};
  s.gates = {{"error-rate", 0.031, "Warning"}, {"latency-p99", std::nullopt, "NoData"}};
  s.phase = "write";
  s.conditions = {{"Ready", "False"}, {"Stalled", "False"}};
  return s;
}

std::map<std::string, std::string> flagLabels(const std::string& flag) {
  return {{"namespace", "shop"}, {"rollout", "unified-workflow"}, {"flag", flag}};
}
std::map<std::string, std::string> gateLabels(const std::string& gate) {
  return {{"namespace", "shop"}, {"rollout", "unified-workflow"}, {"gate", gate}};
}

TEST_F(OperatorMetricsTest, ServedAsPrometheusTextWithBuildInfoAndLeader) {
  auto r = scrape(server->port());
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.contentType.find("text/plain"), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE fro_reconcile_total counter"), std::string::npos);
  EXPECT_NE(r.body.find("# HELP fro_leader "), std::string::npos);
  EXPECT_EQ(r.series.at(key("fro_build_info", {{"version", "1.2.3"}})), 1);
  EXPECT_EQ(r.series.at("fro_leader"), 0);
  metrics.setLeader(true);
  EXPECT_EQ(scrapeSeries().at("fro_leader"), 1);
  metrics.setLeader(false);
  EXPECT_EQ(scrapeSeries().at("fro_leader"), 0);
}

TEST_F(OperatorMetricsTest, ReconcileCountsErrorsAndLatency) {
  // Present (at zero) before anything happened, so rate() and absent() alerts behave.
  auto before = scrapeSeries();
  for (auto res : {"success", "error", "requeue"}) EXPECT_EQ(before.count(key("fro_reconcile_total", {{"result", res}})), 1u);
  ASSERT_EQ(before.count("fro_reconcile_errors_total"), 1u);
  auto delta = [&](const testing::Series& after, const std::string& k) { return after.at(k) - before.at(k); };

  metrics.observeReconcile(ReconcileResult::Success, 20ms);
  metrics.observeReconcile(ReconcileResult::Success, 30ms);
  metrics.observeReconcile(ReconcileResult::Error, 3s);
  metrics.observeReconcile(ReconcileResult::Requeue, 1ms);
  auto s = scrapeSeries();
  EXPECT_EQ(delta(s, key("fro_reconcile_total", {{"result", "success"}})), 2);
  EXPECT_EQ(delta(s, key("fro_reconcile_total", {{"result", "error"}})), 1);
  EXPECT_EQ(delta(s, key("fro_reconcile_total", {{"result", "requeue"}})), 1);
  EXPECT_EQ(delta(s, "fro_reconcile_errors_total"), 1);
  EXPECT_EQ(delta(s, "fro_reconcile_duration_seconds_count"), 4);
  EXPECT_NEAR(delta(s, "fro_reconcile_duration_seconds_sum"), 3.051, 1e-6);
  EXPECT_EQ(delta(s, key("fro_reconcile_duration_seconds_bucket", {{"le", "0.025"}})), 2);
  EXPECT_EQ(delta(s, key("fro_reconcile_duration_seconds_bucket", {{"le", "+Inf"}})), 4);
}

TEST_F(OperatorMetricsTest, KubeClientRequestsAreCountedByVerbAndCode) {
  auto transport = std::make_shared<fro::testing::FakeTransport>();
  auto clock = std::make_shared<fro::testing::ManualClock>();
  kube::KubeClient::Options o;
  o.server = "https://127.0.0.1:6443";
  o.retry.maxRetries = 0;
  o.observer = metrics.kubeRequestObserver();  // the type KubeClient takes
  kube::KubeClient client(transport, o, clock, [](std::chrono::nanoseconds) {});
  transport->push(200, R"({"metadata":{"name":"a"}})");
  transport->push(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  transport->push(Error::of("connect failed", http::kConnectFailed));
  (void)client.get(kube::Resource::configMaps(), "shop", "a");
  (void)client.get(kube::Resource::configMaps(), "shop", "b");
  (void)client.get(kube::Resource::configMaps(), "shop", "c");
  auto s = scrapeSeries();
  EXPECT_EQ(s.at(key("fro_kube_requests_total", {{"verb", "GET"}, {"code", "200"}})), 1);
  EXPECT_EQ(s.at(key("fro_kube_requests_total", {{"verb", "GET"}, {"code", "404"}})), 1);
  EXPECT_EQ(s.at(key("fro_kube_requests_total", {{"verb", "GET"}, {"code", "<error>"}})), 1);
  EXPECT_EQ(s.at(key("fro_kube_request_duration_seconds_count", {{"verb", "GET"}})), 3);
}

TEST_F(OperatorMetricsTest, WorkQueueListenerFollowsARealQueue) {
  auto clock = std::make_shared<fro::testing::ManualClock>();
  controller::WorkQueueOptions qo;
  qo.clock = clock;
  qo.metrics = metrics.queueListener("featurerollout");
  qo.delayThread = false;
  controller::WorkQueue queue(std::move(qo));
  queue.add("shop/a");
  queue.add("shop/b");
  queue.add("shop/a");  // deduplicated: not an add
  auto s = scrapeSeries();
  const std::map<std::string, std::string> q{{"name", "featurerollout"}};
  EXPECT_EQ(s.at(key("fro_workqueue_depth", q)), 2);
  EXPECT_EQ(s.at(key("fro_workqueue_adds_total", q)), 2);

  clock->advance(250ms);
  auto k = queue.get();
  ASSERT_TRUE(k);
  clock->advance(2s);
  queue.done(*k);
  queue.addRateLimited("shop/c");
  s = scrapeSeries();
  EXPECT_EQ(s.at(key("fro_workqueue_depth", q)), 1);
  EXPECT_EQ(s.at(key("fro_workqueue_retries_total", q)), 1);
  EXPECT_EQ(s.at(key("fro_workqueue_queue_duration_seconds_count", q)), 1);
  EXPECT_NEAR(s.at(key("fro_workqueue_queue_duration_seconds_sum", q)), 0.25, 1e-9);
  EXPECT_EQ(s.at(key("fro_workqueue_work_duration_seconds_count", q)), 1);
  EXPECT_NEAR(s.at(key("fro_workqueue_work_duration_seconds_sum", q)), 2.0, 1e-9);
  queue.shutDown();
}

TEST_F(OperatorMetricsTest, RolloutFlagsPhaseStateAndGates) {
  metrics.forgetRollout("shop", "unified-workflow");
  metrics.setRollout(sample());
  auto s = scrapeSeries();
  EXPECT_EQ(s.at(key("fro_flag_enabled", flagLabels("unified_workflow_read"))), 1);
  EXPECT_EQ(s.at(key("fro_flag_enabled", flagLabels("unified_workflow_write"))), 0);
  EXPECT_EQ(s.at(key("fro_flag_percent", flagLabels("unified_workflow_write"))), 50);
  EXPECT_EQ(s.at(key("fro_flag_percent", flagLabels("ai_assist"))), 0);
  EXPECT_EQ(s.at(key("fro_flag_changes_total", flagLabels("unified_workflow_write"))), 0);
  const std::map<std::string, std::string> r{{"namespace", "shop"}, {"rollout", "unified-workflow"}};
  EXPECT_EQ(s.at(key("fro_rollout_phase_index", r)), 1);
  EXPECT_EQ(s.at(key("fro_rollout_step", r)), 2);
  // One-hot: every known state present, only Holding is 1.
  double sum = 0;
  for (const auto& st : OperatorMetrics::knownStates()) {
    auto l = r;
    l["state"] = st;
    sum += s.at(key("fro_rollout_state", l));
  }
  EXPECT_EQ(sum, 1);
  EXPECT_EQ(s.at(key("fro_rollout_state", {{"namespace", "shop"}, {"rollout", "unified-workflow"}, {"state", "Holding"}})), 1);
  EXPECT_EQ(s.at(key("fro_gate_value", gateLabels("error-rate"))), 0.031);
  EXPECT_EQ(s.count(key("fro_gate_value", gateLabels("latency-p99"))), 0u) << "no data, no value series";
  auto gr = gateLabels("error-rate");
  gr["result"] = "Warning";
  EXPECT_EQ(s.at(key("fro_gate_result", gr)), 1);
  gr["result"] = "Passed";
  EXPECT_EQ(s.at(key("fro_gate_result", gr)), 0);
  EXPECT_EQ(countMatching(s, {"fro_gate_result{", "gate=\"latency-p99\""}), 5) << "one series per known result";
}

TEST_F(OperatorMetricsTest, ChangesAreCountedAndDroppedFlagsAndGatesDisappear) {
  metrics.forgetRollout("shop", "unified-workflow");
  metrics.setRollout(sample());
  auto next = sample();
  next.step = 3;
  next.state = "Progressing";
  next.flags = {{"unified_workflow_read", 100}, {"unified_workflow_write", 100}};  // ai_assist removed from the spec
  next.gates = {{"error-rate", 0.004, "Passed"}};                                   // latency gate not in this phase
  metrics.setRollout(next);
  metrics.setRollout(next);  // the same values again are no change
  auto s = scrapeSeries();
  EXPECT_EQ(s.at(key("fro_flag_changes_total", flagLabels("unified_workflow_write"))), 1);
  EXPECT_EQ(s.at(key("fro_flag_changes_total", flagLabels("unified_workflow_read"))), 0);
  EXPECT_EQ(s.at(key("fro_flag_enabled", flagLabels("unified_workflow_write"))), 1);
  EXPECT_EQ(countMatching(s, {"flag=\"ai_assist\""}), 0);
  EXPECT_EQ(countMatching(s, {"gate=\"latency-p99\""}), 0);
  auto gr = gateLabels("error-rate");
  gr["result"] = "Passed";
  EXPECT_EQ(s.at(key("fro_gate_result", gr)), 1);
  gr["result"] = "Warning";
  EXPECT_EQ(s.at(key("fro_gate_result", gr)), 0);
  EXPECT_EQ(s.at(key("fro_rollout_state", {{"namespace", "shop"}, {"rollout", "unified-workflow"}, {"state", "Holding"}})), 0);
}

TEST_F(OperatorMetricsTest, InfoNamesThePhaseAndConditionsAreOneHotPerType) {
  // Issue 16: an alert can name the phase, and "stalled" is the Stalled condition, not a state.
  metrics.forgetRollout("shop", "unified-workflow");
  metrics.setRollout(sample());
  const std::map<std::string, std::string> r{{"namespace", "shop"}, {"rollout", "unified-workflow"}};
  auto with = [&](std::map<std::string, std::string> extra) {
    auto l = r;
    l.insert(extra.begin(), extra.end());
    return l;
  };
  auto s = scrapeSeries();
  EXPECT_EQ(s.at(key("fro_rollout_info", with({{"phase", "write"}, {"state", "Holding"}}))), 1);
  EXPECT_EQ(s.at(key("fro_rollout_condition", with({{"type", "Stalled"}, {"status", "False"}}))), 1);
  EXPECT_EQ(s.at(key("fro_rollout_condition", with({{"type", "Stalled"}, {"status", "True"}}))), 0);
  EXPECT_EQ(countMatching(s, {"fro_rollout_condition{", "rollout=\"unified-workflow\""}), 6) << "3 statuses x 2 types";

  auto next = sample();
  next.phase = "cleanup";
  next.state = "Progressing";
  next.conditions = {{"Stalled", "True"}};  // Ready no longer reported
  metrics.setRollout(next);
  s = scrapeSeries();
  EXPECT_EQ(countMatching(s, {"fro_rollout_info{", "rollout=\"unified-workflow\""}), 1) << "the old labels are gone";
  EXPECT_EQ(s.at(key("fro_rollout_info", with({{"phase", "cleanup"}, {"state", "Progressing"}}))), 1);
  EXPECT_EQ(s.at(key("fro_rollout_condition", with({{"type", "Stalled"}, {"status", "True"}}))), 1);
  EXPECT_EQ(countMatching(s, {"fro_rollout_condition{", "type=\"Ready\"", "rollout=\"unified-workflow\""}), 0);
  metrics.forgetRollout("shop", "unified-workflow");
  s = scrapeSeries();
  EXPECT_EQ(countMatching(s, {"fro_rollout_info{", "rollout=\"unified-workflow\""}), 0);
  EXPECT_EQ(countMatching(s, {"fro_rollout_condition{", "rollout=\"unified-workflow\""}), 0);
}

TEST_F(OperatorMetricsTest, ForgetRolloutRemovesEverySeriesOfThatRolloutOnly) {
  metrics.forgetRollout("shop", "unified-workflow");
  metrics.setRollout(sample());
  auto other = sample();
  other.name = "checkout";
  metrics.setRollout(other);
  auto before = scrapeSeries();
  int otherCount = countMatching(before, {"rollout=\"checkout\""});
  EXPECT_GT(countMatching(before, {"rollout=\"unified-workflow\""}), 20);

  metrics.forgetRollout("shop", "unified-workflow");
  auto s = scrapeSeries();
  EXPECT_EQ(countMatching(s, {"rollout=\"unified-workflow\""}), 0);
  EXPECT_EQ(countMatching(s, {"rollout=\"checkout\""}), otherCount);
  metrics.forgetRollout("shop", "unified-workflow");  // twice is harmless
  metrics.forgetRollout("nowhere", "never-seen");

  // Recreated under the same name, it starts afresh (no stale change count).
  metrics.setRollout(sample());
  EXPECT_EQ(scrapeSeries().at(key("fro_flag_changes_total", flagLabels("unified_workflow_write"))), 0);
}

TEST_F(OperatorMetricsTest, UnknownStateAndResultAreExportedAsGiven) {
  metrics.forgetRollout("shop", "unified-workflow");
  auto s1 = sample();
  s1.state = "Migrating";
  s1.gates = {{"cost", 3.0, "Skipped"}};
  metrics.setRollout(s1);
  auto s = scrapeSeries();
  EXPECT_EQ(s.at(key("fro_rollout_state", {{"namespace", "shop"}, {"rollout", "unified-workflow"}, {"state", "Migrating"}})), 1);
  auto gr = gateLabels("cost");
  gr["result"] = "Skipped";
  EXPECT_EQ(s.at(key("fro_gate_result", gr)), 1);
  metrics.setRollout(sample());  // back to known values: the odd series go away
  s = scrapeSeries();
  EXPECT_EQ(countMatching(s, {"state=\"Migrating\""}), 0);
  EXPECT_EQ(countMatching(s, {"result=\"Skipped\""}), 0);
}

TEST_F(OperatorMetricsTest, ConcurrentUpdatesAndScrapes) {
  auto before = scrapeSeries().at(key("fro_reconcile_total", {{"result", "success"}}));
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        auto s = sample();
        s.nameSpace = "concurrency";
        s.name = "r" + std::to_string(t);
        s.flags[1].percent = i % 101;
        metrics.setRollout(s);
        metrics.observeReconcile(ReconcileResult::Success, 1ms);
        if (i % 7 == 0) metrics.forgetRollout("concurrency", s.name);
      }
    });
  std::thread scraper([&] {
    while (!stop) EXPECT_EQ(scrape(server->port()).status, 200);
  });
  for (auto& w : writers) w.join();
  stop = true;
  scraper.join();
  auto s = scrapeSeries();
  EXPECT_EQ(s.at(key("fro_reconcile_total", {{"result", "success"}})) - before, 900);
  for (int t = 0; t < 3; ++t)  // last iteration (299) did not forget: each rollout has its series
    EXPECT_EQ(s.at(key("fro_flag_percent", {{"namespace", "concurrency"}, {"rollout", "r" + std::to_string(t)},
                                            {"flag", "unified_workflow_write"}})),
              299 % 101);
}

}  // namespace
}  // namespace fro::metrics
