#pragma once
// Kubeconfigs with a bearer token for the local control plane, so an operator process runs as a
// ServiceAccount (or as nobody) rather than with the admin kubeconfig of $KUBECONFIG.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/ShellCommand.h"
#include "tests/support/YamlJson.h"

namespace fro::testing {

// The API server of $KUBECONFIG's current context and the kubeconfig line(s) naming its CA.
struct ClusterEndpoint {
  std::string server;
  std::string caLines;  // each ends with "\n"
};

inline void adminCluster(ClusterEndpoint& out) {
  using json = nlohmann::json;
  const char* kc = std::getenv("KUBECONFIG");
  ASSERT_TRUE(kc && *kc) << "KUBECONFIG is not set";
  json admin = yamlFileToJson(kc);
  std::string ctx = admin.value("current-context", ""), clusterName;
  for (auto& c : admin["contexts"])
    if (c["name"] == ctx) clusterName = c["context"]["cluster"];
  json cluster;
  for (auto& c : admin["clusters"])
    if (c["name"] == clusterName) cluster = c["cluster"];
  ASSERT_TRUE(cluster.is_object()) << "no cluster for context " << ctx << " in $KUBECONFIG";
  out.server = cluster.value("server", "");
  if (cluster.contains("certificate-authority-data")) {
    out.caLines = "    certificate-authority-data: " + cluster["certificate-authority-data"].get<std::string>() + "\n";
  } else {
    // A relative CA path is relative to the kubeconfig, which the operator does not read.
    std::filesystem::path ca = cluster.value("certificate-authority", "");
    if (ca.is_relative()) ca = std::filesystem::path(kc).parent_path() / ca;
    out.caLines = "    certificate-authority: " + ca.string() + "\n";
  }
}

// A TokenRequest token (1 h) of ServiceAccount `sa` in `saNamespace`.
inline void serviceAccountToken(const std::string& sa, const std::string& saNamespace, std::string& token) {
  auto t = sh("kubectl create token " + sa + " -n " + saNamespace + " --duration=1h");
  ASSERT_EQ(t.rc, 0) << t.out;
  token = trimmed(t.out);
}

// Writes a kubeconfig of one cluster (`server` and `clusterLines`) and one token user, mode 0600
// since it holds the token.
inline void writeTokenKubeconfig(const std::string& path, const std::string& server, const std::string& clusterLines,
                                 const std::string& user, const std::string& token) {
  {
    std::ofstream k(path);
    k << "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: " << server << "\n"
      << clusterLines << "users:\n- name: " << user << "\n  user:\n    token: " << token
      << "\ncontexts:\n- name: test\n  context: {cluster: local, user: " << user << "}\ncurrent-context: test\n";
  }
  ::chmod(path.c_str(), 0600);
}

}  // namespace fro::testing
