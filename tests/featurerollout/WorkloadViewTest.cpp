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

TEST(RolloutStatus, RoundTripsThroughJson) {
  RolloutStatus s;
  s.observedGeneration = 4, s.phase = "core", s.phaseIndex = 1, s.step = 2, s.percent = 50, s.state = RolloutState::Holding;
  s.stepStartedAt = *Rfc3339::parse("2026-11-29T05:00:00.250Z");
  s.operatorPaused = true;
  s.rollback = RollbackInfo{"core", "GateCritical", "m", "2026-11-29T05:00:00Z"};
  s.flags = {{"a", "A", true, 100}};
  s.gates = {{"g", "q", "0.1", "critical above 0.05", GateResult::Critical, "msg", "2026-11-29T05:00:00Z", 0}};
  s.setCondition({"Ready", ConditionStatus::False, "GateWarning", "m"}, "2026-11-29T05:00:00Z", 4);
  json j = s.toJson();
  EXPECT_EQ(RolloutStatus::fromJson(j).toJson(), j);
  EXPECT_EQ(j["stepStartedAt"], "2026-11-29T05:00:00.250000Z");
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
