#pragma once
// The product's CRD on the local control plane: installed from crds/ before a test, and the
// finalizers of what is left dropped after it, or a rollout nobody finalizes holds its namespace
// in Terminating forever.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "runtime/kube/KubeClient.h"
#include "runtime/kube/Resource.h"
#include "tests/support/YamlJson.h"

namespace fro::testing {

inline void installFeatureRolloutCrd(kube::KubeClient& client) {
  using namespace std::chrono_literals;
  nlohmann::json crd = yamlFileToJson(std::string(FRO_SOURCE_DIR) + "/crds/featurerollouts.rollouts.featureflags.dev.yaml");
  kube::Resource crds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};
  auto applied = client.apply(crds, crd, "fro-integration-tests");
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  for (int i = 0; i < 100; ++i) {  // served a moment after it is accepted
    if (client.list(kube::Resource::featureRollouts(), "default").ok()) return;
    std::this_thread::sleep_for(100ms);
  }
  FAIL() << "FeatureRollout resource not served";
}

inline void dropRolloutFinalizers(kube::KubeClient& client, const std::string& ns) {
  if (auto l = client.list(kube::Resource::featureRollouts(), ns); l.ok())
    for (auto& fr : (*l)["items"])
      (void)client.patch(kube::Resource::featureRollouts(), ns, fr["metadata"].value("name", ""), kube::PatchType::Merge,
                         {{"metadata", {{"finalizers", nullptr}}}});
}

}  // namespace fro::testing
