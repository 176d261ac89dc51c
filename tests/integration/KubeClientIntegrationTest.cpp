// The Kubernetes client against the real API server: verbs, server-side apply ownership, the
// status subresource, RBAC errors from a service-account token, and Lease takeover.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "runtime/controller/EventRouter.h"
#include "runtime/controller/Workers.h"
#include "runtime/events/EventRecorder.h"
#include "runtime/kube/ApiError.h"
#include "runtime/kube/Informer.h"
#include "runtime/leaderelection/LeaderElector.h"
#include "tests/integration/IntegrationEnv.h"
#include "tests/support/SwitchableTransport.h"

namespace fro {
namespace {

using namespace std::chrono_literals;
using kube::ApiError;
using kube::json;
using kube::Resource;

class KubeClientIT : public testing::IntegrationTest {
 protected:
  json configMap(const std::string& name, json data) {
    return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", data}};
  }
};

TEST_F(KubeClientIT, ConfigMapCrudWithOptimisticConcurrency) {
  auto ns = createNamespace("crud");
  auto created = client->create(Resource::configMaps(), ns, configMap("flags", {{"A", "1"}}));
  ASSERT_TRUE(created.ok()) << created.error().message;
  std::string rv1 = (*created)["metadata"]["resourceVersion"];

  auto got = client->get(Resource::configMaps(), ns, "flags");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["data"]["A"], "1");

  auto upd = *got;
  upd["data"]["A"] = "2";
  auto updated = client->update(Resource::configMaps(), upd);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_NE((*updated)["metadata"]["resourceVersion"], rv1);

  // Writing the stale copy again is a Conflict, not a silent overwrite.
  auto stale = client->update(Resource::configMaps(), upd);
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(ApiError::isConflict(stale.error())) << stale.error().message;

  auto merged = client->patch(Resource::configMaps(), ns, "flags", kube::PatchType::Merge, {{"data", {{"B", "x"}}}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ((*merged)["data"], json({{"A", "2"}, {"B", "x"}}));

  auto jp = client->patch(Resource::configMaps(), ns, "flags", kube::PatchType::JsonPatch,
                          json::array({{{"op", "remove"}, {"path", "/data/B"}}}));
  ASSERT_TRUE(jp.ok()) << jp.error().message;
  EXPECT_FALSE((*jp)["data"].contains("B"));

  // A JSON patch test op that fails is an error value carrying the server's reason.
  auto failedTest = client->patch(Resource::configMaps(), ns, "flags", kube::PatchType::JsonPatch,
                                  json::array({{{"op", "test"}, {"path", "/data/A"}, {"value", "nope"}}}));
  ASSERT_FALSE(failedTest.ok());
  EXPECT_GE(failedTest.error().code, 400);

  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(client->create(Resource::configMaps(), ns, configMap("page-" + std::to_string(i), {})).ok());
  kube::ListOptions lo;
  lo.limit = 3;
  auto page = client->list(Resource::configMaps(), ns, lo);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ((*page)["items"].size(), 3u);
  EXPECT_FALSE((*page)["metadata"].value("continue", "").empty());
  auto all = client->listAll(Resource::configMaps(), ns, lo);
  ASSERT_TRUE(all.ok()) << all.error().message;
  // 7 pages + flags + kube-root-ca.crt (published into every namespace by the controller-manager).
  size_t n = (*all)["items"].size();
  EXPECT_TRUE(n == 8 || n == 9) << n;

  ASSERT_TRUE(client->remove(Resource::configMaps(), ns, "flags").ok());
  auto gone = client->get(Resource::configMaps(), ns, "flags");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(ApiError::isNotFound(gone.error()));
  EXPECT_NE(gone.error().message.find("\"flags\" not found"), std::string::npos) << gone.error().message;
}

TEST_F(KubeClientIT, ServerSideApplyKeepsTwoManagersFieldsApart) {
  auto ns = createNamespace("ssa");
  json gitops = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"},
                 {"metadata", {{"name", "web"}, {"namespace", ns}}},
                 {"spec", json::parse(R"({"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "web", "image": "example/web:1"}]}}})")}};
  auto a = client->apply(Resource::deployments(), gitops, "argocd");
  ASSERT_TRUE(a.ok()) << a.error().message;

  // The operator owns only its envFrom and annotation on the same container.
  json ours = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"},
               {"metadata", {{"name", "web"}, {"namespace", ns}}},
               {"spec", json::parse(R"({"template": {"metadata": {"annotations": {"featureflags.dev/checksum": "abc"}},
                 "spec": {"containers": [{"name": "web",
                   "envFrom": [{"configMapRef": {"name": "flags", "optional": true}}]}]}}})")}};
  auto b = client->apply(Resource::deployments(), ours, "feature-rollout-operator");
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto& c0 = (*b)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c0["image"], "example/web:1");
  EXPECT_EQ(c0["envFrom"][0]["configMapRef"]["name"], "flags");
  std::set<std::string> managers;
  for (auto& mf : (*b)["metadata"]["managedFields"]) managers.insert(mf["manager"].get<std::string>());
  EXPECT_TRUE(managers.count("argocd") && managers.count("feature-rollout-operator"));

  // GitOps re-applies its manifest with a new image: our fields survive.
  gitops["spec"]["template"]["spec"]["containers"][0]["image"] = "example/web:2";
  auto a2 = client->apply(Resource::deployments(), gitops, "argocd");
  ASSERT_TRUE(a2.ok()) << a2.error().message;
  auto& c1 = (*a2)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c1["image"], "example/web:2");
  EXPECT_EQ(c1["envFrom"][0]["configMapRef"]["name"], "flags");

  // A manager that tries to take a field owned by another, without force, gets a Conflict.
  json grab = ours;
  grab["spec"]["template"]["spec"]["containers"][0]["image"] = "evil/web:1";
  auto conflict = client->apply(Resource::deployments(), grab, "feature-rollout-operator", /*force=*/false);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, 409);
  EXPECT_NE(conflict.error().message.find("argocd"), std::string::npos) << conflict.error().message;

  // Dropping a field from our applied config removes it (we own it), leaving argocd's alone.
  json withoutAnnotation = ours;
  withoutAnnotation["spec"]["template"].erase("metadata");
  auto b2 = client->apply(Resource::deployments(), withoutAnnotation, "feature-rollout-operator");
  ASSERT_TRUE(b2.ok());
  auto annotations = (*b2)["spec"]["template"]["metadata"].value("annotations", json::object());
  EXPECT_FALSE(annotations.contains("featureflags.dev/checksum"));
}

TEST_F(KubeClientIT, StatusSubresourceOnACustomResource) {
  // A tiny CRD of our own so this test does not depend on the product CRD.
  json crd = json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.it.featureflags.dev"},
    "spec": {"group": "it.featureflags.dev", "scope": "Namespaced",
      "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
      "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {"size": {"type": "integer", "maximum": 10}}},
          "status": {"type": "object", "properties": {"phase": {"type": "string"}}}}}}}]}})");
  Resource crds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};
  auto applied = client->apply(crds, crd, "fro-integration-tests");
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  Resource widgets{"it.featureflags.dev", "v1", "widgets", true};
  auto ns = createNamespace("status");

  Result<json> created = Error::of("not tried");
  for (int i = 0; i < 100; ++i) {  // the new resource is served a moment after the CRD is accepted
    created = client->create(widgets, ns, {{"apiVersion", "it.featureflags.dev/v1"}, {"kind", "Widget"},
                                          {"metadata", {{"name", "w"}}}, {"spec", {{"size", 3}}}});
    if (created.ok() || !ApiError::isNotFound(created.error())) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ((*created)["metadata"]["generation"], 1);

  // Status writes go through /status and do not bump generation; spec changes there are ignored.
  auto st = *created;
  st["status"] = {{"phase", "Ready"}};
  st["spec"]["size"] = 9;
  auto updated = client->updateStatus(widgets, st);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ((*updated)["status"]["phase"], "Ready");
  EXPECT_EQ((*updated)["spec"]["size"], 3);
  EXPECT_EQ((*updated)["metadata"]["generation"], 1);

  auto merged = client->patch(widgets, ns, "w", kube::PatchType::Merge, {{"status", {{"phase", "Done"}}}},
                              kube::PatchOptions{.fieldManager = "", .force = false, .subresource = "status"});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ((*merged)["status"]["phase"], "Done");

  // Schema validation errors name the field.
  auto invalid = client->patch(widgets, ns, "w", kube::PatchType::Merge, {{"spec", {{"size", 11}}}});
  ASSERT_FALSE(invalid.ok());
  EXPECT_TRUE(ApiError::isInvalid(invalid.error()));
  EXPECT_NE(invalid.error().message.find("spec.size"), std::string::npos) << invalid.error().message;
}

TEST_F(KubeClientIT, ServiceAccountTokenIsBoundByRbac) {
  auto ns = createNamespace("rbac");
  ASSERT_TRUE(client->create(Resource::serviceAccounts(), ns,
                             {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "reader"}}}})
                  .ok());
  Resource roles{"rbac.authorization.k8s.io", "v1", "roles", true};
  Resource bindings{"rbac.authorization.k8s.io", "v1", "rolebindings", true};
  ASSERT_TRUE(client->create(roles, ns, json::parse(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role",
      "metadata":{"name":"cm-reader"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list"]}]})"))
                  .ok());
  ASSERT_TRUE(client->create(bindings, ns, json::parse(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding",
      "metadata":{"name":"reader"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"cm-reader"},
      "subjects":[{"kind":"ServiceAccount","name":"reader","namespace":")" + ns + R"("}]})"))
                  .ok());
  // TokenRequest: what `kubectl create token` does.
  auto tr = client->raw("POST", "/api/v1/namespaces/" + ns + "/serviceaccounts/reader/token",
                        R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":600}})",
                        "application/json");
  ASSERT_TRUE(tr.ok()) << tr.error().message;
  std::string token = json::parse(tr->body)["status"]["token"];
  ASSERT_FALSE(token.empty());

  auto cfg = config;
  cfg.tls.clientCertPem.clear();
  cfg.tls.clientKeyPem.clear();
  kube::KubeClient::Options o;
  o.bearerToken = [token] { return token; };
  auto limited = makeClient(cfg, o);

  auto list = limited->list(Resource::configMaps(), ns);
  ASSERT_TRUE(list.ok()) << list.error().message;
  auto denied = limited->create(Resource::configMaps(), ns, configMap("x", {}));
  ASSERT_FALSE(denied.ok());
  EXPECT_TRUE(ApiError::isForbidden(denied.error()));
  EXPECT_NE(denied.error().message.find("system:serviceaccount:" + ns + ":reader"), std::string::npos)
      << denied.error().message;
  EXPECT_NE(denied.error().message.find("cannot create resource \"configmaps\""), std::string::npos)
      << denied.error().message;
  auto otherNs = limited->list(Resource::configMaps(), "default");
  ASSERT_FALSE(otherNs.ok());
  EXPECT_TRUE(ApiError::isForbidden(otherNs.error()));

  o.bearerToken = [] { return std::string("not-a-token"); };
  auto bogus = makeClient(cfg, o);
  auto unauth = bogus->list(Resource::configMaps(), ns);
  ASSERT_FALSE(unauth.ok());
  EXPECT_TRUE(ApiError::isUnauthorized(unauth.error())) << unauth.error().message;
}

TEST_F(KubeClientIT, LeaseTakeoverBetweenTwoCandidates) {
  auto ns = createNamespace("lease");
  // Leader election gets its own client: short timeouts and no retries, so a renewal never
  // outlives the renew deadline.
  kube::KubeClient::Options fast;
  fast.timeout = 1s;
  fast.retry.maxRetries = 0;
  auto ca = makeClient(config, fast);
  auto cb = makeClient(config, fast);
  leaderelection::LeaderElectionConfig cfg{ns, "fro-leader", "a", 3s, 2s, 200ms};
  std::atomic<int> aStarted{0}, aStopped{0}, bStarted{0};
  leaderelection::LeaderElector a(*ca, cfg, {[&] { ++aStarted; }, [&] { ++aStopped; }, nullptr});
  cfg.identity = "b";
  leaderelection::LeaderElector b(*cb, cfg, {[&] { ++bStarted; }, nullptr, nullptr});
  std::thread ta([&] { a.run(); });
  auto until = [](auto pred, std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(20ms);
    return pred();
  };
  ASSERT_TRUE(until([&] { return aStarted.load() == 1; }, 5s));
  std::thread tb([&] { b.run(); });
  std::this_thread::sleep_for(1500ms);  // several of b's retry periods
  EXPECT_EQ(bStarted.load(), 0) << "b must not lead while a renews";
  EXPECT_EQ(b.currentLeader(), "a");

  // a shuts down gracefully: stops leading, releases; b takes over well within the lease duration.
  auto t0 = std::chrono::steady_clock::now();
  a.stop();
  ta.join();
  ASSERT_TRUE(a.release().ok());
  EXPECT_EQ(aStopped.load(), 1);
  ASSERT_TRUE(until([&] { return bStarted.load() == 1; }, 3s));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::cout << "[ figures ] takeover after release: " << took.count() << " ms\n";
  auto lease = client->get(Resource::leases(), ns, "fro-leader");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "b");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);
  b.stop();
  tb.join();
}

TEST_F(KubeClientIT, ALeaderCutOffFromTheApiStopsLeadingBeforeAnyoneElseTakesOver) {
  auto ns = createNamespace("lease-cut");
  kube::KubeClient::Options fast;
  fast.server = config.server;
  fast.timeout = 500ms;
  fast.retry.maxRetries = 0;
  fast.bearerToken = kube::TokenSource::bearerProvider(config, std::make_shared<SystemClock>());
  auto cut = std::make_shared<testing::SwitchableTransport>(std::make_shared<http::CurlTransport>(config.tls));
  kube::KubeClient ca(cut, fast);
  auto cb = makeClient(config, fast);
  leaderelection::LeaderElectionConfig cfg{ns, "fro-leader", "a", 3s, 2s, 200ms};
  using Clock = std::chrono::steady_clock;
  std::atomic<Clock::rep> aStoppedAt{0}, bStartedAt{0};
  std::atomic<bool> aLeading{false};
  leaderelection::LeaderElector a(ca, cfg, {[&] { aLeading = true; }, [&] { aStoppedAt = Clock::now().time_since_epoch().count(); }, nullptr});
  cfg.identity = "b";
  leaderelection::LeaderElector b(*cb, cfg, {[&] { bStartedAt = Clock::now().time_since_epoch().count(); }, nullptr, nullptr});
  std::thread ta([&] { a.run(); });
  for (int i = 0; i < 250 && !aLeading; ++i) std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(aLeading.load());
  std::thread tb([&] { b.run(); });
  auto cutAt = Clock::now();
  cut->down = true;  // a can no longer renew; b still reaches the API server
  ta.join();         // run() returns once a has given up leading
  for (int i = 0; i < 500 && bStartedAt == 0; ++i) std::this_thread::sleep_for(20ms);
  b.stop();
  tb.join();
  ASSERT_NE(aStoppedAt.load(), 0);
  ASSERT_NE(bStartedAt.load(), 0) << "b never took over";
  auto ms = [&](Clock::rep t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point(Clock::duration(t)) - cutAt).count();
  };
  std::cout << "[ figures ] after the cut: a stopped leading at " << ms(aStoppedAt) << " ms, b started at "
            << ms(bStartedAt) << " ms (renew deadline 2000 ms, lease 3000 ms)\n";
  EXPECT_LT(aStoppedAt.load(), bStartedAt.load()) << "two leaders at once";
}

TEST_F(KubeClientIT, RepeatedEventsAreAggregatedOnTheServer) {
  auto ns = createNamespace("events");
  auto cm = client->create(Resource::configMaps(), ns, configMap("subject", {}));
  ASSERT_TRUE(cm.ok());
  events::EventRecorder rec(*client, {.component = "feature-rollout-operator", .instance = "it"});
  events::ObjectReference ref{"v1", "ConfigMap", ns, "subject", (*cm)["metadata"]["uid"], ""};
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(rec.record(ref, "Warning", "GateWarning", "error-rate 0.031 above 0.02").ok());
  ASSERT_TRUE(rec.record(ref, "Normal", "StepStarted", "phase core step 1 at 10%").ok());
  auto list = client->list(Resource::coreEvents(), ns);
  ASSERT_TRUE(list.ok()) << list.error().message;
  std::map<std::string, int> counts;
  for (auto& e : (*list)["items"]) {
    EXPECT_EQ(e["involvedObject"]["name"], "subject");
    counts[e["reason"].get<std::string>()] += e.value("count", 0) * 100 + 1;  // count, and how many objects
  }
  EXPECT_EQ(counts["GateWarning"], 301) << "one Event object with count 3";
  EXPECT_EQ(counts["StepStarted"], 101);
}

TEST_F(KubeClientIT, ChangesToOwnedObjectsReconcileTheirOwner) {
  auto ns = createNamespace("route");
  auto parent = client->create(Resource::configMaps(), ns, configMap("parent", {}));
  ASSERT_TRUE(parent.ok());
  json child = configMap("child", {{"v", "1"}});
  child["metadata"]["ownerReferences"] = json::array({{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "parent"},
                                                       {"uid", (*parent)["metadata"]["uid"]}, {"controller", true}}});
  ASSERT_TRUE(client->create(Resource::configMaps(), ns, child).ok());

  controller::WorkQueue queue;
  std::mutex mu;
  std::vector<std::string> reconciled;
  controller::Workers workers(queue, [&](const std::string& key) {
    std::lock_guard l(mu);
    reconciled.push_back(key);
    return controller::ReconcileOutcome::success();
  }, 2);
  kube::Informer::Options io;
  io.namespace_ = ns;
  kube::Informer inf(*client, Resource::configMaps(), io);
  controller::EventRouter::enqueueOwner(inf, queue, "", "ConfigMap");
  std::thread t([&] { inf.run(); });
  workers.start();
  ASSERT_TRUE(inf.waitForSync(10s));
  auto count = [&] {
    std::lock_guard l(mu);
    return reconciled.size();
  };
  for (int i = 0; i < 200 && count() < 1; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_GE(count(), 1u);
  // Reconciles are at-least-once: a key added while it is being processed runs again after.
  size_t before = count();
  ASSERT_TRUE(client->patch(Resource::configMaps(), ns, "child", kube::PatchType::Merge, {{"data", {{"v", "2"}}}}).ok());
  for (int i = 0; i < 200 && count() <= before; ++i) std::this_thread::sleep_for(10ms);
  inf.stop();
  t.join();
  EXPECT_TRUE(workers.shutDown(5s));
  std::lock_guard l(mu);
  EXPECT_GT(reconciled.size(), before) << "the child's change must reconcile its owner";
  for (auto& k : reconciled) EXPECT_EQ(k, ns + "/parent") << "only the owner, never the child or kube-root-ca.crt";
}

TEST_F(KubeClientIT, InformerSeesChangesAndDeletes) {
  auto ns = createNamespace("inform");
  kube::Informer::Options io;
  io.namespace_ = ns;
  kube::Informer inf(*client, Resource::configMaps(), io);
  std::mutex mu;
  std::vector<std::string> seen;
  auto note = [&](std::string s) {
    std::lock_guard l(mu);
    if (s.find("kube-root-ca.crt") == std::string::npos) seen.push_back(std::move(s));
  };
  inf.addHandlers({[&](const kube::CachedPtr& o) { note("add " + o->name); },
                   [&](const kube::CachedPtr&, const kube::CachedPtr& o) { note("update " + o->name + " " + o->fields["data"].value("v", "")); },
                   [&](const kube::CachedPtr& o, bool) { note("delete " + o->name); }});
  std::thread t([&] { inf.run(); });
  ASSERT_TRUE(inf.waitForSync(10s));
  ASSERT_TRUE(client->create(Resource::configMaps(), ns, configMap("one", {{"v", "1"}})).ok());
  ASSERT_TRUE(client->patch(Resource::configMaps(), ns, "one", kube::PatchType::Merge, {{"data", {{"v", "2"}}}}).ok());
  ASSERT_TRUE(client->remove(Resource::configMaps(), ns, "one").ok());
  auto end = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < end) {
    {
      std::lock_guard l(mu);
      if (seen.size() >= 3) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  inf.stop();
  t.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"add one", "update one 2", "delete one"}));
  EXPECT_FALSE(inf.cache().get(ns, "one"));
}

}  // namespace
}  // namespace fro
