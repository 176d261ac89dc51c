#pragma once
// Identifies a REST collection: group/version/resource (plural) and whether it is namespaced.
#include <optional>
#include <string>

namespace fro::kube {

struct Resource {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  bool namespaced = true;

  // Collection path, e.g. /apis/apps/v1/namespaces/shop/deployments ("" ns = all namespaces).
  std::string collectionPath(const std::string& ns) const;
  std::string objectPath(const std::string& ns, const std::string& name) const;
  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }

  static Resource configMaps() { return {"", "v1", "configmaps", true}; }
  static Resource namespaces() { return {"", "v1", "namespaces", false}; }
  static Resource pods() { return {"", "v1", "pods", true}; }
  static Resource secrets() { return {"", "v1", "secrets", true}; }
  static Resource serviceAccounts() { return {"", "v1", "serviceaccounts", true}; }
  static Resource coreEvents() { return {"", "v1", "events", true}; }
  static Resource deployments() { return {"apps", "v1", "deployments", true}; }
  static Resource statefulSets() { return {"apps", "v1", "statefulsets", true}; }
  static Resource daemonSets() { return {"apps", "v1", "daemonsets", true}; }
  static Resource leases() { return {"coordination.k8s.io", "v1", "leases", true}; }
  static Resource events() { return {"events.k8s.io", "v1", "events", true}; }
  // Deployment, StatefulSet or DaemonSet by kind; nullopt for any other kind.
  static std::optional<Resource> workload(const std::string& kind) {
    if (kind == "Deployment") return deployments();
    if (kind == "StatefulSet") return statefulSets();
    if (kind == "DaemonSet") return daemonSets();
    return std::nullopt;
  }
  static Resource featureRollouts() { return {"rollouts.featureflags.dev", "v1alpha1", "featurerollouts", true}; }
};

}  // namespace fro::kube
