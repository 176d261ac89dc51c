// PrometheusClient against recorded Prometheus 2.42 responses (captured from the local control
// plane's Prometheus with curl) and scripted transport failures.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "runtime/common/Utf8.h"
#include "rollout/gates/PrometheusClient.h"
#include "tests/support/FakeTransport.h"

namespace fro::gates {
namespace {

using testing::FakeTransport;

constexpr const char* kVector007 =
    R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1795929885.762,"0.07"]}]}})";
constexpr const char* kScalar1 = R"({"status":"success","data":{"resultType":"scalar","result":[1795929885.771,"1"]}})";
constexpr const char* kVectorNaN =
    R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1795929885.778,"NaN"]}]}})";
constexpr const char* kVectorEmpty = R"({"status":"success","data":{"resultType":"vector","result":[]}})";
constexpr const char* kVectorInf =
    R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1795929885.805,"+Inf"]}]}})";
constexpr const char* kVectorTwo =
    R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"127.0.0.1:33561","job":"prometheus"},"value":[1795929885.830,"1"]},{"metric":{"__name__":"up","instance":"127.0.0.1:42007","job":"kube-apiserver"},"value":[1795929885.830,"1"]}]}})";
constexpr const char* kMatrix =
    R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"prometheus"},"values":[[1795929660,"0"],[1795929720,"0"]]}]}})";
constexpr const char* kBadData =
    R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:17: parse error: unexpected \u003cby\u003e in aggregation"})";

struct ClientTest : ::testing::Test {
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  PrometheusClient::Config config{.address = "http://prometheus.monitoring:9090", .timeout = std::chrono::milliseconds(2500)};

  Result<QueryValue> query(const std::string& q = "up") { return PrometheusClient(transport, config).query(q); }
};

TEST_F(ClientTest, OneSampleVectorIsItsValue) {
  transport->push(200, kVector007);
  auto r = query();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->value.has_value());
  EXPECT_DOUBLE_EQ(*r->value, 0.07);
  EXPECT_EQ(r->resultType, "vector");
}

TEST_F(ClientTest, ScalarIsItsValue) {
  transport->push(200, kScalar1);
  auto r = query();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->value, 1.0);
  EXPECT_EQ(r->resultType, "scalar");
}

TEST_F(ClientTest, EmptyVectorIsNoDataNotAnError) {
  transport->push(200, kVectorEmpty);
  auto r = query();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->value.has_value());
}

TEST_F(ClientTest, NaNAndInfinityParse) {
  transport->push(200, kVectorNaN);
  transport->push(200, kVectorInf);
  auto nan = query();
  ASSERT_TRUE(nan.ok()) << nan.error().message;
  EXPECT_TRUE(std::isnan(nan->value.value()));
  auto inf = query();
  ASSERT_TRUE(inf.ok()) << inf.error().message;
  EXPECT_TRUE(std::isinf(inf->value.value()) && *inf->value > 0);
}

TEST_F(ClientTest, MultiSampleVectorIsAnErrorNamingTheCount) {
  transport->push(200, kVectorTwo);
  auto r = query();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("returned 2 series"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("exactly one"), std::string::npos) << r.error().message;
}

TEST_F(ClientTest, MatrixIsAnUnsupportedResultType) {
  transport->push(200, kMatrix);
  auto r = query();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("matrix"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("scalar or an instant vector"), std::string::npos) << r.error().message;
}

TEST_F(ClientTest, PrometheusErrorCarriesPrometheusText) {
  transport->push(400, kBadData);
  auto r = query("sum(rate(x[5m]) by");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "Prometheus error bad_data (HTTP 400): invalid parameter \"query\": 1:17: parse error: unexpected <by> in "
            "aggregation");
  EXPECT_EQ(r.error().reason, "bad_data");
  EXPECT_EQ(r.error().code, 400);
}

TEST_F(ClientTest, Http503WithoutJsonNamesStatusAndBody) {
  transport->push(503, "Service Unavailable\n");
  auto r = query();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "Prometheus http://prometheus.monitoring:9090 answered HTTP 503: Service Unavailable");
  EXPECT_EQ(r.error().code, 503);
}

TEST_F(ClientTest, GarbageBodyIsAnErrorSayingNotJson) {
  transport->push(200, "<html><body>Welcome to nginx!</body></html>");
  auto r = query();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not JSON"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("Welcome to nginx!"), std::string::npos) << r.error().message;
}

TEST_F(ClientTest, JsonOfTheWrongShapeIsAnErrorNotAnException) {
  transport->push(200, R"({"status":"success","data":{"result":[]}})");
  transport->push(200, R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}})");
  transport->push(200, R"([1,2,3])");
  auto noType = query();
  ASSERT_FALSE(noType.ok());
  EXPECT_NE(noType.error().message.find("unexpected shape"), std::string::npos) << noType.error().message;
  auto notNumber = query();
  ASSERT_FALSE(notNumber.ok());
  EXPECT_NE(notNumber.error().message.find("not a number: \"abc\""), std::string::npos) << notNumber.error().message;
  EXPECT_FALSE(query().ok());
}

TEST_F(ClientTest, TimeoutSaysTimedOutAfterTheConfiguredTimeout) {
  transport->push(Error::of("GET http://prometheus.monitoring:9090: timed out: Operation timed out after 2500 milliseconds",
                            http::kTimedOut, "TimedOut"));
  auto r = query();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("Prometheus query timed out after 2500 ms"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().code, http::kTimedOut);
}

TEST_F(ClientTest, ConnectionRefusedSaysUnreachable) {
  transport->push(Error::of("GET http://prometheus.monitoring:9090: connect failed: Couldn't connect to server",
                            http::kConnectFailed, "ConnectFailed"));
  auto r = query();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "Prometheus unreachable: GET http://prometheus.monitoring:9090: connect failed: Couldn't connect to server");
}

TEST_F(ClientTest, RequestIsAnEncodedInstantQueryWithTheConfiguredTimeout) {
  transport->push(200, kScalar1);
  config.address = "https://mon.example.com/prometheus/";  // a path prefix is kept, the trailing / is not
  ASSERT_TRUE(query(R"(sum(rate(http_requests_total{code=~"5.."}[5m])) / 2 + 1)").ok());
  ASSERT_EQ(transport->requests.size(), 1u);
  const auto& req = transport->requests[0];
  EXPECT_EQ(req.method, "GET");
  // '+' must be %2B: a bare '+' in a query string decodes to a space.
  EXPECT_EQ(req.url,
            "https://mon.example.com/prometheus/api/v1/query?query="
            "sum%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29%20%2F%202%20%2B%201"
            "&timeout=2500ms");
  EXPECT_EQ(req.timeout, std::chrono::milliseconds(2500));
}

TEST_F(ClientTest, BearerHeaderOnlyWhenConfigured) {
  transport->push(200, kScalar1);
  transport->push(200, kScalar1);
  ASSERT_TRUE(query().ok());
  config.bearerToken = "tok-123";
  ASSERT_TRUE(query().ok());
  ASSERT_EQ(transport->requests.size(), 2u);
  for (const auto& [k, v] : transport->requests[0].headers) EXPECT_NE(k, "Authorization");
  int auth = 0;
  for (const auto& [k, v] : transport->requests[1].headers)
    if (k == "Authorization") {
      ++auth;
      EXPECT_EQ(v, "Bearer tok-123");
    }
  EXPECT_EQ(auth, 1);
}

TEST_F(ClientTest, MessagesNeverCarryTheTokenOrAddressCredentials) {
  config.bearerToken = "tok-secret-123";
  config.address = "http://admin:hunter2@prometheus:9090";
  // A proxy that echoes the request back in its error page.
  transport->push(401, "Unauthorized: Authorization: Bearer tok-secret-123 for admin:hunter2");
  transport->push(Error::of("GET http://admin:hunter2@prometheus:9090: connect failed", http::kConnectFailed));
  for (int i = 0; i < 2; ++i) {
    auto r = query();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.find("tok-secret-123"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("[redacted]"), std::string::npos) << r.error().message;
  }
}

// ---- bounded answers (issue 11, defect 9) ----

std::string vectorOfSeries(int n) {
  std::string body = R"({"status":"success","data":{"resultType":"vector","result":[)";
  for (int i = 0; i < n; ++i)
    body += (i ? "," : "") + std::string(R"({"metric":{"pod":"web-)") + std::to_string(i) +
            R"("},"value":[1795929885.7,"0.01"]})";
  return body + "]}}";
}

TEST_F(ClientTest, TheRequestCarriesTheSizeLimitByDefaultFourMiB) {
  transport->push(200, kScalar1);
  transport->push(200, kScalar1);
  ASSERT_TRUE(query().ok());
  config.maxResponseBytes = 12345;
  ASSERT_TRUE(query().ok());
  ASSERT_EQ(transport->requests.size(), 2u);
  EXPECT_EQ(transport->requests[0].maxResponseBytes, 4u * 1024 * 1024);
  EXPECT_EQ(transport->requests[1].maxResponseBytes, 12345u);
}

TEST_F(ClientTest, TheTransportRefusingAnOversizeAnswerIsAnErrorNamingTheLimit) {
  transport->push(Error::of("GET http://prometheus.monitoring:9090: response too large: the body is larger than the "
                            "limit of 4194304 bytes",
                            http::kResponseTooLarge, "ResponseTooLarge"));
  auto r = query();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, http::kResponseTooLarge);
  EXPECT_EQ(r.error().reason, "ResponseTooLarge");
  EXPECT_NE(r.error().message.find("larger than the limit of 4 MiB; a gate needs one sample: sum() the query"),
            std::string::npos)
      << r.error().message;
}

TEST_F(ClientTest, AnOversizeBodyFromATransportWithoutTheLimitIsNotParsed) {
  config.maxResponseBytes = 1000;
  transport->push(200, vectorOfSeries(1) + std::string(2000, ' '));  // valid JSON, one series, too long
  auto r = query();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "ResponseTooLarge");
  EXPECT_NE(r.error().message.find("limit of 1000 bytes"), std::string::npos) << r.error().message;
}

TEST_F(ClientTest, AVectorLongerThanTheSeriesLimitIsAnErrorNamingCountAndLimit) {
  config.maxResponseBytes = 0;  // only the series limit applies here
  transport->push(200, vectorOfSeries(832));
  auto r = query();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "answer has 832 series; the limit is 100 (sum() the query)");
  EXPECT_EQ(r.error().reason, "TooManySeries");
  config.maxSeries = 1000;  // within the limit: still not one sample
  transport->push(200, vectorOfSeries(832));
  auto within = query();
  ASSERT_FALSE(within.ok());
  EXPECT_NE(within.error().message.find("query returned 832 series"), std::string::npos) << within.error().message;
}

TEST_F(ClientTest, ASeriesLimitOfOneStillReadsTheOneSampleOrTheScalar) {
  config.maxSeries = 1;
  transport->push(200, kVector007);
  transport->push(200, kScalar1);
  auto r = query();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_DOUBLE_EQ(*r->value, 0.07);
  auto scalar = query();
  ASSERT_TRUE(scalar.ok()) << scalar.error().message;
  EXPECT_DOUBLE_EQ(*scalar->value, 1);
}

TEST_F(ClientTest, TheSeriesLimitIsCheckedBeforeTheOneSampleRule) {
  config.maxSeries = 1;
  transport->push(200, kVectorTwo);
  auto r = query();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "answer has 2 series; the limit is 1 (sum() the query)");
}

// ---- text from outside is valid UTF-8 (issue 11, defect 10) ----

bool valid(const std::string& s) { return Utf8::valid(s); }

TEST_F(ClientTest, AnHtmlErrorPageCutInsideACharacterGivesValidText) {
  std::string page = "<html><head><title>502 Bad Gateway</title></head><body><p>";
  page += std::string(199 - page.size(), 'x');
  page += "\xE2\x82\xAC and more text after the cut</p></body></html>";  // the excerpt ends inside the euro sign
  transport->push(502, page);
  auto r = query();
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  EXPECT_TRUE(valid(m)) << m;
  EXPECT_NE(m.find("answered HTTP 502: <html><head><title>502 Bad Gateway"), std::string::npos) << m;
  EXPECT_NE(m.find("xxx..."), std::string::npos) << "cut before the character, then ...: " << m;
  EXPECT_EQ(m.find("\xE2"), std::string::npos) << m;
}

TEST_F(ClientTest, RawInvalidBytesBecomeReplacementCharacters) {
  transport->push(200, "\xff\xfe not json \xc3\x28 caf\xc3\xa9");
  auto r = query();
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  EXPECT_TRUE(valid(m)) << m;
  EXPECT_NE(m.find("\xEF\xBF\xBD\xEF\xBF\xBD not json \xEF\xBF\xBD( caf\xC3\xA9"), std::string::npos) << m;
}

TEST(PrometheusClient, DisplayAddressDropsCredentialsAndQuery) {
  EXPECT_EQ(PrometheusClient::displayAddress("http://u:p@prom:9090/x/?a=b"), "http://prom:9090/x");
  EXPECT_EQ(PrometheusClient::displayAddress("https://prom.example.com"), "https://prom.example.com");
  EXPECT_EQ(PrometheusClient::displayAddress("http://prom:9090/a@b"), "http://prom:9090/a@b");
}

}  // namespace
}  // namespace fro::gates
