// CurlTransport against a loopback server (tests/http/test_server.py): plain HTTP, HTTPS with a
// throwaway CA, mutual TLS, a certificate for another name, chunked streams with chosen chunking.
#include "runtime/http/CurlTransport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/http/TestServer.h"

namespace fro::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

testing::TestServer& server() {
  static testing::TestServer* s = [] {
    // Loopback must never go through a proxy from the environment.
    setenv("NO_PROXY", "*", 1);
    setenv("no_proxy", "*", 1);
    return new testing::TestServer(FRO_HTTP_TEST_SERVER);
  }();
  return *s;
}

std::string unusedUrl() { return "http://127.0.0.1:" + std::to_string(testing::unusedPort()) + "/x"; }

// Destroys the server (ends the child) when the test program exits normally.
struct ServerReaper {
  ~ServerReaper() { delete &server(); }
};

class CurlTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server();
    static ServerReaper reaper;
  }

  TlsConfig trusting() const {
    TlsConfig t;
    t.caPem = server().caPem;
    return t;
  }

  static HttpRequest get(std::string url) {
    HttpRequest r;
    r.url = std::move(url);
    r.timeout = 10s;
    return r;
  }

  static HttpRequest chunks(std::string url, json spec) {
    HttpRequest r;
    r.method = "POST";
    r.url = std::move(url);
    r.body = spec.dump();
    r.headers = {{"Content-Type", "application/json"}};
    r.timeout = 10s;
    return r;
  }

  static long ms(Clock::duration d) { return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); }
};

// ---- plain HTTP: requests and responses ----

TEST_F(CurlTransportTest, GetReturnsStatusLowerCasedHeadersAndBody) {
  CurlTransport t{TlsConfig{}};
  auto req = get(server().http("/echo?x=1"));
  req.headers = {{"X-Custom", "abc"}, {"Accept", "application/json"}, {"X-Empty", ""}};
  auto r = t.send(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  for (const auto& [k, v] : r->headers)
    for (char c : k) EXPECT_FALSE(c >= 'A' && c <= 'Z') << "header name not lower-cased: " << k;
  EXPECT_EQ(r->header("x-test"), "yes");
  EXPECT_EQ(r->header("X-Mixed-Case-Header"), "Value With Spaces");
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_FALSE(r->header("x-absent").has_value());
  auto j = json::parse(r->body);
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/echo?x=1");
  EXPECT_EQ(j["headers"]["x-custom"], "abc");
  EXPECT_EQ(j["headers"]["accept"], "application/json");
  EXPECT_EQ(j["headers"]["x-empty"], "");
  EXPECT_EQ(j["headers"]["user-agent"], "feature-rollout-operator");
}

TEST_F(CurlTransportTest, PostPutPatchDeleteSendBodyAndHeaders) {
  CurlTransport t{TlsConfig{}};
  for (std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    HttpRequest req = get(server().http("/echo"));
    req.method = method;
    req.body = R"({"spec":{"replicas":3}})" + std::string(3000, ' ');  // > 1 KiB: no Expect: 100-continue
    req.headers = {{"Content-Type", "application/merge-patch+json"}, {"Authorization", "Bearer abc"}};
    auto r = t.send(req);
    ASSERT_TRUE(r.ok()) << method << ": " << r.error().message;
    EXPECT_EQ(r->status, 200);
    auto j = json::parse(r->body);
    EXPECT_EQ(j["method"], method);
    EXPECT_EQ(j["body"], req.body);
    EXPECT_EQ(j["headers"]["content-type"], "application/merge-patch+json");
    EXPECT_EQ(j["headers"]["content-length"], std::to_string(req.body.size()));
    EXPECT_EQ(j["headers"]["authorization"], "Bearer abc");
    EXPECT_FALSE(j["headers"].contains("expect"));
  }
}

TEST_F(CurlTransportTest, PostWithoutBodyOrContentTypeSendsNeither) {
  CurlTransport t{TlsConfig{}};
  HttpRequest req = get(server().http("/echo"));
  req.method = "POST";
  auto r = t.send(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto j = json::parse(r->body);
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["headers"]["content-length"], "0");
  EXPECT_FALSE(j["headers"].contains("content-type"));
}

TEST_F(CurlTransportTest, HeadReturnsHeadersOnly) {
  CurlTransport t{TlsConfig{}};
  HttpRequest req = get(server().http("/echo"));
  req.method = "HEAD";
  auto r = t.send(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  EXPECT_TRUE(r->header("content-length").has_value());
}

TEST_F(CurlTransportTest, NotFoundAndServerErrorAreResponsesNotErrors) {
  CurlTransport t{TlsConfig{}};
  for (int code : {404, 500, 409, 429}) {
    auto r = t.send(get(server().http("/status/" + std::to_string(code))));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, code);
    EXPECT_EQ(r->body, "status " + std::to_string(code));
  }
}

TEST_F(CurlTransportTest, SendReusesThePooledConnection) {
  CurlTransport t{TlsConfig{}};
  auto a = t.send(get(server().http("/echo")));
  auto b = t.send(get(server().http("/echo")));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(json::parse(a->body)["client_port"], json::parse(b->body)["client_port"]);
  EXPECT_EQ(t.idleHandles(), 1u);
}

TEST_F(CurlTransportTest, PoolIsBoundedAndFailedHandlesAreDropped) {
  CurlTransport::Options o;
  o.maxIdleHandles = 2;
  CurlTransport t{TlsConfig{}, o};
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i)
    ts.emplace_back([&] { EXPECT_TRUE(t.send(get(server().http("/sleep?ms=100"))).ok()); });
  for (auto& th : ts) th.join();
  EXPECT_EQ(t.idleHandles(), 2u);
  auto r = t.send(get(unusedUrl()));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(t.idleHandles(), 1u);  // the handle that failed was not returned
}

// ---- streams ----

struct Lines {
  std::vector<std::string> lines;
  std::vector<Clock::time_point> at;
  int stopAfter = -1;
  std::function<bool(std::string_view)> fn() {
    return [this](std::string_view l) {
      lines.emplace_back(l);
      at.push_back(Clock::now());
      return stopAfter < 0 || static_cast<int>(lines.size()) < stopAfter;
    };
  }
};

TEST_F(CurlTransportTest, StreamDeliversLinesArrivingInSeparateChunks) {
  CurlTransport t{TlsConfig{}};
  Lines got;
  auto r = t.stream(chunks(server().http("/chunks"), {{"chunks", {"{\"a\":1}\n", "{\"a\":2}\n", "{\"a\":3}\n"}},
                                                         {"delay_ms", 20}}),
                    got.fn());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("transfer-encoding"), "chunked");
  EXPECT_EQ(got.lines, (std::vector<std::string>{"{\"a\":1}", "{\"a\":2}", "{\"a\":3}"}));
  EXPECT_TRUE(r->body.empty());
}

TEST_F(CurlTransportTest, StreamJoinsLinesSplitAcrossChunksAndStripsCarriageReturns) {
  CurlTransport t{TlsConfig{}};
  Lines got;
  auto r = t.stream(chunks(server().http("/chunks"),
                           {{"chunks", {"l1\nl2\nl", "3\nl4", "\nl5\r", "\n", "\n", "l6\r\n"}}, {"delay_ms", 10}}),
                    got.fn());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(got.lines, (std::vector<std::string>{"l1", "l2", "l3", "l4", "l5", "", "l6"}));
}

TEST_F(CurlTransportTest, StreamHandsOverEachLineAsSoonAsItIsComplete) {
  // "first" is complete in the first chunk; "second" is split mid-way with 400 ms between halves.
  CurlTransport t{TlsConfig{}};
  Lines got;
  auto start = Clock::now();
  auto r = t.stream(chunks(server().http("/chunks"), {{"chunks", {"first\nsec", "ond\n"}}, {"delay_ms", 400}}),
                    got.fn());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(got.lines, (std::vector<std::string>{"first", "second"}));
  // Had "first" been held back until more data came, both would arrive together.
  EXPECT_GE(ms(got.at[1] - got.at[0]), 200) << "first line was not delivered before the next chunk";
  EXPECT_GE(ms(got.at[1] - start), 400) << "second line delivered before its second half arrived";
}

TEST_F(CurlTransportTest, StreamDeliversAFinalUnterminatedLine) {
  CurlTransport t{TlsConfig{}};
  Lines got;
  auto r = t.stream(chunks(server().http("/chunks"), {{"chunks", {"a\n", "ta", "il"}}}), got.fn());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(got.lines, (std::vector<std::string>{"a", "tail"}));
}

TEST_F(CurlTransportTest, StreamStopsPromptlyWhenOnLineSaysSo) {
  // The server would keep the stream open for 30 s after five lines.
  CurlTransport t{TlsConfig{}};
  Lines got;
  got.stopAfter = 2;
  auto start = Clock::now();
  auto r = t.stream(chunks(server().http("/chunks"), {{"chunks", {"1\n", "2\n", "3\n4\n5\n"}}, {"hang_after", true}}),
                    got.fn());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(got.lines, (std::vector<std::string>{"1", "2"}));
  EXPECT_LT(ms(Clock::now() - start), 2000);
}

TEST_F(CurlTransportTest, StreamWithErrorStatusReturnsTheWholeBody) {
  CurlTransport t{TlsConfig{}};
  Lines got;
  auto r = t.stream(chunks(server().http("/chunks"),
                           {{"status", 410}, {"chunks", {"{\"kind\":\"Status\",\n", "\"code\":410}\n"}}}),
                    got.fn());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 410);
  EXPECT_EQ(r->body, "{\"kind\":\"Status\",\n\"code\":410}\n");
  EXPECT_TRUE(got.lines.empty());
}

TEST_F(CurlTransportTest, StreamIdleTimeoutFiresOnAStalledStream) {
  CurlTransport t{TlsConfig{}};
  Lines got;
  auto req = chunks(server().http("/chunks"), {{"chunks", {"a\n", "b\n"}}, {"hang_after", true}});
  req.idleTimeout = 300ms;
  auto start = Clock::now();
  auto r = t.stream(req, got.fn());
  auto took = ms(Clock::now() - start);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kTimedOut);
  EXPECT_NE(r.error().message.find("idle"), std::string::npos) << r.error().message;
  EXPECT_EQ(got.lines, (std::vector<std::string>{"a", "b"}));
  EXPECT_GE(took, 300);
  EXPECT_LT(took, 1500);
}

TEST_F(CurlTransportTest, StreamTimeoutBoundsHeadersOnly) {
  CurlTransport t{TlsConfig{}};
  // No headers: the timeout fires.
  auto hang = get(server().http("/hang"));
  hang.timeout = 300ms;
  Lines got;
  auto start = Clock::now();
  auto r = t.stream(hang, got.fn());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kTimedOut);
  EXPECT_LT(ms(Clock::now() - start), 1500);
  // Headers in time: a body that takes longer than the timeout is fine.
  auto slow = chunks(server().http("/chunks"), {{"chunks", {"a\n", "b\n", "c\n"}}, {"delay_ms", 250}});
  slow.timeout = 300ms;
  auto ok = t.stream(slow, got.fn());
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(got.lines.size(), 3u);
}

TEST_F(CurlTransportTest, OnLineThrowingBecomesAnError) {
  CurlTransport t{TlsConfig{}};
  auto r = t.stream(chunks(server().http("/chunks"), {{"chunks", {"a\n"}}}),
                    [](std::string_view) -> bool { throw std::runtime_error("boom"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kOtherTransportError);
  EXPECT_NE(r.error().message.find("boom"), std::string::npos);
}

// ---- transport failures ----

TEST_F(CurlTransportTest, ConnectRefusedIsConnectFailedAndNamesHostPortButNotHeaders) {
  CurlTransport t{TlsConfig{}};
  const int port = testing::unusedPort();
  auto req = get("http://127.0.0.1:" + std::to_string(port) + "/api/v1/secrets?token=q");
  req.headers = {{"Authorization", "Bearer sekret-token"}};
  auto r = t.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kConnectFailed);
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("sekret"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("Connection refused"), std::string::npos) << "the OS's reason: " << r.error().message;
  Lines got;
  auto s = t.stream(req, got.fn());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, kConnectFailed);
}

TEST_F(CurlTransportTest, SendTimeoutIsTimedOut) {
  CurlTransport t{TlsConfig{}};
  auto req = get(server().http("/sleep?ms=5000"));
  req.timeout = 300ms;
  auto start = Clock::now();
  auto r = t.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kTimedOut);
  EXPECT_LT(ms(Clock::now() - start), 1500);
}

// ---- response size limit (HttpRequest::maxResponseBytes) ----

TEST_F(CurlTransportTest, ABodyLargerThanTheLimitWithoutContentLengthIsCutOffNamingTheLimit) {
  CurlTransport t{TlsConfig{}};
  auto req = get(server().http("/big?bytes=20000000&length=0"));  // 20 MB, ends at close
  req.maxResponseBytes = 1024 * 1024;
  auto start = Clock::now();
  auto r = t.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kResponseTooLarge);
  EXPECT_EQ(r.error().reason, "ResponseTooLarge");
  EXPECT_NE(r.error().message.find("1048576 bytes"), std::string::npos) << r.error().message;
  EXPECT_LT(ms(Clock::now() - start), 5000);
  EXPECT_EQ(t.idleHandles(), 0u) << "the cut-off connection is not kept";
  // The transport stays usable.
  auto next = t.send(get(server().http("/status/200")));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->status, 200);
}

TEST_F(CurlTransportTest, AContentLengthAboveTheLimitIsRefusedBeforeTheBody) {
  CurlTransport t{TlsConfig{}};
  auto req = get(server().http("/big?bytes=50000000"));
  req.maxResponseBytes = 4 * 1024 * 1024;
  auto r = t.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kResponseTooLarge);
  EXPECT_NE(r.error().message.find("Content-Length 50000000"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("4194304 bytes"), std::string::npos) << r.error().message;
  // Over HTTPS and on an error status the same.
  CurlTransport tls{trusting()};
  auto s = tls.send([&] {
    auto q = get(server().https("/big?bytes=3000000&length=0&status=502"));
    q.maxResponseBytes = 100000;
    return q;
  }());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, kResponseTooLarge);
}

TEST_F(CurlTransportTest, BodiesUpToTheLimitAreReturnedWholeAndNoLimitMeansNone) {
  CurlTransport t{TlsConfig{}};
  for (const char* length : {"1", "0"}) {
    auto req = get(server().http(std::string("/big?bytes=100000&length=") + length));
    req.maxResponseBytes = 100000;  // exactly the body
    auto r = t.send(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->body.size(), 100000u);
  }
  auto unlimited = t.send(get(server().http("/big?bytes=6000000&length=0")));
  ASSERT_TRUE(unlimited.ok()) << unlimited.error().message;
  EXPECT_EQ(unlimited->body.size(), 6000000u);
}

TEST_F(CurlTransportTest, InvalidUrlAndHeaderInjectionAreRejected) {
  CurlTransport t{TlsConfig{}};
  auto bad = t.send(get("ftp://example.invalid/x"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kOtherTransportError);
  auto req = get(server().http("/echo"));
  req.headers = {{"X-Evil", "a\r\nInjected: yes"}};
  auto inj = t.send(req);
  ASSERT_FALSE(inj.ok());
  EXPECT_EQ(inj.error().code, kOtherTransportError);
  EXPECT_EQ(inj.error().message.find("Injected"), std::string::npos);
}

TEST_F(CurlTransportTest, CancelAbortsAHangingSendQuickly) {
  CurlTransport t{TlsConfig{}};
  std::atomic<bool> cancel{false};
  auto req = get(server().http("/hang"));
  req.timeout = 0ms;  // no deadline: only the cancel flag can end it
  req.cancel = &cancel;
  Clock::time_point cancelledAt;
  std::thread canceller([&] {
    std::this_thread::sleep_for(300ms);
    cancelledAt = Clock::now();
    cancel = true;
  });
  auto r = t.send(req);
  auto done = Clock::now();
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kCancelled);
  std::cout << "[          ] send cancel took " << ms(done - cancelledAt) << " ms\n";
  EXPECT_LT(ms(done - cancelledAt), 400);
}

TEST_F(CurlTransportTest, CancelAbortsAStreamQuicklyAndBeforeStart) {
  CurlTransport t{TlsConfig{}};
  std::atomic<bool> cancel{false};
  auto req = chunks(server().http("/chunks"), {{"chunks", {"a\n"}}, {"hang_after", true}});
  req.cancel = &cancel;
  Lines got;
  Clock::time_point cancelledAt;
  std::thread canceller([&] {
    std::this_thread::sleep_for(300ms);
    cancelledAt = Clock::now();
    cancel = true;
  });
  auto r = t.stream(req, got.fn());
  auto done = Clock::now();
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kCancelled);
  EXPECT_EQ(got.lines, (std::vector<std::string>{"a"}));
  std::cout << "[          ] stream cancel took " << ms(done - cancelledAt) << " ms\n";
  EXPECT_LT(ms(done - cancelledAt), 400);

  auto again = t.send(req);  // flag already set
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, kCancelled);
}

// ---- TLS ----

TEST_F(CurlTransportTest, HttpsWithTheRightCaSucceeds) {
  CurlTransport t{trusting()};
  for (std::string host : {"127.0.0.1", "localhost"}) {
    auto r = t.send(get(server().https("/echo", host)));
    ASSERT_TRUE(r.ok()) << host << ": " << r.error().message;
    EXPECT_EQ(r->status, 200);
  }
  Lines got;
  auto s = t.stream(get(server().https("/watch?n=20")), got.fn());
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(got.lines.size(), 20u);
  EXPECT_EQ(json::parse(got.lines[19])["object"]["metadata"]["name"], "o19");
}

TEST_F(CurlTransportTest, HttpsWithAWrongCaIsTlsFailedMentioningTheCertificate) {
  TlsConfig tls;
  tls.caPem = server().otherCaPem;
  CurlTransport t{tls};
  auto r = t.send(get(server().https("/echo")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kTlsFailed);
  EXPECT_NE(r.error().message.find("certificate"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(server().httpsPort)), std::string::npos);
  Lines got;
  auto s = t.stream(get(server().https("/watch")), got.fn());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, kTlsFailed);
}

TEST_F(CurlTransportTest, HttpsWithTheSystemStoreRejectsTheTestCa) {
  CurlTransport t{TlsConfig{}};
  auto r = t.send(get(server().https("/echo")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kTlsFailed);
}

TEST_F(CurlTransportTest, InsecureSkipVerifyAcceptsAWrongCaAndAWrongName) {
  TlsConfig tls;
  tls.caPem = server().otherCaPem;
  tls.insecureSkipVerify = true;
  CurlTransport t{tls};
  auto r = t.send(get(server().https("/echo")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  auto named = t.send(get(testing::TestServer::url("https", "127.0.0.1", server().namedPort, "/echo")));
  ASSERT_TRUE(named.ok()) << named.error().message;
}

TEST_F(CurlTransportTest, ClientCertificateIsPresented) {
  // TLS 1.2 server requiring a client certificate: without one the handshake itself fails.
  const auto url = testing::TestServer::url("https", "127.0.0.1", server().mtlsPort, "/echo");
  {
    CurlTransport t{trusting()};
    auto r = t.send(get(url));
    ASSERT_FALSE(r.ok()) << "server requires a client certificate";
    EXPECT_EQ(r.error().code, kTlsFailed) << r.error().message;
    EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(server().mtlsPort)), std::string::npos)
        << r.error().message;
  }
  TlsConfig tls = trusting();
  tls.clientCertPem = server().clientCertPem;
  tls.clientKeyPem = server().clientKeyPem;
  CurlTransport t{tls};
  auto r = t.send(get(url));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(json::parse(r->body)["client_cn"], "fro-test-client");
  Lines got;
  auto s = t.stream(chunks(testing::TestServer::url("https", "127.0.0.1", server().mtlsPort, "/chunks"),
                           {{"chunks", {"x\n", "y\n"}}}),
                    got.fn());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(got.lines, (std::vector<std::string>{"x", "y"}));
}

TEST_F(CurlTransportTest, ClientCertificateIsPresentedOverTls13) {
  // With TLS 1.3 the server checks the client certificate after the client has finished its side of
  // the handshake. Without a certificate curl then sees either the "certificate required" alert
  // (kTlsFailed) or, racing with the server closing the connection, a send/receive failure
  // (kOtherTransportError). Either way the request fails and never yields a response.
  const auto url = testing::TestServer::url("https", "127.0.0.1", server().mtls13Port, "/echo");
  {
    CurlTransport t{trusting()};
    for (int i = 0; i < 5; ++i) {
      auto r = t.send(get(url));
      ASSERT_FALSE(r.ok()) << "server requires a client certificate";
      EXPECT_TRUE(r.error().code == kTlsFailed || r.error().code == kOtherTransportError) << r.error().message;
    }
  }
  TlsConfig tls = trusting();
  tls.clientCertPem = server().clientCertPem;
  tls.clientKeyPem = server().clientKeyPem;
  CurlTransport t{tls};
  for (int i = 0; i < 3; ++i) {
    auto r = t.send(get(url));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(json::parse(r->body)["client_cn"], "fro-test-client");
  }
}

TEST_F(CurlTransportTest, ServerNameOverrideVerifiesThatNameWhileConnectingToTheUrlAddress) {
  const auto url = testing::TestServer::url("https", "127.0.0.1", server().namedPort, "/echo");
  {
    CurlTransport t{trusting()};
    auto r = t.send(get(url));
    ASSERT_FALSE(r.ok()) << "certificate is only valid for apiserver.fro.test";
    EXPECT_EQ(r.error().code, kTlsFailed);
  }
  TlsConfig tls = trusting();
  tls.serverName = "apiserver.fro.test";
  CurlTransport t{tls};
  auto r = t.send(get(url));
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto j = json::parse(r->body);
  EXPECT_EQ(j["sni"], "apiserver.fro.test");
  EXPECT_EQ(j["headers"]["host"], "127.0.0.1:" + std::to_string(server().namedPort));
  EXPECT_EQ(j["path"], "/echo");
  // Also for a URL naming the host ("localhost") and for streams.
  Lines got;
  auto s = t.stream(chunks(testing::TestServer::url("https", "localhost", server().namedPort, "/chunks"),
                           {{"chunks", {"ok\n"}}}),
                    got.fn());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(got.lines, (std::vector<std::string>{"ok"}));
}

// ---- concurrency ----

TEST_F(CurlTransportTest, ConcurrentRequestsFromEightThreads) {
  CurlTransport t{trusting()};
  std::atomic<int> okSends{0}, okStreams{0}, failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 15; ++k) {
        auto req = get((i % 2 ? server().https("/echo?t=") : server().http("/echo?t=")) + std::to_string(i) + "-" +
                       std::to_string(k));
        req.method = "POST";
        req.body = "thread " + std::to_string(i) + " request " + std::to_string(k);
        auto r = t.send(req);
        if (r.ok() && r->status == 200 && json::parse(r->body)["body"] == req.body)
          ++okSends;
        else
          ++failures;
        if (k % 5 == 0) {
          int n = 0;
          auto s = t.stream(get(server().https("/watch?n=10")), [&](std::string_view) { return ++n > 0; });
          if (s.ok() && n == 10)
            ++okStreams;
          else
            ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(okSends.load(), 8 * 15);
  EXPECT_EQ(okStreams.load(), 8 * 3);
  EXPECT_LE(t.idleHandles(), 8u);
}

}  // namespace
}  // namespace fro::http
