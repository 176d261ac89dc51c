#include <gtest/gtest.h>

#include "runtime/events/EventRecorder.h"
#include "runtime/kube/KubeClient.h"
#include "tests/support/FakeTransport.h"
#include "tests/support/ManualClock.h"

namespace fro::events {
namespace {

using namespace std::chrono_literals;
using fro::testing::FakeTransport;
using fro::testing::ManualClock;
using kube::json;

class EventRecorderTest : public ::testing::Test {
 protected:
  EventRecorderTest() : client(transport, opts()) {
    transport->fallback = [](const http::HttpRequest& r) {
      return http::HttpResponse{r.method == "POST" ? 201 : 200, {}, r.body};
    };
  }
  static kube::KubeClient::Options opts() {
    kube::KubeClient::Options o;
    o.server = "https://api";
    o.qps = 0;
    return o;
  }
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  kube::KubeClient client;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  ObjectReference fr{"rollouts.featureflags.dev/v1alpha1", "FeatureRollout", "shop", "checkout", "uid-1", "7"};
};

TEST_F(EventRecorderTest, FirstEventIsCreatedWithInvolvedObjectAndSource) {
  EventRecorder rec(client, {"feature-rollout-operator", "pod-a", 4096, 10min}, clock);
  ASSERT_TRUE(rec.record(fr, "Warning", "GateWarning", "gate error-rate: 0.031 above warning 0.02").ok());
  ASSERT_EQ(transport->requests.size(), 1u);
  auto& req = transport->requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://api/api/v1/namespaces/shop/events");
  auto ev = json::parse(req.body);
  EXPECT_EQ(ev["involvedObject"]["kind"], "FeatureRollout");
  EXPECT_EQ(ev["involvedObject"]["uid"], "uid-1");
  EXPECT_EQ(ev["type"], "Warning");
  EXPECT_EQ(ev["reason"], "GateWarning");
  EXPECT_EQ(ev["count"], 1);
  EXPECT_EQ(ev["source"]["component"], "feature-rollout-operator");
  EXPECT_EQ(ev["reportingInstance"], "pod-a");
  EXPECT_TRUE(ev["metadata"]["name"].get<std::string>().rfind("checkout.", 0) == 0);
}

TEST_F(EventRecorderTest, RepeatsAreAggregatedIntoOneEvent) {
  EventRecorder rec(client, {}, clock);
  ASSERT_TRUE(rec.record(fr, "Warning", "GateWarning", "same").ok());
  std::string name = json::parse(transport->requests[0].body)["metadata"]["name"];
  clock->advance(30s);
  ASSERT_TRUE(rec.record(fr, "Warning", "GateWarning", "same").ok());
  clock->advance(30s);
  ASSERT_TRUE(rec.record(fr, "Warning", "GateWarning", "same").ok());
  ASSERT_EQ(transport->requests.size(), 3u);
  EXPECT_EQ(transport->requests[2].method, "PATCH");
  EXPECT_TRUE(transport->requests[2].url.ends_with("/events/" + name));
  auto patch = json::parse(transport->requests[2].body);
  EXPECT_EQ(patch["count"], 3);
  // A different message is a different event.
  ASSERT_TRUE(rec.record(fr, "Warning", "GateWarning", "other").ok());
  EXPECT_EQ(transport->requests[3].method, "POST");
}

TEST_F(EventRecorderTest, AfterTheWindowOrWhenTheEventIsGoneANewOneStarts) {
  EventRecorder rec(client, {}, clock);
  ASSERT_TRUE(rec.record(fr, "Normal", "StepStarted", "m").ok());
  clock->advance(11min);
  ASSERT_TRUE(rec.record(fr, "Normal", "StepStarted", "m").ok());
  EXPECT_EQ(transport->requests[1].method, "POST");
  transport->push(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  clock->advance(1s);
  ASSERT_TRUE(rec.record(fr, "Normal", "StepStarted", "m").ok());
  EXPECT_EQ(transport->requests[2].method, "PATCH");
  EXPECT_EQ(transport->requests[3].method, "POST");
}

TEST_F(EventRecorderTest, MemoryIsBounded) {
  EventRecorder rec(client, {"c", "", 2, 10min}, clock);
  for (auto m : {"a", "b", "c"}) ASSERT_TRUE(rec.record(fr, "Normal", "R", m).ok());
  // "a" was forgotten (oldest of three with room for two): its repeat creates a new Event.
  ASSERT_TRUE(rec.record(fr, "Normal", "R", "a").ok());
  EXPECT_EQ(transport->requests[3].method, "POST");
  ASSERT_TRUE(rec.record(fr, "Normal", "R", "c").ok());
  EXPECT_EQ(transport->requests[4].method, "PATCH");
}

}  // namespace
}  // namespace fro::events
