#pragma once
// The reconciler's I/O in miniature, for tests of the pure planner: one FeatureRollout, its
// ConfigMap, its workloads and the gate provider's results, with an injected clock. reconcile()
// plans and applies the plan's writes as FeatureRolloutReconciler does; settle() repeats that
// until nothing changes (what the watch events would cause).
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/Rfc3339.h"
#include "rollout/planner/Annotations.h"
#include "rollout/planner/FlagDocument.h"
#include "rollout/planner/RolloutPlanner.h"

namespace fro::testing {

using rollout::ConfigMapView;
using rollout::GateObservation;
using rollout::GateResult;
using rollout::Plan;
using rollout::PlanInput;
using rollout::PlannedEvent;
using rollout::RolloutPlanner;
using rollout::TimePoint;
using rollout::WorkloadView;

using json = nlohmann::json;

// Outside RolloutWorld: a nested class with default member initializers cannot be a default
// argument of its enclosing class's constructor (GCC).
struct RolloutWorldOptions {
  std::string name = "demo";
  std::string uid = "u1";
  std::vector<std::pair<std::string, std::string>> targets = {{"Deployment", "web"}};
  std::vector<std::string> containers = {"app", "sidecar"};
  // A spec without spec.delivery gets env delivery with a restart on every change (the scenarios
  // of step logic predate file delivery and count one template write per step); false keeps the
  // spec as written, so the defaults (file delivery, 90s allowance) apply.
  bool envOnly = true;
};

// The ConfigMap as the planner sees it (the digest) plus its data, for tests to read the values.
struct WorldConfigMap : ConfigMapView {
  std::map<std::string, std::string> data;
};

struct RolloutWorld {
  using Options = RolloutWorldOptions;

  json rollout;
  WorldConfigMap cm;
  std::vector<WorkloadView> workloads;
  std::vector<GateObservation> gates;
  TimePoint now = *Rfc3339::parse("2026-01-01T00:00:00Z");
  bool autoRollout = true;  // workloads converge as soon as they receive values
  // Like GateEvaluator with a healthy Prometheus: the gates a phase asks to have judged before its
  // first step (status.gateCheck, purpose Start) are evaluated at once and pass. Tests of that
  // check turn it off and answer themselves.
  bool autoStartCheck = true;
  TimePoint since{};
  Plan last;
  std::vector<PlannedEvent> events;
  int statusWrites = 0, configMapWrites = 0, workloadWrites = 0;

  explicit RolloutWorld(json spec, Options o = {}) {
    rollout = {{"apiVersion", "rollouts.featureflags.dev/v1alpha1"},
               {"kind", "FeatureRollout"},
               {"metadata", {{"name", o.name}, {"namespace", "shop"}, {"generation", 1}, {"uid", o.uid}}},
               {"spec", std::move(spec)}};
    if (o.envOnly && !rollout["spec"].contains("delivery"))
      rollout["spec"]["delivery"] = {{"file", {{"enabled", false}}}, {"env", {{"restartOn", "EveryChange"}}}};
    for (auto& [k, n] : o.targets) {
      WorkloadView w;
      w.kind = k, w.name = n, w.exists = true, w.containers = o.containers, w.rolledOut = true;
      workloads.push_back(w);
    }
  }

  // One reconcile: plan, then write status, ConfigMap and workloads as the I/O layer does.
  Plan& reconcile() {
    PlanInput in{rollout::RolloutObject::fromJson(rollout), cm, workloads, gates, now};
    last = RolloutPlanner::plan(in);
    // Like GateEvaluator: a request for a new step starts a new series of results.
    if (last.gateRequest && last.gateRequest->since != since) {
      since = last.gateRequest->since;
      gates.clear();
    }
    if (autoStartCheck && last.gateRequest && last.status.gateCheck && last.status.gateCheck->purpose == rollout::CheckPurpose::Start &&
        gates.empty()) {
      now += std::chrono::milliseconds(1);  // evaluated just after the request, as the evaluator does
      for (const auto& g : last.gateRequest->gates) {
        GateObservation o;
        o.name = g.name, o.result = GateResult::Passed, o.value = 0.0, o.consecutivePasses = 1;
        o.evaluatedAt = now, o.message = g.name + " = 0";
        gates.push_back(o);
      }
    }
    json st = last.status.toJson();
    if (st != rollout.value("status", json::object())) {
      rollout["status"] = st;
      ++statusWrites;
    }
    for (auto& e : last.events) events.push_back(e);
    // What the cluster looks like after the reconciler executed the plan: it writes exactly what
    // the plan does not mark current (the planner decides that once; this world does not).
    if (last.writeChildren) {
      if (!last.configMapCurrent) {
        cm.exists = true, cm.ownedByUs = true, cm.data = last.configMapData;
        cm.dataDigest = rollout::FlagDocument::checksum(cm.data);
        ++configMapWrites;
      }
      for (auto& t : last.targets)
        for (auto& w : workloads)
          if (w.kind == t.kind && w.name == t.name && !t.current) {
            applyInjection(w, t);
            w.rolledOut = autoRollout;
            w.progress = autoRollout ? "" : "Deployment web: 0 of 2 replicas updated";
            ++workloadWrites;
          }
    }
    return last;
  }
  // The pod template after the reconciler's apply of this injection (as the API server merges it).
  void applyInjection(WorkloadView& w, const rollout::TargetInjection& t) const {
    w.checksum = last.checksum;
    w.envFromContainers = last.envFrom ? t.containers : std::vector<std::string>{};
    std::erase_if(w.volumes, [](const rollout::VolumeView& v) { return v.ours; });
    if (last.file) w.volumes.push_back({last.file->volumeName, last.configMapName, true});
    if (w.podContainers.empty())
      for (const auto& c : w.containers) w.podContainers.push_back({c, {}, {}, false});
    for (auto& c : w.podContainers) {
      std::erase_if(c.env, [](const rollout::EnvView& e) { return e.ours; });
      std::erase_if(c.mounts, [](const rollout::MountView& m) { return m.ours; });
      if (!last.file || std::find(t.containers.begin(), t.containers.end(), c.name) == t.containers.end()) continue;
      c.env.push_back({rollout::names::kFlagdResolverEnv, rollout::names::kFlagdResolverValue, true});
      c.env.push_back({rollout::names::kFlagdSourcePathEnv, last.file->flagFile, true});
      c.mounts.push_back({last.file->volumeName, last.file->mountPath, "", true});
    }
  }
  // Reconciles until nothing changes (what the watch events would cause), at most n times.
  void settle(int n = 8) {
    for (int i = 0; i < n; ++i) {
      json before = rollout["status"];
      reconcile();
      if (rollout["status"] == before) return;
    }
  }
  void advance(std::chrono::milliseconds d) { now += d; }
  void gate(const std::string& name, GateResult r, double value, int passes = 1, int errors = 0, bool permanent = false) {
    GateObservation o;
    o.name = name, o.result = r, o.value = value, o.evaluatedAt = now, o.consecutivePasses = passes;
    o.consecutiveErrors = errors, o.permanent = permanent;
    o.threshold = r == GateResult::Warning ? "warning above 0.02" : r == GateResult::Critical ? "critical above 0.05" : "";
    o.message = name + " = " + std::to_string(value);
    setGate(o);
  }
  // The provider's latest observation of one gate (replaces an earlier one of that gate).
  void setGate(const GateObservation& o) {
    std::erase_if(gates, [&](const GateObservation& g) { return g.name == o.name; });
    gates.push_back(o);
  }
  void command(const std::string& c) { rollout["metadata"]["annotations"][rollout::names::kCommandAnnotation] = c; }
  void editSpec(const std::function<void(json&)>& f) {
    f(rollout["spec"]);
    rollout["metadata"]["generation"] = rollout["metadata"]["generation"].get<int>() + 1;
  }
  // {} before the first reconcile (const operator[] on a missing key is undefined behaviour).
  const json& status() const {
    static const json none = json::object();
    auto it = rollout.find("status");
    return it != rollout.end() ? *it : none;
  }
  std::string state() const { return status().value("state", ""); }
  std::string cond(const std::string& type, const char* field = "status") const {
    for (auto& c : status().value("conditions", json::array()))
      if (c["type"] == type) return c[field];
    return "";
  }
  int percentOf(const std::string& flag) const {
    for (auto& f : status()["flags"])
      if (f["name"] == flag) return f["percent"];
    return -1;
  }
  std::string where() const {
    return status().value("phase", "") + "/" + std::to_string(status().value("step", -1)) + "@" +
           std::to_string(status().value("percent", -1)) + " " + state();
  }
  std::vector<std::string> reasons() const {
    std::vector<std::string> r;
    for (auto& e : events) r.push_back(e.reason);
    return r;
  }
  bool hasEvent(const std::string& reason) const {
    for (auto& e : events)
      if (e.reason == reason) return true;
    return false;
  }
};

}  // namespace fro::testing
