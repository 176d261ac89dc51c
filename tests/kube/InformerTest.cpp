// Informer on a scripted API: what handlers see across watch resumes, 410 relists and deletes.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "runtime/kube/ApiError.h"
#include "runtime/kube/Informer.h"
#include "tests/support/FakeTransport.h"

namespace fro::kube {
namespace {

using fro::testing::FakeTransport;
using namespace std::chrono_literals;

std::string obj(const std::string& name, const std::string& rv, const std::string& extra = "") {
  return R"({"metadata":{"namespace":"ns","name":")" + name + R"(","resourceVersion":")" + rv +
         R"(","managedFields":[{"manager":"x"}]})" + extra + "}";
}
std::string event(const std::string& type, const std::string& o) {
  return R"({"type":")" + type + R"(","object":)" + o + "}\n";
}
std::string listOf(const std::string& rv, const std::vector<std::string>& items) {
  std::string s = R"({"metadata":{"resourceVersion":")" + rv + R"("},"items":[)";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? "," : "") + items[i];
  return s + "]}";
}

class InformerTest : public ::testing::Test {
 protected:
  InformerTest() : client(transport, opts()) {}
  static KubeClient::Options opts() {
    KubeClient::Options o;
    o.server = "https://api";
    o.qps = 0;
    return o;
  }
  void record(Informer& inf, size_t stopAfter) {
    inf.addHandlers({
        [&, stopAfter](const CachedPtr& o) { seen.push_back("add " + o->name + "@" + o->resourceVersion); if (seen.size() >= stopAfter) inf.stop(); },
        [&, stopAfter](const CachedPtr& a, const CachedPtr& b) {
          seen.push_back("update " + b->name + "@" + a->resourceVersion + "->" + b->resourceVersion);
          if (seen.size() >= stopAfter) inf.stop();
        },
        [&, stopAfter](const CachedPtr& o, bool tomb) {
          seen.push_back(std::string(tomb ? "tombstone " : "delete ") + o->name + "@" + o->resourceVersion);
          if (seen.size() >= stopAfter) inf.stop();
        },
    });
  }
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  KubeClient client;
  std::vector<std::string> seen;
};

TEST_F(InformerTest, ResumesFromLastVersionAndRelistsOnGoneWithoutDuplicates) {
  transport->push(200, listOf("10", {obj("a", "1"), obj("b", "2")}));
  // First watch: two changes, then the server closes it normally: resume from rv 12.
  transport->pushStream(200, {event("ADDED", obj("c", "11")), event("MODIFIED", obj("a", "12"))});
  // Second watch: the version is too old: relist.
  transport->pushStream(200, {R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})" "\n"});
  // Relist: b vanished meanwhile, d appeared, a and c unchanged.
  transport->push(200, listOf("20", {obj("a", "12"), obj("c", "11"), obj("d", "15")}));
  transport->pushStream(200, {event("ADDED", obj("c", "11")),  // replay of a known version: no event
                              event("DELETED", obj("c", "21"))});
  Informer::Options o;
  o.minBackoff = 1ms;
  Informer inf(client, Resource::configMaps(), o);
  record(inf, 7);
  std::thread t([&] { inf.run(); });
  t.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"add a@1", "add b@2", "add c@11", "update a@1->12", "add d@15",
                                            "tombstone b@2", "delete c@21"}));
  ASSERT_GE(transport->requests.size(), 5u);
  EXPECT_NE(transport->requests[1].url.find("resourceVersion=10"), std::string::npos);
  EXPECT_NE(transport->requests[2].url.find("resourceVersion=12"), std::string::npos);
  EXPECT_EQ(transport->requests[3].url.find("watch=true"), std::string::npos) << "a relist, not a watch";
  EXPECT_NE(transport->requests[4].url.find("resourceVersion=20"), std::string::npos);
  EXPECT_EQ(inf.cache().size(), 2u);
  EXPECT_EQ(inf.stats().expired, 1);
  EXPECT_EQ(inf.stats().lists, 2);
  // The cache keeps the projection: managedFields are dropped.
  auto a = inf.cache().get("ns", "a");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->fields["metadata"].contains("managedFields"));
  EXPECT_EQ(inf.cache().list("ns").size(), 2u);
  EXPECT_TRUE(inf.cache().list("other").empty());
}

TEST_F(InformerTest, BacksOffAndRetriesWhenTheListFails) {
  transport->push(503, "down");
  transport->push(503, "down");
  transport->push(503, "down");
  transport->push(503, "down");
  transport->push(503, "down");
  transport->push(503, "down");  // the client's own retries are used up: the informer retries
  transport->push(200, listOf("5", {obj("a", "1")}));
  transport->pushStream(200, {event("ADDED", obj("b", "6"))});
  KubeClient::Options co = opts();
  co.retry.maxRetries = 0;
  KubeClient quick(transport, co, std::make_shared<SystemClock>(), [](std::chrono::nanoseconds) {});
  Informer::Options o;
  o.minBackoff = 1ms;
  Informer inf(quick, Resource::configMaps(), o);
  record(inf, 2);
  std::thread t([&] { inf.run(); });
  ASSERT_TRUE(inf.waitForSync(5s));
  t.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"add a@1", "add b@6"}));
  EXPECT_EQ(inf.stats().errors, 6);
  EXPECT_NE(inf.stats().lastError.find("503"), std::string::npos);
}

// What the operator logs and shows in /readyz?verbose comes from these notices: every failed list or
// watch names the resource, namespace, verb and error; success after failures is a recovery.
TEST_F(InformerTest, ReportsEveryFailedListAndWatchToItsObserver) {
  transport->push(403, R"({"kind":"Status","code":403,"reason":"Forbidden","message":"configmaps is forbidden: User \"u\" cannot list resource \"configmaps\""})");
  transport->push(403, R"({"kind":"Status","code":403,"reason":"Forbidden","message":"configmaps is forbidden"})");
  transport->push(200, listOf("5", {obj("a", "1")}));
  // No watch stream scripted: the watch fails with a transport error.
  KubeClient::Options co = opts();
  co.retry.maxRetries = 0;
  KubeClient quick(transport, co, std::make_shared<SystemClock>(), [](std::chrono::nanoseconds) {});
  std::vector<Informer::Notice> notices;
  Informer* self = nullptr;
  Informer::Options o;
  o.namespace_ = "shop";
  o.minBackoff = 1ms;
  o.observer = [&](const Informer::Notice& n) {
    notices.push_back(n);
    if (n.kind == Informer::Notice::Kind::Failed && n.verb == "watch") self->stop();
  };
  Informer inf(quick, Resource::deployments(), o);
  self = &inf;
  inf.run();
  using K = Informer::Notice::Kind;
  ASSERT_EQ(notices.size(), 6u);
  EXPECT_EQ(notices[0].kind, K::Started);
  EXPECT_EQ(notices[0].resource, "deployments.apps");
  EXPECT_EQ(notices[0].namespace_, "shop");
  EXPECT_EQ(notices[1].kind, K::Failed);
  EXPECT_EQ(notices[1].verb, "list");
  EXPECT_EQ(notices[1].error.code, 403);
  EXPECT_NE(notices[1].error.message.find("cannot list resource"), std::string::npos) << notices[1].error.message;
  EXPECT_EQ(notices[1].failures, 1);
  EXPECT_EQ(notices[2].kind, K::Failed);
  EXPECT_EQ(notices[2].failures, 2);
  EXPECT_EQ(notices[3].kind, K::Recovered);
  EXPECT_EQ(notices[3].failures, 2);
  EXPECT_EQ(notices[4].kind, K::Synced);
  EXPECT_EQ(notices[5].kind, K::Failed);
  EXPECT_EQ(notices[5].verb, "watch");
  EXPECT_TRUE(ApiError::isTransport(notices[5].error)) << notices[5].error.code;
  EXPECT_NE(notices[5].error.message.find("connection refused"), std::string::npos) << notices[5].error.message;
  EXPECT_EQ(notices[5].failures, 1);
}

TEST_F(InformerTest, AThrowingObserverIsHarmless) {
  transport->push(200, listOf("5", {}));
  int seen = 0;
  Informer::Options io;
  io.observer = [&](const Informer::Notice& n) {
    ++seen;
    if (n.kind == Informer::Notice::Kind::Synced) throw std::runtime_error("observer bug");
  };
  KubeClient::Options co = opts();
  co.retry.maxRetries = 0;
  KubeClient quick(transport, co, std::make_shared<SystemClock>(), [](std::chrono::nanoseconds) {});
  Informer inf(quick, Resource::configMaps(), io);
  inf.addHandlers({});
  std::thread t([&] { inf.run(); });
  EXPECT_TRUE(inf.waitForSync(5s));
  inf.stop();
  t.join();
  EXPECT_GE(seen, 2) << "started and synced";
}

TEST_F(InformerTest, AThrowingHandlerIsReportedAndAnsweredWithARelist) {
  transport->push(200, listOf("5", {obj("a", "1")}));
  transport->push(200, listOf("6", {obj("a", "2")}));
  std::vector<Informer::Notice> notices;
  Informer::Options o;
  o.minBackoff = 1ms;
  o.observer = [&](const Informer::Notice& n) { notices.push_back(n); };
  Informer inf(client, Resource::configMaps(), o);
  inf.addHandlers({[&](const CachedPtr&) { throw std::runtime_error("handler bug"); },
                   [&](const CachedPtr& a, const CachedPtr& b) {
                     seen.push_back("update " + a->resourceVersion + "->" + b->resourceVersion);
                     inf.stop();
                   },
                   nullptr});
  std::thread t([&] { inf.run(); });
  t.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"update 1->2"})) << "the informer lived on and relisted";
  auto failed = std::find_if(notices.begin(), notices.end(),
                             [](const Informer::Notice& n) { return n.kind == Informer::Notice::Kind::Failed; });
  ASSERT_NE(failed, notices.end());
  EXPECT_EQ(failed->verb, "list");
  EXPECT_NE(failed->error.message.find("event handling threw: handler bug"), std::string::npos) << failed->error.message;
  EXPECT_TRUE(inf.hasSynced());
}

TEST_F(InformerTest, CustomProjectionKeepsOnlyChosenFields) {
  transport->push(200, listOf("5", {obj("a", "1", R"(,"data":{"BIG":"xxxxxxxx"},"spec":{"k":1})")}));
  Informer::Options o;
  o.project = [](const json& full) { return json{{"spec", full["spec"]}}; };
  Informer inf(client, Resource::configMaps(), o);
  inf.addHandlers({[&](const CachedPtr&) { inf.stop(); }, nullptr, nullptr});
  std::thread t([&] { inf.run(); });
  t.join();
  auto a = inf.cache().get("ns/a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->fields, json::parse(R"({"spec":{"k":1}})"));
  EXPECT_EQ(a->resourceVersion, "1");
}

}  // namespace
}  // namespace fro::kube
