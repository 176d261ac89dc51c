#pragma once
// What the planner needs to know about one target workload (Deployment, StatefulSet, DaemonSet):
// whether it exists, its containers, whether our envFrom and checksum are on its pod template,
// and whether its pods have rolled out. Built from the informer's projected object.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fro::rollout {

// What file delivery must not collide with, and what it looks for: the pod template's volumes,
// each container's env and volume mounts, each marked when our field manager applied it.
struct VolumeView {
  std::string name;
  std::string configMap;  // configMap.name, "" for other volume types
  bool ours = false;
};
struct EnvView {
  std::string name;
  std::string value;  // "" for valueFrom
  bool ours = false;
};
struct MountView {
  std::string volume;
  std::string mountPath;
  std::string subPath;
  bool ours = false;
};
struct ContainerView {
  std::string name;
  std::vector<EnvView> env;
  std::vector<MountView> mounts;
  bool ownsEnvFrom = false;  // our apply owns this container's (atomic) envFrom list
};

struct WorkloadView {
  std::string kind;
  std::string name;
  bool exists = false;
  std::vector<std::string> containers;          // pod template container names
  std::vector<std::string> envFromContainers;   // containers with envFrom our ConfigMap
  std::string checksum;                         // our annotation on the pod template ("" if none)
  std::vector<VolumeView> volumes;              // pod template volumes
  std::vector<ContainerView> podContainers;     // pod template containers, in order
  bool rolledOut = false;                       // the controller has rolled every pod to the template
  std::string progress;                         // e.g. "2 of 3 replicas updated"; empty when rolled out
  std::string claimedBy;                        // names::kOwnerAnnotation: the FeatureRollout that owns it
  bool claimantExists = false;                  // that FeatureRollout exists (filled by the reconciler)

  // kind: Deployment | StatefulSet | DaemonSet; obj may be null (missing target).
  static WorkloadView observe(const std::string& kind, const std::string& name, const nlohmann::json* obj,
                              const std::string& configMapName);
  const ContainerView* container(const std::string& name) const;
  const VolumeView* volume(const std::string& name) const;

  // Keeps only the fields observe() reads (informer cache projection).
  static nlohmann::json project(const nlohmann::json& full);
};

}  // namespace fro::rollout
