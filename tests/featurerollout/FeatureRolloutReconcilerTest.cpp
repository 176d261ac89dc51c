// The reconciler as an executor, against an in-memory API server (tests/support/FakeCluster.h):
// the order of its writes, what it does on a conflict or a failed write, and what a release keeps.
// The decisions themselves are the planner's (RolloutPlannerTest); here only what reaches the
// cluster, and when.
#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/events/EventRecorder.h"
#include "rollout/planner/Annotations.h"
#include "rollout/controller/FeatureRolloutReconciler.h"
#include "rollout/controller/Finalizer.h"
#include "tests/support/FakeCluster.h"
#include "tests/support/ManualClock.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;
using controller::ReconcileOutcome;
using kube::Resource;
using namespace std::chrono_literals;

const char* kSpec = R"json({
  "targets": [{"kind": "Deployment", "name": "web"}],
  "flags": [{"name": "checkout", "envVar": "CHECKOUT"}],
  "phases": [{"name": "one", "enable": ["checkout"], "steps": [{"percent": 10, "pause": "1h"}, {"percent": 100}]}]})json";

class NoGates final : public GateProvider {
 public:
  void want(const std::string&, const GateRequest&) override {}
  void forget(const std::string&) override {}
  std::vector<GateObservation> observe(const std::string&) const override { return {}; }
};

class Reconciler : public ::testing::Test {
 protected:
  Reconciler() {
    cluster.put(Resource::deployments(), json::parse(R"json({
      "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
      "spec": {"replicas": 2, "template": {"spec": {"containers": [
        {"name": "app", "image": "shop:1", "envFrom": [{"secretRef": {"name": "app-secrets"}}]}]}}}})json"));
    cluster.converge(Resource::deployments(), "shop", "web");
    cluster.put(Resource::featureRollouts(), {{"apiVersion", "rollouts.featureflags.dev/v1alpha1"},
                                              {"kind", "FeatureRollout"},
                                              {"metadata", {{"name", "demo"}, {"namespace", "shop"}}},
                                              {"spec", json::parse(kSpec)}});
  }

  ReconcileOutcome reconcile() { return reconciler.reconcile("shop/demo"); }
  json rollout() const { return cluster.object(Resource::featureRollouts(), "shop", "demo"); }
  json web() const { return cluster.object(Resource::deployments(), "shop", "web"); }
  std::vector<std::string> envFromNames() const {
    std::vector<std::string> names;
    const json envFrom = web()["spec"]["template"]["spec"]["containers"][0].value("envFrom", json::array());
    for (const auto& e : envFrom)
      names.push_back(e.contains("secretRef") ? "secret:" + e["secretRef"].value("name", "")
                                              : "configMap:" + e["configMapRef"].value("name", ""));
    return names;
  }
  // Reconciles (the Deployment converging after each write) until a reconcile writes nothing.
  void settle() {
    for (int i = 0; i < 10; ++i) {
      cluster.clearWrites();
      reconcile();
      cluster.converge(Resource::deployments(), "shop", "web");
      if (cluster.writes().empty()) return;
    }
    FAIL() << "still writing after 10 reconciles";
  }
  std::vector<std::string> eventReasons() const {
    std::vector<std::string> r;
    for (const auto& e : cluster.list("events")) r.push_back(e.value("reason", ""));  // list() is a value: kept alive
    return r;
  }

  testing::FakeCluster cluster;
  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
  NoGates gates;
  events::EventRecorder recorder{cluster, {}, clock};
  FeatureRolloutReconciler reconciler{cluster, cluster, gates, recorder, {.clock = clock}};
};

TEST_F(Reconciler, TheFinalizerComesFirstThenStatusThenTheChildrenThenTheEvents) {
  reconcile();
  // The claim on the target comes before the status that relies on it (one workload, one rollout).
  std::vector<std::string> expected = {"patch featurerollouts demo", "patch deployments web",
                                       "updateStatus featurerollouts demo", "apply configmaps demo-flags",
                                       "apply deployments web"};
  ASSERT_GE(cluster.writes().size(), expected.size());
  EXPECT_EQ(std::vector<std::string>(cluster.writes().begin(), cluster.writes().begin() + 5), expected);
  EXPECT_EQ(web()["metadata"]["annotations"][names::kOwnerAnnotation], "demo");
  for (size_t i = 5; i < cluster.writes().size(); ++i) EXPECT_EQ(cluster.writes()[i].rfind("create events ", 0), 0u);
  EXPECT_EQ(rollout()["metadata"]["finalizers"], json({names::kFinalizer}));
  EXPECT_EQ(rollout()["status"]["state"], "Progressing");
  EXPECT_EQ(cluster.object(Resource::configMaps(), "shop", "demo-flags")["data"]["CHECKOUT_PERCENT"], "10");
  const auto reasons = eventReasons();
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "PhaseStarted"), reasons.end());
}

// The ConfigMap's watch event of a transition can wake the rollout before its own status event
// reached the cache: planned from the old status, the same transition would be written again and
// refused (409), a wasted plan, PUT and requeue. The reconciler plans from what it wrote instead.
TEST_F(Reconciler, ACacheThatHasNotSeenOurStatusWriteYetIsNotPlannedFromAgain) {
  settle();
  clock->advance(2min);  // the propagation allowance of file delivery
  settle();
  ASSERT_TRUE(rollout()["status"].contains("stepStartedAt")) << "step 1 (10%) active, pausing for an hour";
  cluster.lagCache(Resource::featureRollouts(), "shop", "demo");
  clock->advance(1h);
  cluster.clearWrites();
  reconcile();  // the pause is over: 100%
  ASSERT_EQ(cluster.writes().at(0), "updateStatus featurerollouts demo");
  EXPECT_EQ(cluster.object(Resource::configMaps(), "shop", "demo-flags")["data"]["CHECKOUT_PERCENT"], "100");
  const int conflicts = cluster.conflicts();
  const auto events = eventReasons().size();
  for (int i = 0; i < 3; ++i) {
    cluster.converge(Resource::deployments(), "shop", "web");
    cluster.clearWrites();
    const ReconcileOutcome o = reconcile();
    EXPECT_NE(o.kind, ReconcileOutcome::Kind::kError);
    for (const auto& w : cluster.writes()) EXPECT_NE(w.rfind("create events", 0), 0u) << "no transition is recorded twice";
  }
  EXPECT_EQ(cluster.conflicts(), conflicts) << "planned from the status it wrote, not the cache's older one";
  EXPECT_EQ(rollout()["status"]["step"], 1) << "advanced once, to 100%";
  cluster.catchUp();
  cluster.clearWrites();
  reconcile();
  EXPECT_TRUE(cluster.writes().empty());
  EXPECT_EQ(cluster.conflicts(), conflicts);
  EXPECT_GE(eventReasons().size(), events);
}

// Deleting a namespace with rollouts in it: NamespaceLifecycle refuses every new Event there, and a
// reconcile failed for it would back off and hold the finalizer cleanup back (about 10 rollouts a
// minute at 1,000). A plain Forbidden still fails it, so the Event is retried.
TEST_F(Reconciler, EventsRefusedByATerminatingNamespaceDoNotFailTheReconcile) {
  // A plain Forbidden fails the reconcile: the Event is retried, and recorded by the next attempt.
  cluster.failNext("create", "events", 403, "Forbidden");
  EXPECT_EQ(reconcile().kind, ReconcileOutcome::Kind::kError);
  EXPECT_NE(reconcile().kind, ReconcileOutcome::Kind::kError);
  EXPECT_EQ(eventReasons(), (std::vector<std::string>{"PhaseStarted"}));

  // The same transition Events in a namespace being deleted: given up, the reconcile goes on.
  cluster.put(Resource::deployments(), json::parse(R"json({
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"},
    "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "app", "image": "api:1"}]}}}})json"));
  cluster.converge(Resource::deployments(), "shop", "api");
  json spec = json::parse(kSpec);
  spec["targets"][0]["name"] = "api";
  cluster.put(Resource::featureRollouts(), {{"apiVersion", "rollouts.featureflags.dev/v1alpha1"},
                                            {"kind", "FeatureRollout"},
                                            {"metadata", {{"name", "other"}, {"namespace", "shop"}}},
                                            {"spec", spec}});
  cluster.failNext("create", "events", 403, "Forbidden",
                   "events \"other.u-1\" is forbidden: unable to create new content in namespace shop because it is being "
                   "terminated");
  EXPECT_NE(reconciler.reconcile("shop/other").kind, ReconcileOutcome::Kind::kError);
  EXPECT_EQ(cluster.object(Resource::featureRollouts(), "shop", "other")["status"]["state"], "Progressing");
  EXPECT_EQ(eventReasons().size(), 1u) << "the refused Event is not retried";
  reconciler.reconcile("shop/other");
  EXPECT_EQ(eventReasons().size(), 1u);
}

// A Deployment and its rollout applied together (a GitOps sync): the rollout's watch event may come
// before the Deployment's. The Deployment is asked for, not reported TargetNotFound (a false Warning
// Event and a needless status write); one that really is missing still is.
TEST_F(Reconciler, ATargetTheCacheHasNotSeenYetIsAskedForNotReportedMissing) {
  cluster.hideFromCache(Resource::deployments(), "shop", "web");
  reconcile();
  EXPECT_EQ(rollout()["status"]["state"], "Progressing");
  const auto reasons = eventReasons();
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "TargetNotFound"), 0);
  EXPECT_EQ(web()["metadata"]["annotations"][names::kOwnerAnnotation], "demo");

  cluster.edit(Resource::featureRollouts(), "shop", "demo", [](json& o) { o["spec"]["targets"][0]["name"] = "gone"; });
  reconcile();
  EXPECT_NE(rollout()["status"]["conditions"].dump().find("TargetNotFound"), std::string::npos) << rollout()["status"].dump();
}

TEST_F(Reconciler, AStatusConflictRequeuesSoonAndWritesNoChild) {
  settle();  // step 1 (10%) active, pausing for an hour
  ASSERT_EQ(cluster.object(Resource::configMaps(), "shop", "demo-flags")["data"]["CHECKOUT_PERCENT"], "10");
  cluster.edit(Resource::featureRollouts(), "shop", "demo", [](json& o) { o["spec"]["phases"][0]["steps"][0]["percent"] = 20; });
  cluster.failNext("updateStatus", "featurerollouts", 409, "Conflict");
  cluster.clearWrites();
  const ReconcileOutcome o = reconcile();
  EXPECT_EQ(o.kind, ReconcileOutcome::Kind::kRequeueAfter);
  EXPECT_EQ(o.after, 50ms);
  EXPECT_TRUE(cluster.writes().empty()) << "nothing may be written before the status that records it";
  EXPECT_EQ(cluster.object(Resource::configMaps(), "shop", "demo-flags")["data"]["CHECKOUT_PERCENT"], "10");
  reconcile();
  EXPECT_EQ(cluster.object(Resource::configMaps(), "shop", "demo-flags")["data"]["CHECKOUT_PERCENT"], "20")
      << "the next attempt writes the edited step";
}

TEST_F(Reconciler, AFailedChildWriteIsAWarningThenStalledWriteFailedUntilItWorks) {
  cluster.failNext("apply", "configmaps", 403, "Forbidden");
  const ReconcileOutcome o = reconcile();
  EXPECT_EQ(o.kind, ReconcileOutcome::Kind::kError);
  EXPECT_NE(o.message.find("applying ConfigMap demo-flags"), std::string::npos) << o.message;
  const auto reasons = eventReasons();
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "WriteFailed"), reasons.end());
  EXPECT_TRUE(cluster.object(Resource::configMaps(), "shop", "demo-flags").is_null());
  reconcile();  // the next plan sees the failure; this time the write works
  // The status written on that attempt says why it did not move; the one after it clears it.
  bool sawStalled = false;
  for (int i = 0; i < 3; ++i) {
    const json fr = rollout();  // a range-for over a temporary's member would dangle
    for (const auto& c : fr["status"]["conditions"])
      if (c["type"] == "Stalled" && c["reason"] == "WriteFailed") sawStalled = true;
    reconcile();
  }
  EXPECT_TRUE(sawStalled);
  const json fr = rollout();
  for (const auto& c : fr["status"]["conditions"])
    if (c["type"] == "Stalled") {
      EXPECT_EQ(c["status"], "False") << c.dump();
    }
  EXPECT_EQ(cluster.object(Resource::configMaps(), "shop", "demo-flags")["data"]["CHECKOUT_PERCENT"], "10");
}

TEST_F(Reconciler, NoTransitionEventIsRecordedForValuesThatWereNotWritten) {
  // Issue 17: "PhaseStarted ... on for 10% of users" was recorded although the ConfigMap write failed.
  cluster.failNext("apply", "configmaps", 403, "Forbidden");
  ASSERT_EQ(reconcile().kind, ReconcileOutcome::Kind::kError);
  auto reasons = eventReasons();
  EXPECT_EQ(std::find(reasons.begin(), reasons.end(), "PhaseStarted"), reasons.end())
      << "the values did not reach the cluster, so the transition's Event must wait";
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "WriteFailed"), reasons.end());
  EXPECT_EQ(rollout()["status"]["phase"], "one") << "the status records the intended step";
  reconcile();  // the write works now: the Event follows, once
  reasons = eventReasons();
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "PhaseStarted"), 1);
  EXPECT_EQ(cluster.object(Resource::configMaps(), "shop", "demo-flags")["data"]["CHECKOUT_PERCENT"], "10");
}

TEST_F(Reconciler, ANameLongerThanALabelValueIsInvalidSpecAndWritesNothing) {
  // 64 to 253 characters is a legal object name, but the name is the value of the ConfigMap's
  // rollout label (at most 63): stored before the CRD's rule existed, it is refused here.
  const std::string name(64, 'a');
  cluster.put(Resource::featureRollouts(), {{"apiVersion", "rollouts.featureflags.dev/v1alpha1"},
                                            {"kind", "FeatureRollout"},
                                            {"metadata", {{"name", name}, {"namespace", "shop"}}},
                                            {"spec", json::parse(kSpec)}});
  cluster.clearWrites();
  reconciler.reconcile("shop/" + name);
  for (const auto& w : cluster.writes()) {
    EXPECT_EQ(w.find("configmaps"), std::string::npos) << w;
    EXPECT_EQ(w.find("deployments"), std::string::npos) << w;
  }
  const json fr = cluster.object(Resource::featureRollouts(), "shop", name);
  EXPECT_EQ(fr["status"]["state"], "Invalid");
  EXPECT_NE(fr["status"]["message"].get<std::string>().find("metadata.name"), std::string::npos) << fr["status"].dump();
  const auto reasons = eventReasons();
  EXPECT_EQ(std::find(reasons.begin(), reasons.end(), "PhaseStarted"), reasons.end());
}

TEST_F(Reconciler, AnInjectionKeepsTheUsersEnvFromAndAReleaseGivesBackOnlyOurs) {
  settle();
  EXPECT_EQ(envFromNames(), (std::vector<std::string>{"secret:app-secrets", "configMap:demo-flags"}));
  EXPECT_FALSE(web()["spec"]["template"]["metadata"]["annotations"].value(names::kChecksumAnnotation, "").empty());
  // Untargeted: released, the user's entry kept, our checksum and claim gone.
  cluster.put(Resource::deployments(), {{"apiVersion", "apps/v1"},
                                        {"kind", "Deployment"},
                                        {"metadata", {{"name", "api"}, {"namespace", "shop"}}},
                                        {"spec", {{"template", {{"spec", {{"containers", {{{"name", "api"}}}}}}}}}}});
  cluster.converge(Resource::deployments(), "shop", "api");
  cluster.edit(Resource::featureRollouts(), "shop", "demo", [](json& o) { o["spec"]["targets"][0]["name"] = "api"; });
  settle();
  EXPECT_EQ(envFromNames(), (std::vector<std::string>{"secret:app-secrets"}));
  EXPECT_FALSE(web()["spec"]["template"].value("/metadata/annotations"_json_pointer, json::object()).contains(
      names::kChecksumAnnotation));
  EXPECT_FALSE(web()["metadata"].value("annotations", json::object()).contains(names::kOwnerAnnotation));
  EXPECT_EQ(rollout()["status"]["appliedTargets"], json({"Deployment/api"}));
}

TEST_F(Reconciler, DeletionReleasesEveryTargetThenRemovesOnlyOurFinalizer) {
  settle();
  cluster.edit(Resource::featureRollouts(), "shop", "demo", [](json& o) {
    o["metadata"]["finalizers"].push_back("example.com/keep");
    o["metadata"]["deletionTimestamp"] = "2027-01-15T08:00:00Z";
  });
  EXPECT_EQ(reconcile().kind, ReconcileOutcome::Kind::kSuccess);
  EXPECT_EQ(envFromNames(), (std::vector<std::string>{"secret:app-secrets"}));
  EXPECT_EQ(rollout()["metadata"]["finalizers"], json({"example.com/keep"}));
  cluster.clearWrites();
  EXPECT_EQ(reconcile().kind, ReconcileOutcome::Kind::kSuccess);
  EXPECT_TRUE(cluster.writes().empty()) << "our finalizer is gone: nothing more to do";
}

TEST(Finalizer, FourCases) {
  testing::FakeCluster cluster;
  Finalizer f(cluster, Resource::featureRollouts(), "x.dev/cleanup");
  cluster.put(Resource::featureRollouts(), {{"metadata", {{"name", "a"}, {"namespace", "ns"}}}});
  json obj = cluster.object(Resource::featureRollouts(), "ns", "a");
  EXPECT_EQ(f.of(obj), Finalizer::Case::Add);
  auto md = f.add(obj);
  ASSERT_TRUE(md.ok()) << md.error().message;
  EXPECT_EQ((*md)["finalizers"], json({"x.dev/cleanup"}));
  EXPECT_FALSE(f.add(obj).ok()) << "a stale resourceVersion must not add it twice";
  obj = cluster.object(Resource::featureRollouts(), "ns", "a");
  EXPECT_EQ(f.of(obj), Finalizer::Case::Proceed);
  obj["metadata"]["deletionTimestamp"] = "2027-01-15T08:00:00Z";
  EXPECT_EQ(f.of(obj), Finalizer::Case::CleanUp);
  ASSERT_TRUE(f.remove(obj).ok());
  obj = cluster.object(Resource::featureRollouts(), "ns", "a");
  obj["metadata"]["deletionTimestamp"] = "2027-01-15T08:00:00Z";
  EXPECT_EQ(f.of(obj), Finalizer::Case::Gone);
  EXPECT_TRUE(f.remove(obj).ok()) << "removing what is not there is fine";
}

}  // namespace
}  // namespace fro::rollout
