// GateEvaluator with a fake Prometheus (PromStub) and a manual clock: the queue's delay thread is
// off and the clock's advance hook calls runDue(); waitIdle() waits for the workers to finish.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "rollout/gates/GateEvaluator.h"
#include "tests/gates/PromStub.h"
#include "tests/support/ManualClock.h"

namespace fro::gates {
namespace {

using namespace std::chrono_literals;
using rollout::Gate;
using rollout::GateObservation;
using rollout::GateRequest;
using rollout::GateResult;
using testing::PromStub;

Gate gate(const std::string& name, const std::string& query, rollout::OnNoData onNoData = rollout::OnNoData::Hold) {
  Gate g;
  g.name = name;
  g.query = query;
  g.warning.above = 0.02;
  g.critical.above = 0.05;
  g.onNoData = onNoData;
  return g;
}

// Counts listener calls per key and lets a test wait for one without sleeping.
struct Results {
  void operator()(const std::string& key) {
    std::lock_guard l(mu);
    ++calls[key];
    cv.notify_all();
  }
  bool waitFor(const std::string& key, int n) {
    std::unique_lock l(mu);
    return cv.wait_for(l, 5s, [&] { return calls[key] >= n; });
  }
  int of(const std::string& key) {
    std::lock_guard l(mu);
    return calls[key];
  }
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, int> calls;
};

struct EvaluatorTest : ::testing::Test {
  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
  std::shared_ptr<PromStub> prom = std::make_shared<PromStub>();
  Results results;
  std::mutex secretsMu;
  std::map<std::string, Result<std::string>> secrets;  // "ns/name/key" -> value or error
  std::vector<http::TlsConfig> tlsSeen;
  std::unique_ptr<GateEvaluator> ev;

  void start(std::string defaultAddress = "http://prometheus.monitoring:9090",
             const std::function<void(GateEvaluator::Options&)>& tweak = {}) {
    GateEvaluator::Options o;
    o.clock = clock;
    o.transports = [this](const http::TlsConfig& tls) -> std::shared_ptr<http::HttpTransport> {
      tlsSeen.push_back(tls);
      return prom;
    };
    o.secrets = [this](const std::string& ns, const std::string& name, const std::string& key) -> Result<std::string> {
      std::lock_guard l(secretsMu);
      auto it = secrets.find(ns + "/" + name + "/" + key);
      if (it == secrets.end()) return Error::of("secrets \"" + name + "\" not found", 404, "NotFound");
      return it->second;
    };
    o.defaultAddress = std::move(defaultAddress);
    o.threads = 4;
    o.delayThread = false;
    if (tweak) tweak(o);
    ev = std::make_unique<GateEvaluator>(std::move(o));
    ev->subscribe([this](const std::string& key) { results(key); });
    clock->onAdvance([this] { ev->runDue(); });
  }

  ~EvaluatorTest() override {
    prom->release();  // let hung requests finish so the workers can join
    ev.reset();
  }

  GateRequest request(std::vector<Gate> gates) {
    GateRequest r;
    r.nameSpace = "team-a";
    r.gates = std::move(gates);
    r.interval = 30s;
    r.since = clock->now();
    return r;
  }

  void advance(std::chrono::nanoseconds d) {
    clock->advance(d);
    ASSERT_TRUE(ev->waitIdle(5s));
  }
  void want(const std::string& key, const GateRequest& r) {
    ev->want(key, r);
    ASSERT_TRUE(ev->waitIdle(5s));
  }
  GateObservation only(const std::string& key) {
    auto obs = ev->observe(key);
    EXPECT_EQ(obs.size(), 1u);
    return obs.empty() ? GateObservation{} : obs[0];
  }
};

TEST_F(EvaluatorTest, FirstEvaluationAtOnceThenEveryInterval) {
  start();
  prom->answer("errors_ok", PromStub::vector("0.01"));
  const auto t0 = clock->now();
  want("team-a/web", request({gate("error-rate", "errors_ok")}));

  auto o = only("team-a/web");
  EXPECT_EQ(o.result, GateResult::Passed) << o.message;
  EXPECT_EQ(o.value, 0.01);
  EXPECT_EQ(o.evaluatedAt, t0);
  EXPECT_EQ(o.consecutivePasses, 1);
  EXPECT_EQ(o.query, "errors_ok");
  EXPECT_EQ(results.of("team-a/web"), 1);

  advance(29s);
  EXPECT_EQ(prom->count("errors_ok"), 1) << "evaluated before the interval passed";
  advance(1s);
  EXPECT_EQ(prom->count("errors_ok"), 2);
  EXPECT_EQ(only("team-a/web").consecutivePasses, 2);
  EXPECT_EQ(only("team-a/web").evaluatedAt, t0 + 30s);
  EXPECT_EQ(results.of("team-a/web"), 2);
  advance(30s);
  EXPECT_EQ(only("team-a/web").consecutivePasses, 3);
}

// Issue 11, defects 8 and 9, through the evaluator: -Inf holds, answers are bounded by the options.
TEST_F(EvaluatorTest, MinusInfinityIsNoDataNotAPass) {
  start();
  prom->answer("errors_inf", PromStub::vector("-Inf"));
  want("team-a/web", request({gate("error-rate", "errors_inf")}));
  auto o = only("team-a/web");
  EXPECT_EQ(o.result, GateResult::NoData);
  EXPECT_EQ(o.message, "error-rate = -Inf is not a finite number; treated as no data; onNoData=hold");
  EXPECT_EQ(o.consecutivePasses, 0);
}

TEST_F(EvaluatorTest, AnswersAreBoundedByDefaultToFourMiBAndOneHundredSeries) {
  start();
  std::string many = R"({"status":"success","data":{"resultType":"vector","result":[)";
  for (int i = 0; i < 101; ++i) many += std::string(i ? "," : "") + R"({"metric":{},"value":[1,"0"]})";
  many += "]}}";
  prom->answer("too_many", many);
  prom->answer("too_big", PromStub::vector("0.01") + std::string(4 * 1024 * 1024, ' '));
  want("team-a/web", request({gate("many", "too_many"), gate("big", "too_big")}));
  auto obs = ev->observe("team-a/web");
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_EQ(obs[0].result, GateResult::Error);
  EXPECT_EQ(obs[0].message, "many: answer has 101 series; the limit is 100 (sum() the query)");
  EXPECT_EQ(obs[1].result, GateResult::Error);
  EXPECT_NE(obs[1].message.find("larger than the limit of 4 MiB"), std::string::npos) << obs[1].message;
  for (const auto& r : prom->requests()) EXPECT_EQ(r.maxResponseBytes, 4u * 1024 * 1024);
}

TEST_F(EvaluatorTest, TheLimitsComeFromTheOptions) {
  start("http://prometheus.monitoring:9090", [](GateEvaluator::Options& o) {
    o.maxResponseBytes = 2048;
    o.maxSeries = 1;
  });
  prom->answer("two", R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0"]},{"metric":{},"value":[1,"0"]}]}})");
  want("team-a/web", request({gate("g", "two")}));
  EXPECT_EQ(only("team-a/web").message, "g: answer has 2 series; the limit is 1 (sum() the query)");
  ASSERT_EQ(prom->requests().size(), 1u);
  EXPECT_EQ(prom->requests()[0].maxResponseBytes, 2048u);
}

TEST_F(EvaluatorTest, IdenticalRequestIsANoOp) {
  start();
  prom->answer("errors_ok", PromStub::vector("0.01"));
  auto r = request({gate("error-rate", "errors_ok")});
  want("k", r);
  want("k", r);
  advance(10s);
  want("k", r);
  EXPECT_EQ(prom->count("errors_ok"), 1);
}

TEST_F(EvaluatorTest, EveryGateOfTheKeyIsEvaluatedInOrder) {
  start();
  prom->answer("errors_high", PromStub::vector("0.071"));
  prom->answer("latency_warn", PromStub::vector("0.03"));
  want("k", request({gate("error-rate", "errors_high"), gate("latency", "latency_warn")}));
  auto obs = ev->observe("k");
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_EQ(obs[0].result, GateResult::Critical);
  EXPECT_EQ(obs[0].threshold, "critical above 0.05");
  EXPECT_EQ(obs[0].message, "error-rate = 0.071 is above the critical threshold 0.05");
  EXPECT_EQ(obs[1].result, GateResult::Warning);
  EXPECT_EQ(obs[1].threshold, "warning above 0.02");
  EXPECT_EQ(results.of("k"), 1) << "one callback per evaluation of the key, not per gate";
}

TEST_F(EvaluatorTest, NewSinceStartsANewSeries) {
  start();
  prom->answer("errors_ok", PromStub::vector("0.01"));
  auto r = request({gate("error-rate", "errors_ok")});
  want("k", r);
  advance(30s);
  ASSERT_EQ(only("k").consecutivePasses, 2);

  // The next step activates 10 s from now: old observations no longer count, and nothing is
  // evaluated before `since`.
  r.since = clock->now() + 10s;
  want("k", r);
  EXPECT_TRUE(ev->observe("k").empty());
  advance(9s);
  EXPECT_EQ(prom->count("errors_ok"), 2);
  advance(1s);
  auto o = only("k");
  EXPECT_EQ(o.consecutivePasses, 1);
  EXPECT_EQ(o.evaluatedAt, r.since);

  // A since in the past or now evaluates at once.
  advance(1s);
  r.since = clock->now() - 500ms;
  want("k", r);
  EXPECT_EQ(prom->count("errors_ok"), 4);
  EXPECT_EQ(only("k").consecutivePasses, 1);
}

TEST_F(EvaluatorTest, ConsecutiveErrorsAndPassesResetEachOther) {
  start();
  prom->answer("errors", "Service Unavailable", 503);
  want("k", request({gate("error-rate", "errors")}));
  advance(30s);
  advance(30s);
  auto o = only("k");
  EXPECT_EQ(o.result, GateResult::Error);
  EXPECT_EQ(o.consecutiveErrors, 3);
  EXPECT_EQ(o.consecutivePasses, 0);
  EXPECT_FALSE(o.permanent);
  EXPECT_NE(o.message.find("answered HTTP 503: Service Unavailable"), std::string::npos) << o.message;
  EXPECT_FALSE(o.value.has_value());

  prom->answer("errors", PromStub::vector("0.001"));
  advance(30s);
  advance(30s);
  o = only("k");
  EXPECT_EQ(o.consecutiveErrors, 0);
  EXPECT_EQ(o.consecutivePasses, 2);

  prom->answer("errors", PromStub::vector("0.03"));  // a warning resets passes, and is no error
  advance(30s);
  o = only("k");
  EXPECT_EQ(o.result, GateResult::Warning);
  EXPECT_EQ(o.consecutivePasses, 0);
  EXPECT_EQ(o.consecutiveErrors, 0);
}

TEST_F(EvaluatorTest, NoDataCountsAsPassOnlyWithOnNoDataPass) {
  start();
  prom->answer("quiet", PromStub::emptyVector());
  prom->answer("nan", PromStub::vector("NaN"));
  want("pass", request({gate("a", "quiet", rollout::OnNoData::Pass), gate("b", "nan", rollout::OnNoData::Pass)}));
  want("hold", request({gate("a", "quiet", rollout::OnNoData::Hold), gate("b", "nan", rollout::OnNoData::Hold)}));
  advance(30s);
  for (const auto& o : ev->observe("pass")) {
    EXPECT_EQ(o.result, GateResult::NoData) << o.name;
    EXPECT_EQ(o.consecutivePasses, 2) << o.name;
  }
  for (const auto& o : ev->observe("hold")) {
    EXPECT_EQ(o.result, GateResult::NoData) << o.name;
    EXPECT_EQ(o.consecutivePasses, 0) << o.name;
  }
  EXPECT_EQ(ev->observe("pass").size(), 2u);
}

TEST_F(EvaluatorTest, ForgetStopsEvaluation) {
  start();
  prom->answer("errors_ok", PromStub::vector("0.01"));
  want("k", request({gate("error-rate", "errors_ok")}));
  ev->forget("k");
  advance(60s);
  EXPECT_EQ(prom->count("errors_ok"), 1);
  EXPECT_TRUE(ev->observe("k").empty());
  EXPECT_TRUE(ev->snapshot().empty());
  EXPECT_EQ(results.of("k"), 1);
}

TEST_F(EvaluatorTest, HungQueryForOneRolloutDoesNotDelayAnother) {
  start();
  prom->hang("stuck");
  prom->answer("stuck", PromStub::vector("0.01"));
  prom->answer("errors_ok", PromStub::vector("0.01"));
  ev->want("team-a/hung", request({gate("error-rate", "stuck")}));
  ASSERT_TRUE(prom->waitHanging(1));

  ev->want("team-b/fine", request({gate("error-rate", "errors_ok")}));
  ASSERT_TRUE(results.waitFor("team-b/fine", 1)) << "B waited for A's hung query";
  EXPECT_EQ(only("team-b/fine").result, GateResult::Passed);
  EXPECT_TRUE(ev->observe("team-a/hung").empty());

  // B keeps its schedule; A is not queried again while its query hangs (no pile-up of threads).
  for (int i = 1; i <= 5; ++i) {
    clock->advance(30s);
    ASSERT_TRUE(results.waitFor("team-b/fine", 1 + i));
  }
  EXPECT_EQ(prom->count("stuck"), 1);

  prom->release();
  ASSERT_TRUE(results.waitFor("team-a/hung", 1));
  ASSERT_TRUE(ev->waitIdle(5s));
  EXPECT_EQ(only("team-a/hung").result, GateResult::Passed);
}

TEST_F(EvaluatorTest, AnswerToAnOutdatedRequestIsDropped) {
  start();
  prom->hang("errors", 1);
  prom->answer("errors", PromStub::vector("0.01"));
  auto r = request({gate("error-rate", "errors")});
  ev->want("k", r);
  ASSERT_TRUE(prom->waitHanging(1));
  clock->advance(5s);
  r.since = clock->now();  // the step moved on while the first query hung
  ev->want("k", r);
  EXPECT_EQ(prom->count("errors"), 1) << "a key is never evaluated twice at once";

  prom->release();
  ASSERT_TRUE(results.waitFor("k", 1));
  ASSERT_TRUE(ev->waitIdle(5s));
  EXPECT_EQ(prom->count("errors"), 2) << "the changed request is evaluated once the old one returns";
  auto o = only("k");
  EXPECT_EQ(o.evaluatedAt, r.since);
  EXPECT_EQ(o.consecutivePasses, 1);
  EXPECT_EQ(results.of("k"), 1) << "no callback for the dropped answer";
}

TEST_F(EvaluatorTest, MissingSecretIsAPermanentErrorNamingIt) {
  start();
  prom->answer("errors_ok", PromStub::vector("0.01"));
  auto r = request({gate("error-rate", "errors_ok"), gate("latency", "errors_ok")});
  r.prometheus.bearerTokenSecretRef = rollout::SecretKeyRef{"prom-token", "token"};
  want("k", r);
  auto obs = ev->observe("k");
  ASSERT_EQ(obs.size(), 2u);
  for (const auto& o : obs) {
    EXPECT_EQ(o.result, GateResult::Error);
    EXPECT_TRUE(o.permanent);
    EXPECT_NE(o.message.find("Secret team-a/prom-token"), std::string::npos) << o.message;
    EXPECT_NE(o.message.find("key \"token\""), std::string::npos) << o.message;
  }
  EXPECT_EQ(prom->count("errors_ok"), 0) << "queried without the configured token";
  EXPECT_EQ(results.of("k"), 1);

  // The Secret appears: the next evaluation recovers without a new request.
  {
    std::lock_guard l(secretsMu);
    secrets.insert_or_assign("team-a/prom-token/token", Result<std::string>(std::string("tok-9f3a\n")));
  }
  advance(30s);
  obs = ev->observe("k");
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_EQ(obs[0].result, GateResult::Passed) << obs[0].message;
  EXPECT_FALSE(obs[0].permanent);
}

// KubeClient::secretValue says a key is missing by the error's kind, with no HTTP status.
TEST_F(EvaluatorTest, AMissingKeyByKindIsPermanentToo) {
  start();
  secrets.insert_or_assign("team-a/prom-token/token",
                           Result<std::string>(Error::notFound("Secret team-a/prom-token has no key \"token\"")));
  auto r = request({gate("error-rate", "errors_ok")});
  r.prometheus.bearerTokenSecretRef = rollout::SecretKeyRef{"prom-token", "token"};
  want("k", r);
  auto o = only("k");
  EXPECT_EQ(o.result, GateResult::Error);
  EXPECT_TRUE(o.permanent);
  EXPECT_EQ(o.message,
            R"(error-rate: cannot read the bearer token from Secret team-a/prom-token key "token": Secret team-a/prom-token has no key "token")");
  EXPECT_TRUE(prom->requests().empty());
}

TEST_F(EvaluatorTest, SecretReadFailureOtherThanNotFoundIsTransient) {
  start();
  secrets.insert_or_assign("team-a/prom-token/token",
                           Result<std::string>(Error::of("GET https://api: connect failed", http::kConnectFailed)));
  auto r = request({gate("error-rate", "errors_ok")});
  r.prometheus.bearerTokenSecretRef = rollout::SecretKeyRef{"prom-token", "token"};
  want("k", r);
  auto o = only("k");
  EXPECT_EQ(o.result, GateResult::Error);
  EXPECT_FALSE(o.permanent);
  EXPECT_NE(o.message.find("Secret team-a/prom-token"), std::string::npos) << o.message;
}

TEST_F(EvaluatorTest, BearerTokenFromSecretIsSentAndNeverShown) {
  start();
  secrets.insert_or_assign("team-a/prom-token/token", Result<std::string>(std::string("tok-9f3a\n")));
  prom->answer("errors", "denied: Authorization: Bearer tok-9f3a", 401);
  auto r = request({gate("error-rate", "errors")});
  r.prometheus.bearerTokenSecretRef = rollout::SecretKeyRef{"prom-token", "token"};
  r.prometheus.timeout = 1500ms;
  want("k", r);
  auto reqs = prom->requests();
  ASSERT_EQ(reqs.size(), 1u);
  bool sent = false;
  for (const auto& [k, v] : reqs[0].headers) sent |= k == "Authorization" && v == "Bearer tok-9f3a";
  EXPECT_TRUE(sent) << "token sent trimmed of the file's newline";
  EXPECT_EQ(reqs[0].timeout, 1500ms) << "per-request timeout from spec.prometheus.timeout";
  EXPECT_NE(reqs[0].cancel, nullptr) << "shutdown can abort the request";
  auto o = only("k");
  EXPECT_EQ(o.result, GateResult::Error);
  EXPECT_EQ(o.message.find("tok-9f3a"), std::string::npos) << o.message;
  for (const auto& s : ev->snapshot())
    for (const auto& g : s.gates) EXPECT_EQ(g.message.find("tok-9f3a"), std::string::npos);
}

TEST_F(EvaluatorTest, CaFromSecretBuildsAVerifyingTransport) {
  start();
  secrets.insert_or_assign("team-a/prom-ca/ca.crt",
                           Result<std::string>(std::string("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")));
  prom->answer("errors_ok", PromStub::vector("0.01"));
  auto r = request({gate("error-rate", "errors_ok")});
  r.prometheus.address = "https://prometheus.team-a:9091";
  r.prometheus.caSecretRef = rollout::SecretKeyRef{"prom-ca", "ca.crt"};
  want("k", r);
  advance(30s);
  ASSERT_EQ(tlsSeen.size(), 1u) << "one transport per CA, reused across evaluations";
  EXPECT_NE(tlsSeen[0].caPem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_FALSE(tlsSeen[0].insecureSkipVerify);
  EXPECT_EQ(prom->requests()[0].url.rfind("https://prometheus.team-a:9091/api/v1/query?", 0), 0u);
}

TEST_F(EvaluatorTest, AddressFromSpecElseDefaultElsePermanentError) {
  start();
  prom->answer("errors_ok", PromStub::vector("0.01"));
  auto r = request({gate("error-rate", "errors_ok")});
  want("default", r);
  r.prometheus.address = "http://other:9090";
  want("own", r);
  auto reqs = prom->requests();
  ASSERT_EQ(reqs.size(), 2u);
  std::vector<std::string> urls{reqs[0].url, reqs[1].url};
  std::sort(urls.begin(), urls.end());
  EXPECT_EQ(urls[0].rfind("http://other:9090/api/v1/query?", 0), 0u) << urls[0];
  EXPECT_EQ(urls[1].rfind("http://prometheus.monitoring:9090/api/v1/query?", 0), 0u) << urls[1];
}

TEST_F(EvaluatorTest, NoAddressAnywhereIsAPermanentError) {
  start(/*defaultAddress=*/"");
  want("k", request({gate("error-rate", "errors_ok")}));
  auto o = only("k");
  EXPECT_EQ(o.result, GateResult::Error);
  EXPECT_TRUE(o.permanent);
  EXPECT_EQ(o.message,
            "error-rate: no Prometheus address: set spec.prometheus.address or --default-prometheus-address");
  EXPECT_TRUE(prom->requests().empty());
}

TEST_F(EvaluatorTest, ChangedGateSetEvaluatesAtOnceAndKeepsUnchangedSeries) {
  start();
  prom->answer("errors_ok", PromStub::vector("0.01"));
  prom->answer("latency_ok", PromStub::vector("0.001"));
  auto r = request({gate("error-rate", "errors_ok")});
  want("k", r);
  advance(30s);
  r.gates.push_back(gate("latency", "latency_ok"));
  want("k", r);  // same since: not a new series
  auto obs = ev->observe("k");
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_EQ(obs[0].consecutivePasses, 3);
  EXPECT_EQ(obs[1].consecutivePasses, 1);

  r.gates[0].query = "latency_ok";  // a changed query starts its series afresh
  want("k", r);
  EXPECT_EQ(ev->observe("k")[0].consecutivePasses, 1);
}

TEST_F(EvaluatorTest, ChangedIntervalReschedulesWithoutEvaluating) {
  start();
  prom->answer("errors_ok", PromStub::vector("0.01"));
  auto r = request({gate("error-rate", "errors_ok")});
  want("k", r);
  r.interval = 10s;
  want("k", r);
  EXPECT_EQ(prom->count("errors_ok"), 1);
  advance(10s);
  EXPECT_EQ(prom->count("errors_ok"), 2);
}

TEST_F(EvaluatorTest, ALongerIntervalIsWaitedForInFull) {
  start();
  prom->answer("errors_ok", PromStub::vector("0.01"));
  auto r = request({gate("error-rate", "errors_ok")});
  want("k", r);
  r.interval = 60s;
  want("k", r);
  advance(30s);  // the old interval's wake-up: not due any more
  EXPECT_EQ(prom->count("errors_ok"), 1);
  EXPECT_EQ(results.of("k"), 1);
  advance(29s);
  EXPECT_EQ(prom->count("errors_ok"), 1);
  advance(1s);
  EXPECT_EQ(prom->count("errors_ok"), 2) << "due 60 s after the previous evaluation started";
}

// Every subscriber hears of each kept answer, in the order subscribed; a listener that throws
// costs neither the others nor the key's schedule.
TEST_F(EvaluatorTest, EveryListenerIsCalledAfterEachEvaluation) {
  Results viaOption;
  Results other;
  start("http://prometheus.monitoring:9090");
  ev->subscribe([&](const std::string& key) { viaOption(key); });
  ev->subscribe([](const std::string&) { throw std::runtime_error("listener failed"); });
  ev->subscribe([&](const std::string& key) { other(key); });
  prom->answer("errors_ok", PromStub::vector("0.01"));
  want("k", request({gate("error-rate", "errors_ok")}));
  EXPECT_EQ(viaOption.of("k"), 1);
  EXPECT_EQ(results.of("k"), 1);
  EXPECT_EQ(other.of("k"), 1);
  advance(30s);
  EXPECT_EQ(prom->count("errors_ok"), 2) << "on schedule despite the throwing listener";
  EXPECT_EQ(viaOption.of("k"), 2);
  EXPECT_EQ(results.of("k"), 2);
  EXPECT_EQ(other.of("k"), 2);
  ev.reset();  // before the Results it calls go
}

// Shutdown is bounded by the transport's abort, not by Prometheus: the destructor cancels the
// query that hangs, and its answer reaches no listener.
TEST_F(EvaluatorTest, DestructionCancelsAHungQuery) {
  start();
  prom->hang("stuck");
  prom->answer("stuck", PromStub::vector("0.01"));
  ev->want("k", request({gate("error-rate", "stuck")}));
  ASSERT_TRUE(prom->waitHanging(1));
  ev.reset();  // never released
  EXPECT_EQ(prom->cancelled(), 1);
  EXPECT_EQ(results.of("k"), 0);
}

TEST_F(EvaluatorTest, SnapshotListsEveryKeyForMetrics) {
  start();
  prom->answer("errors_ok", PromStub::vector("0.01"));
  prom->answer("errors_high", PromStub::vector("0.2"));
  want("a/x", request({gate("error-rate", "errors_ok")}));
  want("b/y", request({gate("error-rate", "errors_high")}));
  auto s = ev->snapshot();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].key, "a/x");
  EXPECT_EQ(s[0].gates.at(0).result, GateResult::Passed);
  EXPECT_EQ(s[1].key, "b/y");
  EXPECT_EQ(s[1].gates.at(0).value, 0.2);
  EXPECT_EQ(s[1].gates.at(0).result, GateResult::Critical);
}

}  // namespace
}  // namespace fro::gates
