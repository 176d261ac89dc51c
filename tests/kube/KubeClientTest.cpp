// KubeClient against a scripted transport: paths, verbs, content types, error values, retries,
// paging and watch decoding, as a user of the client would observe them.
#include <gtest/gtest.h>

#include "runtime/kube/ApiError.h"
#include "runtime/kube/KubeClient.h"
#include "tests/support/FakeTransport.h"
#include "tests/support/ManualClock.h"

namespace fro::kube {
namespace {

using fro::testing::FakeTransport;
using fro::testing::ManualClock;
using namespace std::chrono_literals;

std::string headerOf(const http::HttpRequest& r, const std::string& name) {
  for (auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

class KubeClientTest : public ::testing::Test {
 protected:
  KubeClient make(KubeClient::Options o = {}) {
    if (o.server.empty()) o.server = "https://127.0.0.1:6443";
    return KubeClient(transport, o, clock, [this](std::chrono::nanoseconds d) {
      sleeps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(d));
      clock->advance(d);
    });
  }
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::vector<std::chrono::milliseconds> sleeps;
};

TEST_F(KubeClientTest, GetBuildsCoreAndGroupPaths) {
  auto c = make();
  transport->push(200, R"({"metadata":{"name":"flags"}})");
  transport->push(200, R"({"metadata":{"name":"web"}})");
  transport->push(200, R"({"metadata":{"name":"r1"}})");
  ASSERT_TRUE(c.get(Resource::configMaps(), "shop", "flags").ok());
  ASSERT_TRUE(c.get(Resource::deployments(), "shop", "web").ok());
  auto fr = c.get(Resource::featureRollouts(), "shop", "r1");
  ASSERT_TRUE(fr.ok());
  EXPECT_EQ((*fr)["metadata"]["name"], "r1");
  EXPECT_EQ(transport->requests[0].url, "https://127.0.0.1:6443/api/v1/namespaces/shop/configmaps/flags");
  EXPECT_EQ(transport->requests[1].url, "https://127.0.0.1:6443/apis/apps/v1/namespaces/shop/deployments/web");
  EXPECT_EQ(transport->requests[2].url,
            "https://127.0.0.1:6443/apis/rollouts.featureflags.dev/v1alpha1/namespaces/shop/featurerollouts/r1");
  EXPECT_EQ(Resource::namespaces().objectPath("ignored", "shop"), "/api/v1/namespaces/shop");
}

TEST_F(KubeClientTest, BearerTokenIsAskedForOnEveryRequest) {
  int calls = 0;
  KubeClient::Options o;
  o.bearerToken = [&] { return "tok-" + std::to_string(++calls); };
  auto c = make(o);
  transport->push(200, "{}");
  transport->push(200, "{}");
  ASSERT_TRUE(c.get(Resource::pods(), "a", "b").ok());
  ASSERT_TRUE(c.get(Resource::pods(), "a", "b").ok());
  EXPECT_EQ(headerOf(transport->requests[0], "Authorization"), "Bearer tok-1");
  EXPECT_EQ(headerOf(transport->requests[1], "Authorization"), "Bearer tok-2");
}

TEST_F(KubeClientTest, StatusObjectBecomesErrorValueWithReasonAndCauses) {
  auto c = make();
  transport->push(422, R"({"kind":"Status","apiVersion":"v1","status":"Failure",
    "message":"FeatureRollout.rollouts.featureflags.dev \"r1\" is invalid",
    "reason":"Invalid","code":422,
    "details":{"causes":[{"reason":"FieldValueInvalid","message":"must be at most 100","field":"spec.phases[0].steps[0].percent"}]}})");
  auto r = c.create(Resource::featureRollouts(), "shop", {{"metadata", {{"name", "r1"}}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 422);
  EXPECT_EQ(r.error().reason, "Invalid");
  EXPECT_TRUE(ApiError::isInvalid(r.error()));
  EXPECT_NE(r.error().message.find("spec.phases[0].steps[0].percent: must be at most 100"), std::string::npos)
      << r.error().message;
}

TEST_F(KubeClientTest, ErrorKindsAreRecognised) {
  auto c = make();
  transport->push(404, R"({"kind":"Status","reason":"NotFound","message":"configmaps \"x\" not found","code":404})");
  transport->push(409, R"({"kind":"Status","reason":"Conflict","message":"the object has been modified","code":409})");
  transport->push(409, R"({"kind":"Status","reason":"AlreadyExists","message":"exists","code":409})");
  transport->push(403, R"({"kind":"Status","reason":"Forbidden","message":"cannot get","code":403})");
  auto nf = c.get(Resource::configMaps(), "a", "x");
  auto cf = c.update(Resource::configMaps(), {{"metadata", {{"name", "x"}, {"namespace", "a"}}}});
  auto ae = c.create(Resource::configMaps(), "a", {{"metadata", {{"name", "x"}}}});
  auto fb = c.get(Resource::configMaps(), "a", "x");
  EXPECT_TRUE(ApiError::isNotFound(nf.error()));
  EXPECT_NE(nf.error().message.find("configmaps \"x\" not found"), std::string::npos);
  EXPECT_TRUE(ApiError::isConflict(cf.error()));
  EXPECT_TRUE(ApiError::isAlreadyExists(ae.error()));
  EXPECT_FALSE(ApiError::isConflict(ae.error()));
  EXPECT_TRUE(ApiError::isForbidden(fb.error()));
  EXPECT_EQ(transport->requests.size(), 4u) << "4xx must not be retried";
}

TEST_F(KubeClientTest, ErrorsSayWhatKindOfFailureTheyAre) {
  auto c = make();
  transport->push(404, R"({"kind":"Status","reason":"NotFound","message":"not found","code":404})");
  transport->push(422, R"({"kind":"Status","reason":"Invalid","message":"bad","code":422})");
  transport->push(403, R"({"kind":"Status","reason":"Forbidden","message":"cannot get","code":403})");
  transport->push(Error::of("connection refused", http::kConnectFailed));
  KubeClient::Options o;
  o.retry.maxRetries = 0;
  auto once = make(o);
  auto nf = c.get(Resource::configMaps(), "a", "x");
  auto inv = c.create(Resource::configMaps(), "a", {{"metadata", {{"name", "x"}}}});
  auto fb = c.get(Resource::configMaps(), "a", "x");
  auto down = once.get(Resource::configMaps(), "a", "x");
  EXPECT_EQ(nf.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(nf.error().code, 404);
  EXPECT_EQ(inv.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(inv.error().code, 422);
  EXPECT_EQ(fb.error().kind, ErrorKind::Http);
  EXPECT_EQ(fb.error().code, 403);
  EXPECT_EQ(down.error().kind, ErrorKind::Transport);
  EXPECT_EQ(down.error().code, http::kConnectFailed);
}

TEST_F(KubeClientTest, SecretValueIsDecodedAndNeverQuoted) {
  auto c = make();
  // "s3cr3t\n" and "not base64!" as the API server returns them.
  transport->push(200, R"({"kind":"Secret","metadata":{"name":"prom"},"data":{"token":"czNjcjN0Cg==","bad":"bm90!!"}})");
  transport->push(200, R"({"kind":"Secret","metadata":{"name":"prom"},"data":{"token":"czNjcjN0Cg==","bad":"bm90!!"}})");
  auto v = c.secretValue("shop", "prom", "token");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, "s3cr3t\n");
  EXPECT_EQ(transport->requests[0].url, "https://127.0.0.1:6443/api/v1/namespaces/shop/secrets/prom");
  auto bad = c.secretValue("shop", "prom", "bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(bad.error().message, "Secret shop/prom key \"bad\" is not valid base64");
}

TEST_F(KubeClientTest, SecretWithoutTheKeyIsNotFoundWithoutAnHttpStatus) {
  auto c = make();
  transport->push(200, R"({"kind":"Secret","metadata":{"name":"prom"},"data":{"user":"YQ=="}})");
  transport->push(200, R"({"kind":"Secret","metadata":{"name":"empty"}})");
  transport->push(404, R"({"kind":"Status","reason":"NotFound","message":"secrets \"gone\" not found","code":404})");
  auto noKey = c.secretValue("shop", "prom", "token");
  auto noData = c.secretValue("shop", "empty", "token");
  auto noSecret = c.secretValue("shop", "gone", "token");
  ASSERT_FALSE(noKey.ok());
  EXPECT_EQ(noKey.error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(ApiError::isNotFound(noKey.error()));
  EXPECT_EQ(noKey.error().code, 0) << "the server answered 200; no status is made up";
  EXPECT_EQ(noKey.error().message, "Secret shop/prom has no key \"token\"");
  ASSERT_FALSE(noData.ok());
  EXPECT_EQ(noData.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(noData.error().message, "Secret shop/empty has no key \"token\"");
  ASSERT_FALSE(noSecret.ok());
  EXPECT_EQ(noSecret.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(noSecret.error().code, 404);
  EXPECT_NE(noSecret.error().message.find("secrets \"gone\" not found"), std::string::npos);
}

TEST_F(KubeClientTest, RetriesServerErrorsWithBackoffAndHonoursRetryAfter) {
  auto c = make();
  transport->push(503, "unavailable");
  transport->push(429, "slow down", {{"retry-after", "3"}});
  transport->push(Error::of("connection refused", http::kConnectFailed));
  transport->push(200, R"({"ok":true})");
  auto r = c.get(Resource::configMaps(), "a", "b");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(transport->requests.size(), 4u);
  ASSERT_EQ(sleeps.size(), 3u);
  EXPECT_EQ(sleeps[0], 100ms);
  EXPECT_EQ(sleeps[1], 3000ms);
  EXPECT_EQ(sleeps[2], 400ms);
}

TEST_F(KubeClientTest, GivesUpAfterMaxRetriesWithLastError) {
  KubeClient::Options o;
  o.retry.maxRetries = 2;
  auto c = make(o);
  for (int i = 0; i < 3; ++i) transport->push(500, R"({"kind":"Status","reason":"InternalError","message":"etcd down","code":500})");
  auto r = c.get(Resource::configMaps(), "a", "b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 500);
  EXPECT_NE(r.error().message.find("etcd down"), std::string::npos);
  EXPECT_EQ(transport->requests.size(), 3u);
}

TEST_F(KubeClientTest, TlsFailureIsNotRetriedAndSaysSo) {
  auto c = make();
  transport->push(Error::of("SSL certificate problem: unable to get local issuer certificate", http::kTlsFailed));
  auto r = c.get(Resource::configMaps(), "a", "b");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(ApiError::isTransport(r.error()));
  EXPECT_NE(r.error().message.find("certificate"), std::string::npos);
  EXPECT_EQ(transport->requests.size(), 1u);
}

TEST_F(KubeClientTest, RateLimitDelaysRequestsBeyondBurst) {
  KubeClient::Options o;
  o.qps = 10;
  o.burst = 2;
  auto c = make(o);
  transport->fallback = [](const http::HttpRequest&) { return http::HttpResponse{200, {}, "{}"}; };
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(c.get(Resource::pods(), "a", "b").ok());
  // Two from the burst, then one token every 100 ms.
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_EQ(sleeps[0], 100ms);
  EXPECT_EQ(sleeps[1], 100ms);
}

TEST_F(KubeClientTest, ListAllFollowsContinueTokens) {
  auto c = make();
  transport->push(200, R"({"metadata":{"resourceVersion":"100","continue":"tok1"},"items":[{"a":1},{"a":2}]})");
  transport->push(200, R"({"metadata":{"resourceVersion":"100","continue":"tok 2"},"items":[{"a":3}]})");
  transport->push(200, R"({"metadata":{"resourceVersion":"100"},"items":[{"a":4}]})");
  ListOptions o;
  o.limit = 2;
  o.labelSelector = "app=web,tier!=db";
  auto r = c.listAll(Resource::configMaps(), "shop", o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["items"].size(), 4u);
  EXPECT_EQ((*r)["metadata"]["resourceVersion"], "100");
  EXPECT_FALSE((*r)["metadata"].contains("continue"));
  EXPECT_EQ(transport->requests[0].url,
            "https://127.0.0.1:6443/api/v1/namespaces/shop/configmaps?labelSelector=app%3Dweb%2Ctier%21%3Ddb&limit=2");
  EXPECT_NE(transport->requests[2].url.find("continue=tok%202"), std::string::npos);
}

TEST_F(KubeClientTest, ApplyUsesApplyPatchWithFieldManagerAndForce) {
  auto c = make();
  transport->push(200, "{}");
  json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "f"}, {"namespace", "shop"}}}};
  ASSERT_TRUE(c.apply(Resource::configMaps(), cm, "feature-rollout-operator").ok());
  auto& req = transport->requests[0];
  EXPECT_EQ(req.method, "PATCH");
  EXPECT_EQ(req.url,
            "https://127.0.0.1:6443/api/v1/namespaces/shop/configmaps/f?fieldManager=feature-rollout-operator&force=true");
  EXPECT_EQ(headerOf(req, "Content-Type"), "application/apply-patch+yaml");
  EXPECT_EQ(json::parse(req.body), cm);
}

TEST_F(KubeClientTest, PatchTypesAndStatusSubresource) {
  auto c = make();
  for (int i = 0; i < 3; ++i) transport->push(200, "{}");
  ASSERT_TRUE(c.patch(Resource::deployments(), "a", "d", PatchType::Merge, {{"spec", {{"replicas", 2}}}}).ok());
  ASSERT_TRUE(c.patch(Resource::deployments(), "a", "d", PatchType::JsonPatch,
                      json::array({{{"op", "replace"}, {"path", "/spec/replicas"}, {"value", 3}}}))
                  .ok());
  ASSERT_TRUE(c.patch(Resource::featureRollouts(), "a", "r", PatchType::Merge, {{"status", {{"state", "Paused"}}}},
                      PatchOptions{.fieldManager = "", .force = false, .subresource = "status"})
                  .ok());
  EXPECT_EQ(headerOf(transport->requests[0], "Content-Type"), "application/merge-patch+json");
  EXPECT_EQ(headerOf(transport->requests[1], "Content-Type"), "application/json-patch+json");
  EXPECT_TRUE(transport->requests[2].url.ends_with("/featurerollouts/r/status"));
}

TEST_F(KubeClientTest, DeleteSendsPreconditionsAndPropagation) {
  auto c = make();
  transport->push(200, R"({"kind":"Status","status":"Success"})");
  DeleteOptions o;
  o.propagationPolicy = "Foreground";
  o.preconditionUid = "u-1";
  ASSERT_TRUE(c.remove(Resource::configMaps(), "a", "b", o).ok());
  auto body = json::parse(transport->requests[0].body);
  EXPECT_EQ(transport->requests[0].method, "DELETE");
  EXPECT_EQ(body["propagationPolicy"], "Foreground");
  EXPECT_EQ(body["preconditions"]["uid"], "u-1");
}

TEST_F(KubeClientTest, WatchDecodesSplitChunksBookmarksAndTracksResourceVersion) {
  auto c = make();
  transport->pushStream(200, {R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})" "\n"
                              R"({"type":"MODI)",
                              R"(FIED","object":{"metadata":{"name":"a","resourceVersion":"6"}}})" "\n",
                              R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}})" "\n",
                              R"({"type":"DELETED","object":{"metadata":{"name":"a","resourceVersion":"10"}}})"});
  std::vector<std::string> seen;
  WatchOptions o;
  o.resourceVersion = "4";
  o.timeoutSeconds = 60;
  auto end = c.watch(Resource::configMaps(), "ns", o, [&](const WatchEvent& e) {
    static const char* names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
    seen.push_back(std::string(names[static_cast<int>(e.type)]) + ":" + e.resourceVersion());
    return true;
  });
  ASSERT_TRUE(end.ok()) << end.error().message;
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED:5", "MODIFIED:6", "BOOKMARK:9", "DELETED:10"}));
  EXPECT_EQ(end->reason, WatchEnd::Reason::Closed);
  EXPECT_EQ(end->lastResourceVersion, "10");
  auto& url = transport->requests[0].url;
  EXPECT_NE(url.find("watch=true"), std::string::npos);
  EXPECT_NE(url.find("resourceVersion=4"), std::string::npos);
  EXPECT_NE(url.find("allowWatchBookmarks=true"), std::string::npos);
  EXPECT_NE(url.find("timeoutSeconds=60"), std::string::npos);
  EXPECT_EQ(transport->requests[0].idleTimeout, 90s) << "idle timeout sits above the server timeout";
}

TEST_F(KubeClientTest, WatchErrorEvent410MeansRelist) {
  auto c = make();
  transport->pushStream(200, {R"j({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1 (50)"}})j" "\n"});
  int events = 0;
  WatchOptions o;
  o.resourceVersion = "1";
  auto end = c.watch(Resource::configMaps(), "", o, [&](const WatchEvent&) { return ++events, true; });
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->reason, WatchEnd::Reason::Expired);
  EXPECT_EQ(events, 0);
}

TEST_F(KubeClientTest, WatchGarbageLineIsAnErrorNotAnEvent) {
  auto c = make();
  transport->pushStream(200, {R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"5"}}})" "\n", "<html>proxy error</html>\n",
                              R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"6"}}})" "\n"});
  int events = 0;
  auto end = c.watch(Resource::configMaps(), "", WatchOptions{}, [&](const WatchEvent&) { return ++events, true; });
  ASSERT_FALSE(end.ok());
  EXPECT_NE(end.error().message.find("undecodable"), std::string::npos);
  EXPECT_EQ(events, 1);
}

TEST_F(KubeClientTest, WatchHandlerCanStop) {
  auto c = make();
  transport->pushStream(200, {R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"5"}}})" "\n"
                              R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"6"}}})" "\n"});
  int events = 0;
  auto end = c.watch(Resource::configMaps(), "", WatchOptions{}, [&](const WatchEvent&) { return ++events < 1; });
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->reason, WatchEnd::Reason::StoppedByHandler);
  EXPECT_EQ(events, 1);
  EXPECT_EQ(end->lastResourceVersion, "5");
}

TEST(RetryPolicyTest, Table) {
  RetryPolicy p;
  auto resp = [](int s, http::Headers h = {}) { return Result<http::HttpResponse>(http::HttpResponse{s, h, ""}); };
  struct Row {
    const char* what;
    int attempt;
    Result<http::HttpResponse> outcome;
    std::optional<std::chrono::milliseconds> want;
  };
  std::vector<Row> rows;
  rows.push_back({"200 done", 0, resp(200), std::nullopt});
  rows.push_back({"400 final", 0, resp(400), std::nullopt});
  rows.push_back({"404 final", 0, resp(404), std::nullopt});
  rows.push_back({"409 final", 0, resp(409), std::nullopt});
  rows.push_back({"501 final", 0, resp(501), std::nullopt});
  rows.push_back({"500 first", 0, resp(500), 100ms});
  rows.push_back({"503 third", 2, resp(503), 400ms});
  rows.push_back({"429 retry-after", 0, resp(429, {{"retry-after", "7"}}), 7000ms});
  rows.push_back({"429 huge retry-after capped", 0, resp(429, {{"retry-after", "99999"}}), 60000ms});
  rows.push_back({"429 bad retry-after", 1, resp(429, {{"retry-after", "soon"}}), 200ms});
  rows.push_back({"connect refused", 1, Result<http::HttpResponse>(Error::of("x", http::kConnectFailed)), 200ms});
  rows.push_back({"timeout", 0, Result<http::HttpResponse>(Error::of("x", http::kTimedOut)), 100ms});
  rows.push_back({"tls final", 0, Result<http::HttpResponse>(Error::of("x", http::kTlsFailed)), std::nullopt});
  rows.push_back({"cancel final", 0, Result<http::HttpResponse>(Error::of("x", http::kCancelled)), std::nullopt});
  rows.push_back({"exhausted", 5, resp(500), std::nullopt});
  for (auto& r : rows) EXPECT_EQ(p.next(r.attempt, r.outcome), r.want) << r.what;
  RetryPolicy capped(RetryPolicy::Options{20, 100ms, 1000ms, 60000ms});
  EXPECT_EQ(capped.next(10, resp(500)), 1000ms);
}

}  // namespace
}  // namespace fro::kube
