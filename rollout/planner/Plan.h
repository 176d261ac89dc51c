#pragma once
// What the planner reads (PlanInput: typed rollout, observed children, gate results, now) and
// what it decides (Plan: every write the reconciler makes, in the order it makes them).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rollout/planner/ConfigMapView.h"
#include "rollout/planner/GateProvider.h"
#include "rollout/planner/RolloutObject.h"
#include "rollout/planner/RolloutStatus.h"
#include "rollout/planner/WorkloadView.h"

namespace fro::rollout {

struct PlanInput {
  RolloutObject rollout;
  ConfigMapView configMap;
  std::vector<WorkloadView> workloads;  // one per spec target (missing ones with exists=false)
  std::vector<GateObservation> gates;   // GateProvider::observe() for this rollout
  TimePoint now;
  std::string writeError;  // the last failed write of the children, "" when none
};

struct PlannedEvent {
  EventType type = EventType::Normal;
  std::string reason;
  std::string message;
  std::int64_t seq = 0;  // the history entry (status.history[].seq) this Event records
};

// A target to claim for this rollout (one workload, one rollout): the annotation
// names::kOwnerAnnotation set to the rollout's name, written before anything else.
struct TargetClaim {
  std::string kind;
  std::string name;
  std::string previous;  // the stale claim it replaces ("" when unclaimed)
};

struct TargetInjection {
  std::string kind;
  std::string name;
  std::vector<std::string> containers;  // resolved: the spec's list, or every container
  bool current = false;                 // the pod template already carries these values: no write
};

// File delivery on the targets: the ConfigMap mounted read-only as a directory in each container,
// and the flagd providers' env vars pointing at the document in it.
struct FileMount {
  std::string volumeName;
  std::string mountPath;
  std::string flagFile;  // <mountPath>/flags.flagd.json
};

struct TargetRelease {
  std::string kind;
  std::string name;
};

struct Plan {
  // false: the spec is invalid or a target is missing: change nothing in the cluster but status.
  bool writeChildren = false;
  std::string configMapName;
  std::map<std::string, std::string> configMapData;
  bool configMapCurrent = false;  // the observed ConfigMap already holds configMapData: no write
  std::string checksum;  // the pod-template annotation (restart policy), "" for none
  std::optional<FileMount> file;  // nullopt: no file delivery (our volume, mounts and env removed)
  bool envFrom = true;            // envFrom the ConfigMap (spec.delivery.env.restartOn != Never)
  std::vector<TargetInjection> targets;
  std::vector<TargetRelease> releases;  // carrying our injection, no longer targeted
  std::vector<TargetClaim> claims;      // before the status write; a lost race means replan
  RolloutStatus status;
  std::vector<PlannedEvent> events;  // record only after the status write succeeded
  std::optional<std::chrono::milliseconds> requeueAfter;
  std::optional<GateRequest> gateRequest;  // nullopt: GateProvider::forget
};

}  // namespace fro::rollout
