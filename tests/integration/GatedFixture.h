#pragma once
// Gated rollouts end to end: the controller with the real GateEvaluator, the real Prometheus of
// the local control plane, and the demo service (a child process) whose synthetic users read the
// rollout's ConfigMap and fail on demand. One namespace, ConfigMap, service and scrape job each.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/http/CurlTransport.h"
#include "runtime/kube/Base64.h"
#include "rollout/gates/GateEvaluator.h"
#include "tests/integration/RolloutFixture.h"
#include "tests/support/ChildProcess.h"

namespace fro::testing {

class GatedFixture : public RolloutFixture {
 protected:
  void SetUp() override {
    RolloutFixture::SetUp();
    if (HasFatalFailure()) return;
    promUrl = env("PROMETHEUS_URL");
    targetsDir = env("PROMETHEUS_TARGETS_DIR");
    ASSERT_FALSE(promUrl.empty() || targetsDir.empty()) << "PROMETHEUS_URL / PROMETHEUS_TARGETS_DIR not set";
    makeEvaluator(promUrl);
  }
  // The GateEvaluator as the operator builds it; defaultAddress is --default-prometheus-address.
  void makeEvaluator(const std::string& defaultAddress) {
    gates::GateEvaluator::Options o;
    o.defaultAddress = defaultAddress;
    o.secrets = [this](const std::string& ns, const std::string& name, const std::string& key) -> Result<std::string> {
      auto s = client->get(Resource::secrets(), ns, name);
      if (!s.ok()) return s.error();
      auto v = s->value("data", json::object()).value(key, "");
      if (v.empty()) return Error::of("key " + key + " not in Secret " + ns + "/" + name, 404, "NotFound");
      auto d = kube::Base64::decode(v);
      if (!d.ok()) return d.error();
      return std::string(d->begin(), d->end());
    };
    evaluator = std::make_unique<gates::GateEvaluator>(o);
    evaluator->subscribe([this](const std::string& key) {
      std::lock_guard<std::mutex> l(ctrlMu);
      if (controller) controller->enqueue(key);
    });
  }
  void TearDown() override {
    {
      std::lock_guard<std::mutex> l(ctrlMu);
      stopController();
    }
    evaluator.reset();
    if (service) service->terminate(5s);
    if (!targetFile.empty()) std::filesystem::remove(targetFile);
    RolloutFixture::TearDown();
  }
  rollout::GateProvider& gateProvider() override { return *evaluator; }

  // The demo service for this test's rollout, scraped by Prometheus as job=<namespace>.
  void startService(const std::string& configMap) {
    metricsPort = freePort();
    controlPort = freePort();
    service = std::make_unique<ChildProcess>(
        std::vector<std::string>{FRO_DEMO_SERVICE, "--kubeconfig", env("KUBECONFIG"), "--namespace", ns, "--configmap",
                                 configMap, "--users", "1000", "--rate", "200", "--poll-interval-ms", "200",
                                 "--metrics-address", "127.0.0.1:" + std::to_string(metricsPort), "--control-address",
                                 "127.0.0.1:" + std::to_string(controlPort)},
        std::string(::testing::TempDir()) + "/demo-" + ns + ".log");
    targetFile = targetsDir + "/" + ns + ".json";
    std::ofstream(targetFile + ".tmp")
        << json::array({{{"targets", {"127.0.0.1:" + std::to_string(metricsPort)}}, {"labels", {{"job", ns}}}}}).dump();
    std::filesystem::rename(targetFile + ".tmp", targetFile);
    // Ready when its control endpoint answers.
    for (int i = 0; i < 100; ++i) {
      auto r = call("GET", "/healthz");
      if (r.ok() && r->status == 200) return;
      std::this_thread::sleep_for(100ms);
    }
    FAIL() << "demo service did not start: " << service->log();
  }
  Result<http::HttpResponse> call(const std::string& method, const std::string& pathAndQuery) {
    http::HttpRequest req;
    req.method = method;
    req.url = "http://127.0.0.1:" + std::to_string(controlPort) + pathAndQuery;
    req.timeout = 5s;
    return plain.send(req);
  }
  void inject(const std::string& query) {
    auto r = call("POST", "/faults?" + query);
    ASSERT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.error().message);
  }

  // The plan's error-rate and latency gates, on this test's scrape job only.
  json gatesFor() const {
    std::string sel = "job=\"" + ns + "\"";
    return json::array(
        {{{"name", "error-rate"},
          {"query", "sum(rate(http_requests_total{" + sel + ",code=~\"5..\"}[10s])) / sum(rate(http_requests_total{" + sel + "}[10s]))"},
          {"warning", {{"above", 0.02}}},
          {"critical", {{"above", 0.05}}}},
         {{"name", "latency-p95"},
          {"query", "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{" + sel + "}[10s])))"},
          {"warning", {{"above", 1}}},
          {"critical", {{"above", 2}}}}});
  }

  std::string state(const json& fr) const { return fr.value("/status/state"_json_pointer, std::string()); }
  int percentOf(const json& fr, const std::string& flag) const {
    for (auto& f : fr.value("/status/flags"_json_pointer, json::array()))
      if (f["name"] == flag) return f["percent"];
    return -1;
  }

  std::mutex ctrlMu;
  std::unique_ptr<gates::GateEvaluator> evaluator;
  std::unique_ptr<ChildProcess> service;
  std::string promUrl, targetsDir, targetFile;
  int metricsPort = 0, controlPort = 0;
  http::CurlTransport plain{http::TlsConfig{}};
};

}  // namespace fro::testing
