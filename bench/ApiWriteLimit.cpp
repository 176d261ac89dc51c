// The API server's own write limit, the yardstick of the scale benchmark: --count ConfigMap creates
// from --clients parallel clients (one KubeClient, one connection, per thread), then --sequential
// creates from one client, in a throwaway namespace that is deleted afterwards. No client-side
// limit; 429s are retried as the operator's client does (Retry-After honoured), and counted.
// Prints writes/s and latency percentiles, then one "JSON {...}" line.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/BenchEnv.h"

using namespace fro;
using namespace std::chrono_literals;
using Clock_ = std::chrono::steady_clock;

namespace {

struct Run {
  int ok = 0;
  int failed = 0;
  double seconds = 0;
  std::vector<double> ms;  // latency of each successful create, retries included
  std::string firstError;
};

double pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, size_t(p * double(sorted.size())))];
}

kube::KubeClient::Options unlimited() {
  kube::KubeClient::Options o;
  o.qps = 0;  // measure the server, not our limiter
  o.userAgent = "fro-bench-write-limit";
  return o;
}

kube::json configMap(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", {{"A", "true"}, {"A_PERCENT", "100"}}}};
}

// Creates names prefix-0 .. prefix-(count-1) from `clients` threads taking indices from one counter.
Run createMany(const std::string& ns, const std::string& prefix, int count, int clients) {
  Run run;
  std::mutex mu;
  std::atomic<int> next{0};
  std::vector<std::shared_ptr<kube::KubeClient>> cs;
  for (int c = 0; c < clients; ++c) cs.push_back(bench::clientFromEnv(unlimited()));
  auto t0 = Clock_::now();
  std::vector<std::thread> ts;
  for (int c = 0; c < clients; ++c)
    ts.emplace_back([&, c] {
      std::vector<double> mine;
      int bad = 0;
      std::string err;
      for (int i; (i = next.fetch_add(1)) < count;) {
        auto s = Clock_::now();
        auto r = cs[size_t(c)]->create(kube::Resource::configMaps(), ns, configMap(ns, prefix + std::to_string(i)));
        if (r.ok()) {
          mine.push_back(std::chrono::duration<double, std::milli>(Clock_::now() - s).count());
        } else {
          ++bad;
          if (err.empty()) err = r.error().message;
        }
      }
      std::lock_guard l(mu);
      run.ms.insert(run.ms.end(), mine.begin(), mine.end());
      run.failed += bad;
      if (run.firstError.empty()) run.firstError = err;
    });
  for (auto& t : ts) t.join();
  run.seconds = std::chrono::duration<double>(Clock_::now() - t0).count();
  run.ok = int(run.ms.size());
  std::sort(run.ms.begin(), run.ms.end());
  return run;
}

void print(const char* what, int clients, const Run& r) {
  std::printf("%s: %d creates from %d client(s) in %.2f s: %.1f writes/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d failed%s%s\n",
              what, r.ok, clients, r.seconds, r.seconds > 0 ? r.ok / r.seconds : 0.0, pct(r.ms, 0.5), pct(r.ms, 0.99),
              r.ms.empty() ? 0.0 : r.ms.back(), r.failed, r.firstError.empty() ? "" : " (first: ", r.firstError.empty() ? "" : (r.firstError + ")").c_str());
}

std::string jsonOf(int clients, const Run& r) {
  kube::json j = {{"clients", clients},
                  {"creates", r.ok},
                  {"failed", r.failed},
                  {"seconds", r.seconds},
                  {"writes_per_s", r.seconds > 0 ? r.ok / r.seconds : 0.0},
                  {"p50_ms", pct(r.ms, 0.5)},
                  {"p99_ms", pct(r.ms, 0.99)},
                  {"max_ms", r.ms.empty() ? 0.0 : r.ms.back()}};
  return j.dump();
}

// Deletes the ConfigMaps in one request (deletecollection), then the namespace, and waits for it
// to be gone (bounded), so the next figures of the caller do not count our cleanup.
bool cleanup(kube::KubeClient& c, const std::string& ns, std::chrono::seconds bound) {
  auto t0 = Clock_::now();
  auto dc = c.raw("DELETE", "/api/v1/namespaces/" + ns + "/configmaps");
  if (!dc.ok() && dc.error().code != 404) std::cerr << "deletecollection: " << dc.error().message << "\n";
  (void)c.remove(kube::Resource::namespaces(), "", ns);
  while (Clock_::now() - t0 < bound) {
    auto g = c.get(kube::Resource::namespaces(), "", ns);
    if (!g.ok() && g.error().code == 404) {
      std::printf("cleanup: namespace %s deleted in %.1f s\n", ns.c_str(),
                  std::chrono::duration<double>(Clock_::now() - t0).count());
      return true;
    }
    std::this_thread::sleep_for(500ms);
  }
  std::cerr << "cleanup: namespace " << ns << " still present after " << bound.count() << " s\n";
  return false;
}

int usage() {
  std::cerr << "usage: bench_ApiWriteLimit [--count N (20000)] [--clients C (16)] [--sequential N (2000)]\n"
               "                          [--namespace NS (write-limit-<time>)] [--cleanup-timeout S (300)]\n";
  return 2;
}

int realMain(int argc, char** argv) {
  int count = 20000, clients = 16, sequential = 2000, cleanupTimeout = 300;
  std::string ns = "write-limit-" + std::to_string(std::time(nullptr));
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    std::string v = argv[++i];
    if (a == "--count") count = std::stoi(v);
    else if (a == "--clients") clients = std::stoi(v);
    else if (a == "--sequential") sequential = std::stoi(v);
    else if (a == "--namespace") ns = v;
    else if (a == "--cleanup-timeout") cleanupTimeout = std::stoi(v);
    else return usage();
  }
  if (count < 1 || clients < 1 || sequential < 0) return usage();
  auto admin = bench::clientFromEnv(unlimited());
  auto mk = admin->create(kube::Resource::namespaces(), "",
                          {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  if (!mk.ok()) {
    std::cerr << "cannot create namespace " << ns << ": " << mk.error().message << "\n";
    return 1;
  }
  Run par = createMany(ns, "p-", count, clients);
  print("parallel", clients, par);
  Run seq;
  if (sequential > 0) {
    seq = createMany(ns, "s-", sequential, 1);
    print("sequential", 1, seq);
  }
  bool cleaned = cleanup(*admin, ns, std::chrono::seconds(cleanupTimeout));
  std::printf("JSON {\"namespace\":\"%s\",\"parallel\":%s,\"sequential\":%s,\"cleaned\":%s}\n", ns.c_str(),
              jsonOf(clients, par).c_str(), jsonOf(1, seq).c_str(), cleaned ? "true" : "false");
  std::fflush(stdout);
  return par.ok == 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return realMain(argc, argv);
  } catch (const std::exception& e) {  // std::stoi on a bad option, or a JSON surprise
    std::cerr << "bench_ApiWriteLimit: " << e.what() << "\n";
    return 2;
  }
}
