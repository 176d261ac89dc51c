// Informer events become the right work-queue keys: own key, owner's key, mapped keys.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "runtime/controller/EventRouter.h"
#include "tests/controller/Sync.h"
#include "tests/support/FakeTransport.h"
#include "tests/support/ManualClock.h"

namespace fro::controller {
namespace {

using namespace std::chrono_literals;
using fro::testing::FakeTransport;
using kube::json;

std::string cm(const std::string& name, const std::string& owners) {
  return R"({"metadata":{"namespace":"shop","name":")" + name + R"(","resourceVersion":"1","ownerReferences":[)" + owners +
         "]}}";
}
const std::string kOwnedByR1 =
    R"({"apiVersion":"rollouts.featureflags.dev/v1alpha1","kind":"FeatureRollout","name":"r1","controller":true})";
const std::string kOwnedByDeploy = R"({"apiVersion":"apps/v1","kind":"Deployment","name":"web"})";
const std::string kOtherGroupSameKind = R"({"apiVersion":"bench.featureflags.dev/v1","kind":"FeatureRollout","name":"x"})";

std::set<std::string> drain(WorkQueue& q) {
  std::set<std::string> keys;
  while (q.len() > 0) {
    auto k = q.get();
    keys.insert(*k);
    q.done(*k);
  }
  return keys;
}

class EventRouterTest : public ::testing::Test {
 protected:
  EventRouterTest() : client(transport, opts()) {}
  static kube::KubeClient::Options opts() {
    kube::KubeClient::Options o;
    o.server = "https://api";
    o.qps = 0;
    return o;
  }
  void sync(kube::Informer& inf) {
    std::thread t(fro::testing::threadBody([&] { inf.run(); }));
    ASSERT_TRUE(inf.waitForSync(5s));
    inf.stop();
    t.join();
  }
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  kube::KubeClient client;
  WorkQueue queue{WorkQueueOptions{std::make_shared<fro::testing::ManualClock>(), nullptr, nullptr, false}};
};

TEST_F(EventRouterTest, OwnedObjectsQueueTheirOwnerOnly) {
  transport->push(200, R"({"metadata":{"resourceVersion":"9"},"items":[)" + cm("r1-flags", kOwnedByR1) + "," +
                           cm("web-cache", kOwnedByDeploy) + "," + cm("other", kOtherGroupSameKind) + "," +
                           cm("both", kOwnedByDeploy + "," + kOwnedByR1) + "]}");
  kube::Informer inf(client, kube::Resource::configMaps(), {});
  EventRouter::enqueueOwner(inf, queue, "rollouts.featureflags.dev", "FeatureRollout");
  sync(inf);
  EXPECT_EQ(drain(queue), std::set<std::string>{"shop/r1"}) << "r1 once, deduplicated; nothing for foreign owners";
}

TEST_F(EventRouterTest, PrimaryObjectsQueueThemselvesAndMappedObjectsTheirMappedKeys) {
  transport->push(200, R"({"metadata":{"resourceVersion":"9"},"items":[)" + cm("a", "") + "," + cm("b", "") + "]}");
  kube::Informer inf(client, kube::Resource::configMaps(), {});
  EventRouter::enqueueSelf(inf, queue);
  EventRouter::enqueueMapped(inf, queue, [](const kube::CachedPtr& o) {
    return std::vector<std::string>{"shop/targets-" + o->name};
  });
  sync(inf);
  EXPECT_EQ(drain(queue), (std::set<std::string>{"shop/a", "shop/b", "shop/targets-a", "shop/targets-b"}));
}

TEST(EventRouterOwnerKeys, ParsesOwnerReferences) {
  kube::CachedObject o;
  o.namespace_ = "shop";
  o.name = "x";
  o.fields = json::parse(R"({"metadata":{"ownerReferences":[)" + kOwnedByR1 + "," + kOwnedByDeploy + R"(,{"kind":"FeatureRollout"},"junk"]}})");
  EXPECT_EQ(EventRouter::ownerKeys(o, "rollouts.featureflags.dev", "FeatureRollout"), std::vector<std::string>{"shop/r1"});
  EXPECT_EQ(EventRouter::ownerKeys(o, "apps", "Deployment"), std::vector<std::string>{"shop/web"});
  o.fields = json::object();
  EXPECT_TRUE(EventRouter::ownerKeys(o, "apps", "Deployment").empty());
}

}  // namespace
}  // namespace fro::controller
