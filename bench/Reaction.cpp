// How fast the operator reacts to spec edits: --count edits, --interval-ms apart, each to a
// different Succeeded FeatureRollout of --namespace, each adding a flag that no phase enables (so
// the rollout's ConfigMap gains <ENV>=false, <ENV>_PERCENT=0 and a flagd entry). Latency = just
// before the edit request is sent -> a ConfigMap watch (an informer started and synced before the
// first edit) sees the rollout's ConfigMap holding the new key. Prints p50/p90/p99/max and one
// "JSON {...}" line. The operator must be running; this program only edits and watches.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "bench/BenchEnv.h"
#include "runtime/kube/Informer.h"

using namespace fro;
using namespace std::chrono_literals;
using Clock_ = std::chrono::steady_clock;

namespace {

struct Target {
  std::string rollout;
  std::string configMap;
  Clock_::time_point sent{};
  Clock_::time_point seen{};
  bool edited = false;
  bool wasSeen = false;
  double rttMs = 0;
};

double pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, size_t(p * double(sorted.size())))];
}

std::vector<std::string> splitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');)
    if (!x.empty()) out.push_back(x);
  return out;
}

bool hasFlag(const kube::json& fr, const std::string& flag) {
  auto spec = fr.find("spec");
  if (spec == fr.end() || !spec->contains("flags") || !(*spec)["flags"].is_array()) return false;
  for (const auto& f : (*spec)["flags"])
    if (f.is_object() && f.value("name", "") == flag) return true;
  return false;
}

std::string configMapOf(const kube::json& fr) {
  const auto& md = fr.at("metadata");
  if (fr.contains("status") && fr["status"].is_object() && fr["status"].value("configMapName", "") != "")
    return fr["status"]["configMapName"].get<std::string>();
  if (fr.contains("spec") && fr["spec"].value("configMapName", "") != "") return fr["spec"]["configMapName"].get<std::string>();
  return md.at("name").get<std::string>() + "-flags";
}

int usage() {
  std::cerr << "usage: bench_Reaction --namespace NS [--count N (200)] [--interval-ms MS (50)]\n"
               "                      [--names a,b,c (default: Succeeded rollouts of NS, spread by name)]\n"
               "                      [--flag NAME (bench-extra)] [--env-var VAR (BENCH_EXTRA)] [--timeout S (120)]\n";
  return 2;
}

int realMain(int argc, char** argv) {
  std::string ns, names, flag = "bench-extra", envVar = "BENCH_EXTRA";
  int count = 200, intervalMs = 50, timeoutS = 120;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    std::string v = argv[++i];
    if (a == "--namespace") ns = v;
    else if (a == "--count") count = std::stoi(v);
    else if (a == "--interval-ms") intervalMs = std::stoi(v);
    else if (a == "--names") names = v;
    else if (a == "--flag") flag = v;
    else if (a == "--env-var") envVar = v;
    else if (a == "--timeout") timeoutS = std::stoi(v);
    else return usage();
  }
  if (ns.empty() || count < 1 || intervalMs < 0) return usage();
  kube::KubeClient::Options o;
  o.qps = 0;
  o.userAgent = "fro-bench-reaction";
  auto client = bench::clientFromEnv(o);

  auto frs = client->listAll(kube::Resource::featureRollouts(), ns);
  if (!frs.ok()) {
    std::cerr << "listing FeatureRollouts in " << ns << ": " << frs.error().message << "\n";
    return 1;
  }
  std::map<std::string, kube::json> byName;
  for (auto& fr : (*frs)["items"]) byName[fr["metadata"]["name"].get<std::string>()] = fr;
  std::vector<std::string> chosen;
  if (!names.empty()) {
    chosen = splitComma(names);
  } else {
    std::vector<std::string> ok;
    for (auto& [n, fr] : byName)
      if (fr.contains("status") && fr["status"].value("state", "") == "Succeeded" && !hasFlag(fr, flag)) ok.push_back(n);
    // Spread over the whole list (every k-th), not the first names only.
    size_t want = std::min(ok.size(), size_t(count));
    for (size_t i = 0; i < want; ++i) chosen.push_back(ok[i * ok.size() / want]);
  }
  if (chosen.size() < size_t(count))
    std::cerr << "only " << chosen.size() << " rollouts to edit (asked for " << count << ")\n";
  if (chosen.empty()) return 1;

  std::vector<Target> targets;
  std::map<std::string, size_t> byConfigMap;
  for (auto& n : chosen) {
    auto it = byName.find(n);
    if (it == byName.end()) {
      std::cerr << "no FeatureRollout " << ns << "/" << n << "\n";
      return 1;
    }
    if (hasFlag(it->second, flag)) {
      std::cerr << ns << "/" << n << " already has flag " << flag << " (give another --flag)\n";
      return 1;
    }
    byConfigMap[configMapOf(it->second)] = targets.size();
    targets.push_back({n, configMapOf(it->second)});
  }

  std::mutex mu;
  auto onSeen = [&](const kube::CachedPtr& cm) {
    auto now = Clock_::now();
    auto data = cm->fields.find("data");
    if (data == cm->fields.end() || !data->is_object() || !data->contains(envVar)) return;
    std::lock_guard l(mu);
    auto t = byConfigMap.find(cm->name);
    if (t == byConfigMap.end()) return;
    auto& tg = targets[t->second];
    if (tg.edited && !tg.wasSeen) {
      tg.wasSeen = true;
      tg.seen = now;
    }
  };
  kube::Informer::Options io;
  io.namespace_ = ns;
  kube::Informer inf(*client, kube::Resource::configMaps(), io);
  inf.addHandlers({[&](const kube::CachedPtr& n) { onSeen(n); },
                   [&](const kube::CachedPtr&, const kube::CachedPtr& n) { onSeen(n); }, nullptr});
  std::thread watcher([&] { inf.run(); });
  if (!inf.waitForSync(60s)) {
    std::cerr << "the ConfigMap informer did not sync within 60 s\n";
    inf.stop();
    watcher.join();
    return 1;
  }

  // Each edit appends the extra flag; a JSON patch keeps whatever flags the rollout has.
  kube::json patch = kube::json::array(
      {{{"op", "add"}, {"path", "/spec/flags/-"}, {"value", {{"name", flag}, {"envVar", envVar}}}}});
  int failed = 0;
  std::string firstError;
  auto start = Clock_::now();
  for (size_t i = 0; i < targets.size(); ++i) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(intervalMs) * i);  // fixed pace
    auto& tg = targets[i];
    {
      std::lock_guard l(mu);
      tg.sent = Clock_::now();
      tg.edited = true;  // before the request: a fast operator may beat its answer
    }
    auto r = client->patch(kube::Resource::featureRollouts(), ns, tg.rollout, kube::PatchType::JsonPatch, patch);
    tg.rttMs = std::chrono::duration<double, std::milli>(Clock_::now() - tg.sent).count();
    if (!r.ok()) {
      std::lock_guard l(mu);
      tg.edited = false;
      ++failed;
      if (firstError.empty()) firstError = tg.rollout + ": " + r.error().message;
    }
  }
  auto editsDone = Clock_::now();
  auto deadline = editsDone + std::chrono::seconds(timeoutS);
  for (;;) {
    {
      std::lock_guard l(mu);
      bool all = std::all_of(targets.begin(), targets.end(), [](const Target& t) { return !t.edited || t.wasSeen; });
      if (all) break;
    }
    if (Clock_::now() > deadline) break;
    std::this_thread::sleep_for(20ms);
  }
  inf.stop();
  watcher.join();

  std::vector<double> ms, rtt;
  std::string slowest;
  double slowestMs = -1;
  int edited = 0;
  for (auto& t : targets) {
    if (!t.edited) continue;
    ++edited;
    rtt.push_back(t.rttMs);
    if (!t.wasSeen) continue;
    double v = std::chrono::duration<double, std::milli>(t.seen - t.sent).count();
    ms.push_back(v);
    if (v > slowestMs) slowestMs = v, slowest = t.rollout;
  }
  std::sort(ms.begin(), ms.end());
  std::sort(rtt.begin(), rtt.end());
  double span = std::chrono::duration<double>(editsDone - start).count();
  std::printf("edits: %d sent in %.1f s (%d ms apart), %d failed%s%s; edit round trip p50 %.1f ms, p99 %.1f ms\n", edited,
              span, intervalMs, failed, firstError.empty() ? "" : ", first: ", firstError.c_str(), pct(rtt, 0.5), pct(rtt, 0.99));
  std::printf("reaction (edit sent -> changed ConfigMap seen by a watch): %zu of %d seen: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms%s%s\n",
              ms.size(), edited, pct(ms, 0.5), pct(ms, 0.9), pct(ms, 0.99), ms.empty() ? 0.0 : ms.back(),
              slowest.empty() ? "" : " (slowest: ", slowest.empty() ? "" : (slowest + ")").c_str());
  kube::json j = {{"namespace", ns},       {"edits", edited},          {"failed", failed},
                  {"seen", ms.size()},     {"interval_ms", intervalMs}, {"p50_ms", pct(ms, 0.5)},
                  {"p90_ms", pct(ms, 0.9)}, {"p99_ms", pct(ms, 0.99)},  {"max_ms", ms.empty() ? 0.0 : ms.back()},
                  {"edit_rtt_p50_ms", pct(rtt, 0.5)}, {"edit_rtt_p99_ms", pct(rtt, 0.99)}};
  std::printf("JSON %s\n", j.dump().c_str());
  std::fflush(stdout);
  return (edited > 0 && ms.size() == size_t(edited)) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return realMain(argc, argv);
  } catch (const std::exception& e) {  // std::stoi on a bad option, an object of unexpected shape
    std::cerr << "bench_Reaction: " << e.what() << "\n";
    return 2;
  }
}
