// How long from a write to the informer handler seeing it: --count writes, one at a time, each
// timed from just before the request to the handler call, next to the write's own round trip.
// Prints min/p50/p99/max in ms.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <thread>

#include "bench/BenchEnv.h"
#include "runtime/kube/Informer.h"

using namespace fro;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  int count = 200;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--count") count = std::stoi(argv[i + 1]);
  kube::KubeClient::Options o;
  o.qps = 0;
  auto client = bench::clientFromEnv(o);
  std::string ns = "latency-" + std::to_string(std::time(nullptr));
  (void)client->create(kube::Resource::namespaces(), "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  kube::Informer::Options io;
  io.namespace_ = ns;
  kube::Informer inf(*client, kube::Resource::configMaps(), io);
  std::mutex mu;
  std::condition_variable cv;
  std::string lastSeen;
  std::chrono::steady_clock::time_point seenAt;
  inf.addHandlers({nullptr, [&](const kube::CachedPtr&, const kube::CachedPtr& n) {
                     std::lock_guard l(mu);
                     lastSeen = n->fields["data"].value("n", "");
                     seenAt = std::chrono::steady_clock::now();
                     cv.notify_all();
                   },
                   nullptr});
  std::thread t([&] { inf.run(); });
  inf.waitForSync(30s);
  kube::json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "probe"}, {"namespace", ns}}}, {"data", {{"n", "init"}}}};
  (void)client->create(kube::Resource::configMaps(), ns, cm);
  std::this_thread::sleep_for(200ms);
  std::vector<double> ms, rtt;
  for (int i = 0; i < count; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = client->patch(kube::Resource::configMaps(), ns, "probe", kube::PatchType::Merge, {{"data", {{"n", std::to_string(i)}}}});
    if (!r.ok()) {
      std::cerr << r.error().message << "\n";
      break;
    }
    auto t1 = std::chrono::steady_clock::now();
    std::unique_lock l(mu);
    if (!cv.wait_for(l, 5s, [&] { return lastSeen == std::to_string(i); })) {
      std::cerr << "event " << i << " not seen within 5 s\n";
      continue;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(seenAt - t0).count());
    rtt.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  inf.stop();
  t.join();
  (void)client->remove(kube::Resource::namespaces(), "", ns);
  if (ms.empty()) return 1;
  auto report = [](const char* what, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto pct = [&](double p) { return v[std::min(v.size() - 1, size_t(p * v.size()))]; };
    std::cout << what << ", " << v.size() << " samples: min " << v.front() << " ms, p50 " << pct(0.5) << " ms, p99 "
              << pct(0.99) << " ms, max " << v.back() << " ms\n";
  };
  report("write request start -> handler call", ms);
  report("write round trip (for comparison)  ", rtt);
  return 0;
}
