// Proves the ground is real: our client talks to the local kube-apiserver over verified TLS with
// a client certificate, kube-controller-manager + scheduler + kwok turn a Deployment into Running
// pods, the API server serves its own metrics, and Prometheus scrapes a loopback target we expose.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "runtime/http/CurlTransport.h"
#include "runtime/kube/ApiError.h"
#include "runtime/kube/KubeClient.h"
#include "tests/integration/IntegrationEnv.h"

namespace fro {
namespace {

using namespace std::chrono_literals;
using kube::json;
using kube::Resource;

class ControlPlane : public testing::IntegrationTest {};

TEST_F(ControlPlane, DeploymentPodsBecomeRunningThroughTheRealApiServer) {
  auto& c = *client;
  std::string ns = createNamespace("ground");

  json deploy = json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
      "template": {"metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "registry.invalid/web:1"}]}}}})");
  auto d = c.create(Resource::deployments(), ns, deploy);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ((*d)["metadata"]["namespace"], ns);

  // Creating it twice is a value, not a crash.
  auto again = c.create(Resource::deployments(), ns, deploy);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(kube::ApiError::isAlreadyExists(again.error())) << again.error().message;

  int running = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    kube::ListOptions lo;
    lo.labelSelector = "app=web";
    auto pods = c.list(Resource::pods(), ns, lo);
    ASSERT_TRUE(pods.ok()) << pods.error().message;
    running = 0;
    for (auto& p : (*pods)["items"]) {
      bool ready = false;
      for (auto& c : p["status"].value("conditions", json::array()))
        if (c["type"] == "Ready" && c["status"] == "True") ready = true;
      if (p["status"].value("phase", "") == "Running" && ready) ++running;
    }
    if (running == 2) break;
    std::this_thread::sleep_for(250ms);
  }
  if (running != 2) {  // say what the pods look like, so a slow or stuck control plane is diagnosable
    kube::ListOptions lo;
    lo.labelSelector = "app=web";
    auto pods = c.list(Resource::pods(), ns, lo);
    std::string seen;
    if (pods.ok())
      for (auto& p : (*pods)["items"])
        seen += p["metadata"].value("name", "") + " phase=" + p["status"].value("phase", "") +
                " node=" + p["spec"].value("nodeName", "") + "; ";
    auto dep = c.get(Resource::deployments(), ns, "web");
    ADD_FAILURE() << "kwok should make both pods Running and Ready within 60 s; pods: " << seen
                  << " deployment status: " << (dep.ok() ? (*dep)["status"].dump() : dep.error().message);
  }

  auto dep = c.get(Resource::deployments(), ns, "web");
  ASSERT_TRUE(dep.ok());
  EXPECT_EQ((*dep)["status"].value("availableReplicas", 0), 2);
}

TEST_F(ControlPlane, ApiServerMetricsCountOurRequests) {
  auto metrics = client->raw("GET", "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.error().message;
  // Find a sample line of apiserver_request_total with a positive value.
  double total = 0;
  std::istringstream in(metrics->body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("apiserver_request_total{", 0) != 0) continue;
    total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_GT(total, 0) << "apiserver_request_total missing from /metrics";
}

TEST_F(ControlPlane, WrongCaIsRejectedWithACertificateError) {
  auto cfg = config;
  // The cluster's CA file exists, but we trust another CA that did not sign the server's cert.
  std::string dir = env("FRO_CLUSTER_DIR");
  ASSERT_FALSE(dir.empty());
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -days 1 -subj /CN=other-ca 2>/dev/null";
  std::string pem;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) pem.append(buf, n);
    pclose(p);
  }
  ASSERT_NE(pem.find("BEGIN CERTIFICATE"), std::string::npos);
  cfg.tls.caPem = pem;
  auto wrong = makeClient(cfg);
  auto r = wrong->get(Resource::namespaces(), "", "default");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(kube::ApiError::isTransport(r.error()));
  EXPECT_EQ(r.error().code, http::kTlsFailed) << r.error().message;
}

TEST_F(ControlPlane, PrometheusScrapesALoopbackTargetAndAnswersQueries) {
  const char* promUrl = std::getenv("PROMETHEUS_URL");
  const char* targetsDir = std::getenv("PROMETHEUS_TARGETS_DIR");
  ASSERT_TRUE(promUrl && targetsDir) << "run under hack/test.sh (PROMETHEUS_URL, PROMETHEUS_TARGETS_DIR)";

  prometheus::Exposer exposer("127.0.0.1:0");
  auto registry = std::make_shared<prometheus::Registry>();
  std::string run = uniqueName("probe");
  auto& gauge = prometheus::BuildGauge().Name("fro_integration_probe").Help("test value").Register(*registry);
  gauge.Add({{"run", run}}).Set(42.5);
  exposer.RegisterCollectable(registry);
  int port = exposer.GetListeningPorts().at(0);

  auto target = std::filesystem::path(targetsDir) / (run + ".json");
  {
    std::ofstream f(target.string() + ".tmp");
    f << json::array({{{"targets", {"127.0.0.1:" + std::to_string(port)}}, {"labels", {{"suite", "integration"}}}}})
             .dump();
  }
  std::filesystem::rename(target.string() + ".tmp", target);  // Prometheus must never read half a file

  http::CurlTransport prom(http::TlsConfig{});
  std::string query = "fro_integration_probe%7Brun%3D%22" + run + "%22%7D";
  double value = 0;
  std::string last;
  auto deadline = std::chrono::steady_clock::now() + 45s;
  while (std::chrono::steady_clock::now() < deadline) {
    http::HttpRequest req;
    req.url = std::string(promUrl) + "/api/v1/query?query=" + query;
    auto resp = prom.send(req);
    ASSERT_TRUE(resp.ok()) << resp.error().message;
    last = resp->body;
    auto j = json::parse(resp->body, nullptr, false);
    if (!j.is_discarded() && j["status"] == "success" && !j["data"]["result"].empty()) {
      value = std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
      EXPECT_EQ(j["data"]["result"][0]["metric"]["suite"], "integration");
      break;
    }
    std::this_thread::sleep_for(500ms);
  }
  std::filesystem::remove(target);
  EXPECT_DOUBLE_EQ(value, 42.5) << "last answer: " << last;
}

}  // namespace
}  // namespace fro
