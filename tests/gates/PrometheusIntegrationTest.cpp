// Gates against the real Prometheus of the local control plane (PROMETHEUS_URL, set by
// `eval "$(hack/cluster.sh env)"` or hack/test.sh). Without it the test fails, never passes.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "runtime/http/CurlTransport.h"
#include "rollout/gates/GateEvaluator.h"
#include "rollout/gates/GateJudge.h"
#include "rollout/gates/PrometheusClient.h"

namespace fro::gates {
namespace {

using namespace std::chrono_literals;
using rollout::Gate;
using rollout::GateResult;

Gate gate(const std::string& name, const std::string& query) {
  Gate g;
  g.name = name;
  g.query = query;
  g.warning.above = 0.02;
  g.critical.above = 0.05;
  return g;
}

class RealPrometheus : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("PROMETHEUS_URL");
    ASSERT_TRUE(url && *url) << "PROMETHEUS_URL is not set: run through hack/test.sh or "
                                "eval \"$(hack/cluster.sh env)\" first";
    address = url;
  }
  Result<QueryValue> query(const std::string& q) {
    return PrometheusClient(transport, {.address = address, .timeout = 5000ms}).query(q);
  }
  std::string address;
  std::shared_ptr<http::HttpTransport> transport = std::make_shared<http::CurlTransport>(http::TlsConfig{});
};

TEST_F(RealPrometheus, JudgesRealAnswers) {
  struct Row {
    const char* query;
    GateResult want;
    const char* messagePart;
  } rows[] = {
      {"vector(0.07)", GateResult::Critical, "error-rate = 0.07 is above the critical threshold 0.05"},
      {"vector(0.03)", GateResult::Warning, "error-rate = 0.03 is above the warning threshold 0.02"},
      {"scalar(vector(0.01))", GateResult::Passed, "error-rate = 0.01 is within thresholds"},
      {"vector(0) / 0", GateResult::NoData, "NaN (no data)"},
      {R"(up{job="nonexistent"})", GateResult::NoData, "returned no data"},
      {"vector(1) / 0", GateResult::Critical, "+Inf is above the critical threshold 0.05"},
      {"sum(rate(x[5m]) by", GateResult::Error, "parse error"},
  };
  for (const auto& r : rows) {
    auto j = GateJudge::judge(gate("error-rate", r.query), query(r.query));
    EXPECT_EQ(j.result, r.want) << r.query << ": " << j.message;
    EXPECT_NE(j.message.find(r.messagePart), std::string::npos) << r.query << ": " << j.message;
  }
}

TEST_F(RealPrometheus, ScalarAndErrorTextComeFromPrometheus) {
  auto s = query("scalar(vector(1))");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->resultType, "scalar");
  EXPECT_EQ(s->value, 1.0);

  auto bad = query("sum(rate(x[5m]) by");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "bad_data");
  EXPECT_EQ(bad.error().code, 400);
  EXPECT_NE(bad.error().message.find("Prometheus error bad_data (HTTP 400): invalid parameter \"query\": 1:"),
            std::string::npos)
      << bad.error().message;
  EXPECT_NE(bad.error().message.find("parse error"), std::string::npos) << bad.error().message;

  auto many = query("vector(1) or label_replace(vector(2), \"a\", \"b\", \"\", \"\")");
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.error().message.find("returned 2 series"), std::string::npos) << many.error().message;
}

// A loopback port that was just free: bound, then closed again, so nothing listens on it.
int closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return -1;
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST_F(RealPrometheus, ClosedPortIsUnreachable) {
  const int port = closedPort();
  ASSERT_GT(port, 0);
  const std::string addr = "http://127.0.0.1:" + std::to_string(port);
  auto r = PrometheusClient(transport, {.address = addr, .timeout = 2000ms}).query("up");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, http::kConnectFailed) << r.error().message;
  EXPECT_NE(r.error().message.find("Prometheus unreachable: GET " + addr), std::string::npos) << r.error().message;
}

// The whole path the controller uses: the evaluator with its queue's delay thread, real clock and curl.
TEST_F(RealPrometheus, EvaluatorReportsEachGate) {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  GateEvaluator::Options o;
  o.defaultAddress = address;
  GateEvaluator ev(std::move(o));
  ev.subscribe([&](const std::string&) {
    std::lock_guard l(mu);
    ++calls;
    cv.notify_all();
  });

  rollout::GateRequest req;
  req.nameSpace = "default";
  req.gates = {gate("critical", "vector(0.07)"), gate("passed", "scalar(vector(0.01))"), gate("nan", "vector(0) / 0"),
               gate("absent", R"(up{job="nonexistent"})"), gate("invalid", "sum(rate(x[5m]) by")};
  req.interval = 60s;
  req.since = std::chrono::system_clock::now() - 1s;
  ev.want("default/web", req);
  {
    std::unique_lock l(mu);
    ASSERT_TRUE(cv.wait_for(l, 20s, [&] { return calls >= 1; }));
  }
  auto obs = ev.observe("default/web");
  ASSERT_EQ(obs.size(), 5u);
  EXPECT_EQ(obs[0].result, GateResult::Critical) << obs[0].message;
  EXPECT_EQ(obs[0].threshold, "critical above 0.05");
  EXPECT_EQ(obs[1].result, GateResult::Passed) << obs[1].message;
  EXPECT_EQ(obs[1].consecutivePasses, 1);
  EXPECT_EQ(obs[2].result, GateResult::NoData) << obs[2].message;
  EXPECT_EQ(obs[3].result, GateResult::NoData) << obs[3].message;
  EXPECT_EQ(obs[4].result, GateResult::Error) << obs[4].message;
  EXPECT_FALSE(obs[4].permanent);
  EXPECT_NE(obs[4].message.find("parse error"), std::string::npos) << obs[4].message;
}

// The production delay thread re-evaluates every interval on real time, and forget() stops it.
TEST_F(RealPrometheus, SchedulerThreadReevaluatesEveryInterval) {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  GateEvaluator::Options o;
  o.defaultAddress = address;
  GateEvaluator ev(std::move(o));
  ev.subscribe([&](const std::string&) {
    std::lock_guard l(mu);
    ++calls;
    cv.notify_all();
  });
  rollout::GateRequest req;
  req.nameSpace = "default";
  req.gates = {gate("passed", "vector(0.01)")};
  req.interval = 200ms;
  req.since = std::chrono::system_clock::now();
  ev.want("default/web", req);
  {
    std::unique_lock l(mu);
    ASSERT_TRUE(cv.wait_for(l, 20s, [&] { return calls >= 3; })) << calls;
  }
  auto obs = ev.observe("default/web");
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_GE(obs[0].consecutivePasses, 3);
  ev.forget("default/web");
  EXPECT_TRUE(ev.observe("default/web").empty());
}

}  // namespace
}  // namespace fro::gates
