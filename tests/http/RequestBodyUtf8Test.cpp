// Text from outside that is not valid UTF-8 (issue 11, defect 10) on its way to the API server:
// KubeClient serializes every request body with U+FFFD for bad bytes instead of throwing (which lost
// the whole status write), and EventRecorder sanitizes reason and message. Scripted transport.
#include <gtest/gtest.h>

#include "runtime/common/Utf8.h"
#include "runtime/events/EventRecorder.h"
#include "runtime/kube/KubeClient.h"
#include "tests/support/FakeTransport.h"
#include "tests/support/ManualClock.h"

namespace fro {
namespace {

using kube::json;
using kube::Resource;
using testing::FakeTransport;

const std::string kBad = "HTTP 502: <p>caf\xC3";  // an excerpt cut inside "é"
const std::string kReplaced = "HTTP 502: <p>caf\xEF\xBF\xBD";

struct BodyTest : ::testing::Test {
  BodyTest() {
    transport->fallback = [](const http::HttpRequest& r) {
      return http::HttpResponse{r.method == "POST" ? 201 : 200, {}, r.body.empty() ? "{}" : r.body};
    };
  }
  static kube::KubeClient::Options opts() {
    kube::KubeClient::Options o;
    o.server = "https://api";
    o.qps = 0;
    return o;
  }
  json rolloutWith(const std::string& message) const {
    return {{"apiVersion", "rollouts.featureflags.dev/v1alpha1"},
            {"kind", "FeatureRollout"},
            {"metadata", {{"name", "checkout"}, {"namespace", "shop"}}},
            {"status", {{"message", message}}}};
  }
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  kube::KubeClient client{transport, opts()};
};

TEST_F(BodyTest, EveryWriteVerbSendsValidUtf8InsteadOfThrowing) {
  const json obj = rolloutWith(kBad);
  EXPECT_TRUE(client.updateStatus(Resource::featureRollouts(), obj).ok());
  EXPECT_TRUE(client.update(Resource::featureRollouts(), obj).ok());
  EXPECT_TRUE(client.create(Resource::featureRollouts(), "shop", obj).ok());
  EXPECT_TRUE(client.patch(Resource::featureRollouts(), "shop", "checkout", kube::PatchType::Merge,
                           {{"status", {{"message", kBad}}}})
                  .ok());
  EXPECT_TRUE(client.apply(Resource::featureRollouts(), obj, "feature-rollout-operator").ok());
  ASSERT_EQ(transport->requests.size(), 5u);
  for (const auto& r : transport->requests) {
    EXPECT_TRUE(Utf8::valid(r.body)) << r.method << " " << r.url;
    EXPECT_NE(r.body.find(kReplaced), std::string::npos) << r.method << " " << r.body;
  }
}

TEST_F(BodyTest, ValidMultiByteTextIsSentUnchanged) {
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\x80";
  ASSERT_TRUE(client.updateStatus(Resource::featureRollouts(), rolloutWith(text)).ok());
  ASSERT_EQ(transport->requests.size(), 1u);
  EXPECT_NE(transport->requests[0].body.find(text), std::string::npos) << transport->requests[0].body;
}

TEST_F(BodyTest, EventReasonAndMessageAreSanitized) {
  events::EventRecorder rec(client, {"feature-rollout-operator", "pod-a", 4096, std::chrono::minutes(10)},
                            std::make_shared<testing::ManualClock>());
  events::ObjectReference fr{"rollouts.featureflags.dev/v1alpha1", "FeatureRollout", "shop", "checkout", "uid-1", "7"};
  ASSERT_TRUE(rec.record(fr, "Warning", "Gate\xFF" "Error", "gate error-rate: " + kBad).ok());
  ASSERT_EQ(transport->requests.size(), 1u);
  auto ev = json::parse(transport->requests[0].body);
  EXPECT_EQ(ev["reason"], "Gate\xEF\xBF\xBD" "Error");
  EXPECT_EQ(ev["message"], "gate error-rate: " + kReplaced);
  // The same bad text again is the same Event (aggregated), not a new one.
  ASSERT_TRUE(rec.record(fr, "Warning", "Gate\xFF" "Error", "gate error-rate: " + kBad).ok());
  ASSERT_EQ(transport->requests.size(), 2u);
  EXPECT_EQ(transport->requests[1].method, "PATCH");
}

}  // namespace
}  // namespace fro
