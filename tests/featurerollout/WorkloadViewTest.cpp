#include <gtest/gtest.h>

#include "runtime/common/Rfc3339.h"
#include "rollout/planner/Annotations.h"
#include "rollout/planner/RolloutStatus.h"
#include "rollout/planner/WorkloadView.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;

json deployment(int gen, int observed, int replicas, int updated, int total, int available) {
  json d = json::parse(R"({
    "metadata": {"name": "web", "managedFields": [{"manager": "x"}]},
    "spec": {"template": {
      "metadata": {"annotations": {"rollouts.featureflags.dev/flags-checksum": "abc", "other": "x"}},
      "spec": {"containers": [
        {"name": "app", "image": "nginx", "envFrom": [{"configMapRef": {"name": "demo-flags"}}]},
        {"name": "sidecar", "image": "envoy"}]}}}})");
  d["metadata"]["generation"] = gen;
  d["spec"]["replicas"] = replicas;
  d["status"] = {{"observedGeneration", observed}, {"replicas", total}, {"updatedReplicas", updated},
                 {"availableReplicas", available}};
  return d;
}

TEST(WorkloadView, ConvergenceTable) {
  struct Row {
    const char* what;
    json obj;
    bool rolledOut;
    std::string progress;
  } rows[] = {
      {"rolled out", deployment(2, 2, 3, 3, 3, 3), true, ""},
      {"generation not observed", deployment(3, 2, 3, 3, 3, 3), false,
       "Deployment web: waiting for the Deployment controller to observe generation 3"},
      {"updating", deployment(2, 2, 3, 1, 3, 3), false, "Deployment web: 1 of 3 replicas updated"},
      {"old pods terminating", deployment(2, 2, 3, 3, 4, 3), false, "Deployment web: 1 old replicas pending termination"},
      {"not yet available", deployment(2, 2, 3, 3, 3, 2), false, "Deployment web: 2 of 3 updated replicas available"},
  };
  for (auto& r : rows) {
    auto v = WorkloadView::observe("Deployment", "web", &r.obj, "demo-flags");
    EXPECT_EQ(v.rolledOut, r.rolledOut) << r.what;
    EXPECT_EQ(v.progress, r.progress) << r.what;
    EXPECT_EQ(v.checksum, "abc");
    EXPECT_EQ(v.containers, (std::vector<std::string>{"app", "sidecar"}));
    EXPECT_EQ(v.envFromContainers, (std::vector<std::string>{"app"}));
  }
  json paused = deployment(2, 2, 3, 3, 3, 3);
  paused["spec"]["paused"] = true;
  EXPECT_EQ(WorkloadView::observe("Deployment", "web", &paused, "demo-flags").progress, "Deployment web: spec.paused is true");
  EXPECT_FALSE(WorkloadView::observe("Deployment", "web", nullptr, "demo-flags").exists);

  json sts = {{"metadata", {{"generation", 1}}}, {"spec", {{"replicas", 2}}},
              {"status", {{"observedGeneration", 1}, {"replicas", 2}, {"updatedReplicas", 2}, {"readyReplicas", 2},
                          {"currentRevision", "a"}, {"updateRevision", "b"}}}};
  EXPECT_EQ(WorkloadView::observe("StatefulSet", "db", &sts, "x").progress, "StatefulSet db: revision b not yet current");
  sts["status"]["currentRevision"] = "b";
  EXPECT_TRUE(WorkloadView::observe("StatefulSet", "db", &sts, "x").rolledOut);

  json ds = {{"metadata", {{"generation", 1}}},
             {"status", {{"observedGeneration", 1}, {"desiredNumberScheduled", 4}, {"updatedNumberScheduled", 3}, {"numberAvailable", 4}}}};
  EXPECT_EQ(WorkloadView::observe("DaemonSet", "agent", &ds, "x").progress, "DaemonSet agent: 3 of 4 pods updated");
}

TEST(WorkloadView, ProjectionKeepsWhatObserveReads) {
  json full = deployment(2, 2, 3, 1, 3, 3);
  json p = WorkloadView::project(full);
  EXPECT_FALSE(p["metadata"].contains("managedFields"));
  EXPECT_FALSE(p["spec"]["template"]["metadata"]["annotations"].contains("other"));
  EXPECT_FALSE(p["spec"]["template"]["spec"]["containers"][0].contains("image"));
  auto a = WorkloadView::observe("Deployment", "web", &full, "demo-flags");
  auto b = WorkloadView::observe("Deployment", "web", &p, "demo-flags");
  EXPECT_EQ(a.progress, b.progress);
  EXPECT_EQ(a.checksum, b.checksum);
  EXPECT_EQ(a.containers, b.containers);
  EXPECT_EQ(a.envFromContainers, b.envFromContainers);
}

// What file delivery reads: volumes, env and mounts, each marked when our field manager applied it
// (from managedFields), so the user's own are never mistaken for ours; the projection keeps
// exactly that.
TEST(WorkloadView, MarksOurVolumeMountAndEnvFromManagedFields) {
  json d = json::parse(R"({
    "metadata": {"name": "web", "generation": 1, "managedFields": [
      {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {
        "f:volumes": {"k:{\"name\":\"data\"}": {}}}}}}},
      {"manager": "feature-rollout-operator", "operation": "Apply", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {
        "f:volumes": {"k:{\"name\":\"feature-flags\"}": {".": {}, "f:configMap": {}}},
        "f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:name": {},
          "f:env": {"k:{\"name\":\"FLAGD_RESOLVER\"}": {}, "k:{\"name\":\"FLAGD_OFFLINE_FLAG_SOURCE_PATH\"}": {}},
          "f:volumeMounts": {"k:{\"mountPath\":\"/etc/feature-flags\"}": {}}, "f:image": {}}}}}}}}]},
    "spec": {"template": {"spec": {
      "volumes": [{"name": "data", "emptyDir": {}}, {"name": "feature-flags", "configMap": {"name": "demo-flags"}}],
      "containers": [{"name": "app", "image": "x",
        "env": [{"name": "LOG", "value": "debug"}, {"name": "FLAGD_RESOLVER", "value": "in-process"},
                {"name": "FLAGD_OFFLINE_FLAG_SOURCE_PATH", "value": "/etc/feature-flags/flags.flagd.json"},
                {"name": "SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
        "volumeMounts": [{"name": "data", "mountPath": "/data", "subPath": "a"},
                         {"name": "feature-flags", "mountPath": "/etc/feature-flags", "readOnly": true}]}]}}}})");
  for (const json& obj : {d, WorkloadView::project(d)}) {
    const auto v = WorkloadView::observe("Deployment", "web", &obj, "demo-flags");
    ASSERT_EQ(v.volumes.size(), 2u) << obj.dump();
    EXPECT_FALSE(v.volume("data")->ours);
    EXPECT_TRUE(v.volume("feature-flags")->ours);
    EXPECT_EQ(v.volume("feature-flags")->configMap, "demo-flags");
    const ContainerView* app = v.container("app");
    ASSERT_NE(app, nullptr);
    ASSERT_EQ(app->env.size(), 4u);
    EXPECT_FALSE(app->env[0].ours);
    EXPECT_TRUE(app->env[1].ours);
    EXPECT_EQ(app->env[2].value, "/etc/feature-flags/flags.flagd.json");
    EXPECT_EQ(app->env[3].value, "");  // valueFrom: never copied into the cache
    ASSERT_EQ(app->mounts.size(), 2u);
    EXPECT_FALSE(app->mounts[0].ours);
    EXPECT_EQ(app->mounts[0].subPath, "a");
    EXPECT_TRUE(app->mounts[1].ours);
  }
  const json p = WorkloadView::project(d);
  ASSERT_EQ(p["metadata"]["managedFields"].size(), 1u) << "only our own Apply entry is cached";
  EXPECT_EQ(p["metadata"]["managedFields"][0].dump().find("f:image"), std::string::npos);
  EXPECT_EQ(p.dump().find("secretKeyRef"), std::string::npos);
}

TEST(RolloutStatus, RoundTripsThroughJson) {
  RolloutStatus s;
  s.observedGeneration = 4, s.phase = "core", s.phaseIndex = 1, s.step = 2, s.percent = 50, s.state = RolloutState::Holding;
  s.stepStartedAt = *Rfc3339::parse("2026-11-29T05:00:00.250Z");
  s.operatorPaused = true;
  s.delivery = DeliveryStatus{7, "abc", *Rfc3339::parse("2026-11-29T05:00:01Z"), *Rfc3339::parse("2026-11-29T05:01:31Z"), true};
  s.rollback = RollbackInfo{"core", "GateCritical", "m", "2026-11-29T05:00:00Z"};
  s.flags = {{"a", "A", true, 100}};
  s.gates = {{"g", "q", "0.1", "critical above 0.05", GateResult::Critical, "msg", "2026-11-29T05:00:00Z", 0}};
  s.setCondition({"Ready", ConditionStatus::False, "GateWarning", "m"}, "2026-11-29T05:00:00Z", 4);
  json j = s.toJson();
  EXPECT_EQ(RolloutStatus::fromJson(j).toJson(), j);
  EXPECT_EQ(j["stepStartedAt"], "2026-11-29T05:00:00.250000Z");
  EXPECT_EQ(j["delivery"]["revision"], 7);
  EXPECT_EQ(j["delivery"]["activeAfter"], "2026-11-29T05:01:31.000000Z");
  // lastTransitionTime moves only when the status flips.
  s.setCondition({"Ready", ConditionStatus::False, "Other", "m2"}, "2026-11-29T06:00:00Z", 5);
  EXPECT_EQ(s.condition("Ready")->lastTransitionTime, "2026-11-29T05:00:00Z");
  s.setCondition({"Ready", ConditionStatus::True, "Done", "m3"}, "2026-11-29T07:00:00Z", 5);
  EXPECT_EQ(s.condition("Ready")->lastTransitionTime, "2026-11-29T07:00:00Z");
}

TEST(Rfc3339, ParsesWhatKubernetesWrites) {
  auto t = Rfc3339::parse("2026-11-29T04:47:40Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(Rfc3339::format(*t), "2026-11-29T04:47:40Z");
  EXPECT_EQ(Rfc3339::formatMicro(*Rfc3339::parse("2026-11-29T04:47:40.5Z")), "2026-11-29T04:47:40.500000Z");
  EXPECT_EQ(Rfc3339::format(*Rfc3339::parse("2026-11-29T06:47:40+02:00")), "2026-11-29T04:47:40Z");
  for (const char* bad : {"", "2026-11-29", "2026-11-29T04:47:40", "2026-13-29T04:47:40Z", "2026-11-29T04:47:40Zjunk", "2026-11-29T04:47:40.Z"})
    EXPECT_FALSE(Rfc3339::parse(bad)) << bad;
}

}  // namespace
}  // namespace fro::rollout
