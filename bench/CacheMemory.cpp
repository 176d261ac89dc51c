// Memory of the informer caches the operator keeps: --count FeatureRollout-shaped objects (the
// DESIGN example's size: 10 flags, 5 phases, 3 gates, with a status) and as many ConfigMaps of
// flag values, listed and watched with the projections the operator uses. Prints RSS before and
// after sync and bytes per cached object. Uses its own CRD group (bench.featureflags.dev) with an
// open schema, so it measures the client whatever the product CRD looks like.
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "bench/BenchEnv.h"
#include "runtime/kube/ApiError.h"
#include "runtime/kube/Informer.h"

using namespace fro;
using namespace std::chrono_literals;
using kube::json;

namespace {

json rolloutSpec() {
  json flags = json::array();
  for (int i = 0; i < 10; ++i)
    flags.push_back({{"name", "unified_workflow_flag_" + std::to_string(i)},
                     {"envVar", "VITE_UNIFIED_WORKFLOW_FLAG_" + std::to_string(i)},
                     {"default", false},
                     {"description", "Feature number " + std::to_string(i)}});
  json phases = json::array();
  for (int p = 0; p < 5; ++p)
    phases.push_back({{"name", "phase-" + std::to_string(p)},
                      {"enable", {"unified_workflow_flag_" + std::to_string(2 * p), "unified_workflow_flag_" + std::to_string(2 * p + 1)}},
                      {"steps", json::array({{{"percent", 10}, {"pause", "24h"}}, {{"percent", 50}, {"pause", "24h"}}, {{"percent", 100}, {"pause", "24h"}}})},
                      {"gates", {"error-rate", "latency-p95"}},
                      {"onFailure", {{"disable", {"unified_workflow_flag_" + std::to_string(2 * p)}}}}});
  json gates = json::array();
  for (auto g : {"error-rate", "latency-p95", "ai-cost-per-hour"})
    gates.push_back({{"name", g},
                     {"query", "sum(rate(http_requests_total{namespace=\"shop\",code=~\"5..\"}[5m])) / sum(rate(http_requests_total{namespace=\"shop\"}[5m]))"},
                     {"warning", {{"above", 0.02}}},
                     {"critical", {{"above", 0.05}}},
                     {"onNoData", "hold"}});
  return {{"targets", json::array({{{"kind", "Deployment"}, {"name", "web"}}, {{"kind", "Deployment"}, {"name", "api"}}})},
          {"configMapName", "unified-workflow-flags"},
          {"flags", flags},
          {"prometheus", {{"address", "http://prometheus.monitoring.svc:9090"}, {"timeout", "5s"}}},
          {"analysis", {{"interval", "1m"}, {"gates", gates}}},
          {"rollback", "automatic"},
          {"phases", phases}};
}

json flagsData() {
  json d = json::object();
  for (int i = 0; i < 10; ++i) {
    d["VITE_UNIFIED_WORKFLOW_FLAG_" + std::to_string(i)] = i < 4 ? "true" : "false";
    d["VITE_UNIFIED_WORKFLOW_FLAG_" + std::to_string(i) + "_PERCENT"] = i < 4 ? "100" : "0";
  }
  d["flags.flagd.json"] = std::string(1500, 'x');  // the flagd document's typical size for 10 flags
  return d;
}

// What the operator keeps of a FeatureRollout: identity and the metadata it reads as a tree, spec
// and status as compact JSON text, parsed when a reconcile needs them (a tree of small JSON nodes
// costs about ten times the text it came from).
json rolloutProjection(const json& full) {
  const json& m = full["metadata"];
  json meta = {{"name", m["name"]}, {"namespace", m["namespace"]}};
  for (auto k : {"generation", "deletionTimestamp", "finalizers", "labels", "annotations"})
    if (m.contains(k)) meta[k] = m[k];
  return {{"metadata", meta}, {"spec", full.value("spec", json::object()).dump()},
          {"status", full.value("status", json::object()).dump()}};
}

// Of its ConfigMaps: the owner, and a digest of the data: the operator only needs to know whether
// what is there equals what it would write, and compares digests.
json configMapProjection(const json& full) {
  const json& m = full["metadata"];
  json meta = {{"name", m["name"]}, {"namespace", m["namespace"]}};
  if (m.contains("ownerReferences")) meta["ownerReferences"] = m["ownerReferences"];
  return {{"metadata", meta}, {"dataDigest", std::to_string(std::hash<std::string>{}(full.value("data", json::object()).dump()))}};
}

}  // namespace

int main(int argc, char** argv) {
  int count = 10000, writers = 4;
  bool keep = false, raw = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--count" && i + 1 < argc) count = std::stoi(argv[++i]);
    else if (a == "--keep") keep = true;
    else if (a == "--whole-objects") raw = true;  // for comparison: cache objects as full trees
  }
  kube::KubeClient::Options o;
  o.qps = 0;
  auto client = bench::clientFromEnv(o);
  kube::Resource crds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};
  auto crd = client->apply(crds, json::parse(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"featurerollouts.bench.featureflags.dev"},
    "spec":{"group":"bench.featureflags.dev","scope":"Namespaced",
      "names":{"plural":"featurerollouts","singular":"featurerollout","kind":"FeatureRollout"},
      "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
        "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})"), "bench");
  if (!crd.ok()) {
    std::cerr << crd.error().message << "\n";
    return 1;
  }
  kube::Resource frs{"bench.featureflags.dev", "v1", "featurerollouts", true};
  std::string ns = "cache-bench-" + std::to_string(std::time(nullptr));
  (void)client->create(kube::Resource::namespaces(), "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  // The CRD may be new (served a moment later) or still deleting from an earlier run.
  for (int i = 0; i < 100; ++i) {
    auto probe = client->list(frs, ns, kube::ListOptions{.limit = 1});
    if (probe.ok()) break;
    std::this_thread::sleep_for(200ms);
  }

  auto t0 = std::chrono::steady_clock::now();
  std::atomic<int> next{0}, failed{0};
  std::mutex errMu;
  std::string firstError;
  auto noteFailure = [&](const Error& e) {
    std::lock_guard l(errMu);
    if (firstError.empty()) firstError = e.message;
    ++failed;
  };
  json spec = rolloutSpec(), data = flagsData();
  std::vector<std::thread> ws;
  for (int w = 0; w < writers; ++w)
    ws.emplace_back([&] {
      for (int i; (i = next++) < count;) {
        std::string name = "rollout-" + std::to_string(i);
        auto fr = client->create(frs, ns, {{"apiVersion", "bench.featureflags.dev/v1"}, {"kind", "FeatureRollout"},
                                          {"metadata", {{"name", name}}}, {"spec", spec}});
        if (!fr.ok() && !kube::ApiError::isAlreadyExists(fr.error())) noteFailure(fr.error());
        auto cm = client->create(kube::Resource::configMaps(), ns,
                                 {{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                                  {"metadata", {{"name", name + "-flags"}, {"labels", {{"app.kubernetes.io/managed-by", "feature-rollout-operator"}}}}},
                                  {"data", data}});
        if (!cm.ok() && !kube::ApiError::isAlreadyExists(cm.error())) noteFailure(cm.error());
      }
    });
  for (auto& t : ws) t.join();
  std::cout << "created " << count << " rollouts + " << count << " ConfigMaps in "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count()
            << " s (" << failed.load() << " failures)" << std::endl;
  if (failed.load() > 0) {
    std::cerr << "first failure: " << firstError << "\n";
    return 1;
  }

  // Measure in the same process: RSS before the informers start, after both are synced.
  long before = bench::rssKiB();
  kube::Informer::Options fo;
  fo.namespace_ = ns;
  if (!raw) fo.project = rolloutProjection;
  kube::Informer frInf(*client, frs, fo);
  kube::Informer::Options co;
  co.namespace_ = ns;
  co.labelSelector = "app.kubernetes.io/managed-by=feature-rollout-operator";
  if (!raw) co.project = configMapProjection;
  kube::Informer cmInf(*client, kube::Resource::configMaps(), co);
  auto t1 = std::chrono::steady_clock::now();
  std::thread a([&] { frInf.run(); }), b([&] { cmInf.run(); });
  frInf.waitForSync(300s);
  cmInf.waitForSync(300s);
  auto syncMs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t1).count();
  std::this_thread::sleep_for(1s);
  long after = bench::rssKiB();
  size_t objects = frInf.cache().size() + cmInf.cache().size();
  std::cout << (raw ? "whole objects: " : "operator projections: ") << "cached " << frInf.cache().size() << " rollouts + " << cmInf.cache().size() << " ConfigMaps, synced in "
            << syncMs << " ms\n"
            << "RSS before informers " << before / 1024 << " MiB, after sync " << after / 1024 << " MiB; "
            << (after - before) * 1024 / std::max<size_t>(objects, 1) << " bytes per cached object" << std::endl;
  frInf.stop();
  cmInf.stop();
  a.join();
  b.join();
  if (!keep) {
    (void)client->remove(kube::Resource::namespaces(), "", ns);
  }
  return 0;
}
