#pragma once
// The Helm chart's own ServiceAccount and RBAC, rendered by `helm template` for one watched
// namespace and applied as rendered, so an operator process has exactly what users install.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/ShellCommand.h"

namespace fro::testing {

// The chart's ServiceAccount name for release "fro".
inline const std::string kChartServiceAccount = "fro-feature-rollout-operator";

// Renders templates/serviceaccount.yaml and templates/rbac.yaml for release "fro" in `releaseNs`
// with watchNamespaces={ns} (and `extraHelmArgs`, e.g. " --set leaderElection.leaseName=x") into `file`.
inline void renderChartRbac(const std::string& releaseNs, const std::string& ns, const std::string& file,
                            const std::string& extraHelmArgs = "") {
  std::string chart = std::string(FRO_SOURCE_DIR) + "/charts/feature-rollout-operator";
  auto r = sh("helm template fro '" + chart + "' --namespace " + releaseNs + " --set 'watchNamespaces={" + ns + "}'" +
              extraHelmArgs + " --show-only templates/serviceaccount.yaml --show-only templates/rbac.yaml > '" + file +
              "'");
  ASSERT_EQ(r.rc, 0) << r.out;
}

// `kubectl apply -f file`; its output in `applied`.
inline void applyManifest(const std::string& file, ShellResult& applied) {
  applied = sh("kubectl apply -f '" + file + "'");
  ASSERT_EQ(applied.rc, 0) << applied.out;
}

}  // namespace fro::testing
