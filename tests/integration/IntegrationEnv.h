#pragma once
// Connects integration tests to the local control plane started by hack/cluster.sh (via
// hack/test.sh): KUBECONFIG, PROMETHEUS_URL and FRO_CLUSTER_DIR come from the environment.
// Without them a test fails (it never silently passes).
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "runtime/http/CurlTransport.h"
#include "runtime/kube/KubeClient.h"
#include "runtime/kube/KubeConfig.h"
#include "runtime/kube/TokenSource.h"

namespace fro::testing {

class IntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* kc = std::getenv("KUBECONFIG");
    ASSERT_TRUE(kc && *kc) << "KUBECONFIG is not set: run integration tests through hack/test.sh "
                              "(or eval \"$(hack/cluster.sh env)\" first)";
    kube::KubeConfig::LoadOptions lo;
    lo.kubeconfigPath = kc;
    auto cfg = kube::KubeConfig::load(lo);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    config = *cfg;
    client = makeClient(config);
  }

  static std::shared_ptr<kube::KubeClient> makeClient(const kube::ClusterConfig& cfg,
                                                      kube::KubeClient::Options o = {}) {
    o.server = cfg.server;
    if (!o.bearerToken) o.bearerToken = kube::TokenSource::bearerProvider(cfg, std::make_shared<SystemClock>());
    return std::make_shared<kube::KubeClient>(std::make_shared<http::CurlTransport>(cfg.tls), o);
  }

  // A fresh namespace name per test, so tests can run in parallel and re-run.
  static std::string uniqueName(const std::string& prefix) {
    static std::mt19937_64 rng{std::random_device{}()};
    static const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string s = prefix + "-";
    for (int i = 0; i < 6; ++i) s += alphabet[rng() % 36];
    return s;
  }

  // Creates a namespace that is deleted when the test ends.
  std::string createNamespace(const std::string& prefix) {
    std::string ns = uniqueName(prefix);
    auto r = client->create(kube::Resource::namespaces(), "",
                            {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
    EXPECT_TRUE(r.ok()) << r.error().message;
    namespaces_.push_back(ns);
    return ns;
  }

  void TearDown() override {
    for (auto& ns : namespaces_) (void)client->remove(kube::Resource::namespaces(), "", ns);
  }

  static std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
  }

  kube::ClusterConfig config;
  std::shared_ptr<kube::KubeClient> client;

 private:
  std::vector<std::string> namespaces_;
};

}  // namespace fro::testing
