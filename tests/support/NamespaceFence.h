#pragma once
// A ValidatingAdmissionPolicy "fence" on a test namespace: only system: users (the operator's
// ServiceAccount, the control plane's own controllers) may write rollouts, ConfigMaps, workloads
// and Events there. Another operator watching all namespaces (hack/demo.sh runs one with the admin
// kubeconfig) then cannot act on the test's rollouts, nor add writes and Events to what it counts.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "runtime/kube/KubeClient.h"
#include "runtime/kube/Resource.h"

namespace fro::testing {

inline kube::Resource admissionPolicies() {
  return {"admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", false};
}
inline kube::Resource admissionPolicyBindings() {
  return {"admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", false};
}

// Policy and binding `name` on namespace `ns`; returns once an admin write there is denied with
// "fenced by <owner>" (the policy takes a moment to be enforced).
inline void installNamespaceFence(kube::KubeClient& client, const std::string& name, const std::string& ns,
                                  const std::string& owner) {
  using json = nlohmann::json;
  using namespace std::chrono_literals;
  json policy = {
      {"apiVersion", "admissionregistration.k8s.io/v1"},
      {"kind", "ValidatingAdmissionPolicy"},
      {"metadata", {{"name", name}}},
      {"spec",
       {{"failurePolicy", "Fail"},
        {"matchConstraints",
         {{"namespaceSelector",
           {{"matchExpressions", {{{"key", "kubernetes.io/metadata.name"}, {"operator", "In"}, {"values", {ns}}}}}}},
          {"resourceRules",
           {{{"apiGroups", {"rollouts.featureflags.dev"}},
             {"apiVersions", {"*"}},
             {"operations", {"UPDATE"}},
             {"resources", {"featurerollouts", "featurerollouts/status"}}},
            {{"apiGroups", {"apps"}},
             {"apiVersions", {"*"}},
             {"operations", {"UPDATE"}},
             {"resources", {"deployments", "statefulsets", "daemonsets"}}},
            {{"apiGroups", {""}},
             {"apiVersions", {"*"}},
             {"operations", {"CREATE", "UPDATE"}},
             {"resources", {"configmaps", "events"}}}}}}},
        {"matchConditions",
         {{{"name", "not-a-system-user"}, {"expression", "!request.userInfo.username.startsWith(\"system:\")"}}}},
        {"validations",
         {{{"expression", "false"},
           {"message", "fenced by " + owner + ": only the operator under test writes in this namespace"}}}}}}};
  auto p = client.create(admissionPolicies(), "", policy);
  ASSERT_TRUE(p.ok()) << p.error().message;
  json binding = {{"apiVersion", "admissionregistration.k8s.io/v1"},
                  {"kind", "ValidatingAdmissionPolicyBinding"},
                  {"metadata", {{"name", name}}},
                  {"spec", {{"policyName", name}, {"validationActions", {"Deny"}}}}};
  auto b = client.create(admissionPolicyBindings(), "", binding);
  ASSERT_TRUE(b.ok()) << b.error().message;
  json probe = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "fence-probe"}}}};
  for (auto deadline = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < deadline;) {
    auto c = client.create(kube::Resource::configMaps(), ns, probe);
    if (!c.ok() && c.error().message.find("fenced by " + owner) != std::string::npos) return;
    if (c.ok()) (void)client.remove(kube::Resource::configMaps(), ns, "fence-probe");
    std::this_thread::sleep_for(200ms);
  }
  FAIL() << "the admission fence on " << ns << " did not become active within 20s";
}

inline void removeNamespaceFence(kube::KubeClient& client, const std::string& name) {
  (void)client.remove(admissionPolicyBindings(), "", name);
  (void)client.remove(admissionPolicies(), "", name);
}

}  // namespace fro::testing
