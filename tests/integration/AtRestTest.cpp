// Issue 11 defect 6 ("Status is rewritten while nothing changes"): the operator PROCESS with 10
// FeatureRollouts paused (spec.paused set after their first step became active) and 10 in a long
// step pause (10m, no gates), each on its own Deployment. Once they have settled, the test watches
// the namespace for 60 s, from the current resourceVersion, and counts every write:
// FeatureRollouts (spec, metadata or status), ConfigMaps, Deployments, and Events about
// FeatureRollouts. At rest the operator writes nothing: every count must be 0. A countdown in
// status.message ("pausing, 9m58s left") would be a status write every few seconds per pausing
// rollout, which `kubectl get fr -w` prints as identical rows; the test names each write it saw
// (which object, what changed, which field manager).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>

#include "runtime/kube/KubeClient.h"
#include "tests/support/OperatorHarness.h"

// In the harness's namespace: its json, Resource, Clock, msSince, Operator and chrono literals.
namespace fro::testing::harness {
namespace {

constexpr int kEach = 10;
constexpr auto kWindow = 60s;

// One phase: 10% of users, then a 10-minute pause before 100%.
json longPauseSpec(const std::string& target) {
  json spec = json::parse(R"({
    "targets": [{"kind": "Deployment", "name": "", "containers": ["app"]}],
    "flags": [{"name": "new-search", "envVar": "NEW_SEARCH"}],
    "phases": [{"name": "search", "enable": ["new-search"],
                "steps": [{"percent": 10, "pause": "10m"}, {"percent": 100}]}]})");
  spec["targets"][0]["name"] = target;
  return spec;
}

// Writes seen by one watch: per object, with what the first ones changed.
struct WriteLog {
  std::mutex mu;
  std::map<std::string, int> byObject;  // name -> writes
  std::vector<std::string> samples;     // the first few, described
  std::map<std::string, json> last;     // name -> the version before
  int total = 0;
  bool watchFailed = false;
  std::string watchError;

  int count(const std::function<bool(const std::string&)>& pred) {
    std::lock_guard l(mu);
    int n = 0;
    for (auto& [name, c] : byObject)
      if (pred(name)) n += c;
    return n;
  }
};

// The field manager of the most recent managedFields entry (who wrote it).
std::string lastManager(const json& obj) {
  std::string who, at;
  for (auto& f : obj.value("/metadata/managedFields"_json_pointer, json::array()))
    if (f.value("time", "") >= at) at = f.value("time", ""), who = f.value("manager", "") + "/" + f.value("operation", "") +
                                                                       (f.contains("subresource") ? "(" + f.value("subresource", "") + ")" : "");
  return who;
}

json withoutNoise(json o) {
  if (o.contains("metadata")) {
    o["metadata"].erase("managedFields");
    o["metadata"].erase("resourceVersion");
  }
  o.erase("apiVersion");  // list items carry neither
  o.erase("kind");
  return o;
}

class AtRest : public OperatorHarness {
 protected:
  std::string fenceOwner() const override { return "AtRestTest"; }

  // Lists `r` (its resourceVersion and objects), then counts every watch event after it until
  // `stop`: a write the test did not make (it makes none in the window).
  std::thread watchWrites(const Resource& r, const std::string& fieldSelector, WriteLog& log, std::atomic<bool>& stop,
                          std::atomic<int>& ready) {
    return std::thread([this, r, fieldSelector, &log, &stop, &ready] {
      auto c = makeClient(config);
      kube::ListOptions lo;
      lo.fieldSelector = fieldSelector;
      auto l = c->list(r, ns, lo);
      if (!l.ok()) {
        std::lock_guard g(log.mu);
        log.watchFailed = true, log.watchError = "list: " + l.error().message;
        ++ready;
        return;
      }
      {
        std::lock_guard g(log.mu);
        for (auto& o : (*l)["items"]) log.last[o["metadata"].value("name", "")] = o;
      }
      std::string rv = (*l)["metadata"].value("resourceVersion", "");
      ++ready;
      while (!stop) {
        kube::WatchOptions wo;
        wo.resourceVersion = rv;
        wo.fieldSelector = fieldSelector;
        wo.timeoutSeconds = 90;
        wo.allowBookmarks = true;
        wo.cancel = &stop;
        auto w = c->watch(r, ns, wo, [&](const kube::WatchEvent& e) {
          if (stop) return false;
          if (e.type == kube::WatchEvent::Type::Bookmark) {
            rv = e.resourceVersion();
            return true;
          }
          if (e.type == kube::WatchEvent::Type::Error) {
            std::lock_guard g(log.mu);
            log.watchFailed = true, log.watchError = "watch error: " + e.object.dump();
            return false;
          }
          rv = e.resourceVersion();
          const std::string name = e.object["metadata"].value("name", "");
          std::lock_guard g(log.mu);
          ++log.total;
          ++log.byObject[name];
          if (log.samples.size() < 8) {
            const char* type = e.type == kube::WatchEvent::Type::Added     ? "ADDED"
                               : e.type == kube::WatchEvent::Type::Deleted ? "DELETED"
                                                                           : "MODIFIED";
            json diff = log.last.count(name) ? json::diff(withoutNoise(log.last[name]), withoutNoise(e.object)) : json();
            std::string d = diff.dump();
            if (d.size() > 600) d = d.substr(0, 600) + "...";
            log.samples.push_back(std::string(type) + " " + r.plural + "/" + name + " by " + lastManager(e.object) + ": " + d);
          }
          log.last[name] = e.object;
          return true;
        });
        if (stop) break;
        if (!w.ok() || w->reason == kube::WatchEnd::Reason::Expired) {
          std::lock_guard g(log.mu);
          log.watchFailed = true;
          log.watchError = w.ok() ? "watch expired (410)" : w.error().message;
          break;
        }
      }
    });
  }

  bool rolledOut(const json& d) {
    int want = d.value("/spec/replicas"_json_pointer, 1);
    return d.value("/status/observedGeneration"_json_pointer, 0) == d.value("/metadata/generation"_json_pointer, -1) &&
           d.value("/status/updatedReplicas"_json_pointer, 0) == want && d.value("/status/readyReplicas"_json_pointer, 0) == want &&
           d.value("/status/availableReplicas"_json_pointer, 0) == want && d.value("/status/replicas"_json_pointer, 0) == want;
  }
};

std::string name(const char* group, int i) { return std::string(group) + "-" + std::to_string(i); }

TEST_F(AtRest, PausedAndPausingRolloutsWriteNothingForAMinute) {
  const auto t0 = Clock::now();
  Operator& op = startOperator("at-rest");
  ASSERT_TRUE(waitRunning(op)) << "the operator did not start:\n" << op.tail();
  for (const char* group : {"paused", "pausing"})
    for (int i = 0; i < kEach; ++i) {
      ASSERT_NO_FATAL_FAILURE(createDeployment(name(group, i)));
      createRollout(longPauseSpec(name(group, i)), name(group, i));
    }

  // The first step becomes active (values delivered, the Deployment rolled out): its 10m pause runs.
  auto active = [](const json& fr) {
    for (auto& h : fr.value("/status/history"_json_pointer, json::array()))
      if (h.value("reason", "") == "StepActive") return true;
    return false;
  };
  auto waitAll = [&](const char* group, const std::function<bool(const json&)>& pred, const std::string& what) {
    for (auto deadline = Clock::now() + 90s;;) {
      int ok = 0;
      json last;
      for (int i = 0; i < kEach; ++i) {
        json fr = rollout(name(group, i));
        if (pred(fr)) ++ok;
        else last = fr;
      }
      if (ok == kEach) return;
      if (Clock::now() > deadline) {
        FAIL() << ok << "/" << kEach << " " << group << " rollouts " << what << " within 90 s; one that is not: "
               << last.value("status", json()).dump(1) << "\noperator log:\n" << op.tail();
      }
      std::this_thread::sleep_for(250ms);
    }
  };
  ASSERT_NO_FATAL_FAILURE(waitAll("paused", active, "reached StepActive"));
  for (int i = 0; i < kEach; ++i) {
    auto r = patchAsSystemUser("featurerollouts.rollouts.featureflags.dev", name("paused", i), {{"spec", {{"paused", true}}}});
    ASSERT_EQ(r.rc, 0) << r.out;
  }
  auto isPaused = [](const json& fr) {
    return fr.value("/status/state"_json_pointer, std::string()) == "Paused" &&
           fr.value("/status/observedGeneration"_json_pointer, 0) == fr.value("/metadata/generation"_json_pointer, -1);
  };
  auto isPausing = [&](const json& fr) {
    return fr.value("/status/state"_json_pointer, std::string()) == "Progressing" && active(fr) &&
           fr.value("/status/step"_json_pointer, -1) == 0 && !fr.value("/status/pauseUntil"_json_pointer, std::string()).empty() &&
           fr.value("/status/observedGeneration"_json_pointer, 0) == fr.value("/metadata/generation"_json_pointer, -1);
  };
  ASSERT_NO_FATAL_FAILURE(waitAll("paused", isPaused, "became Paused"));
  ASSERT_NO_FATAL_FAILURE(waitAll("pausing", isPausing, "are pausing (StepActive, pauseUntil set)"));
  for (auto deadline = Clock::now() + 60s;;) {
    auto l = client->list(Resource::deployments(), ns);
    ASSERT_TRUE(l.ok()) << l.error().message;
    int done = 0;
    for (auto& d : (*l)["items"]) done += rolledOut(d);
    if (done == 2 * kEach) break;
    ASSERT_LT(Clock::now(), deadline) << done << "/" << 2 * kEach << " Deployments rolled out within 60 s";
    std::this_thread::sleep_for(250ms);
  }
  const long long settleMs = msSince(t0);
  json pausing0 = rollout(name("pausing", 0)), paused0 = rollout(name("paused", 0));
  std::printf("[ settled ] %lld ms after the operator started; pausing-0: \"%s\" pauseUntil %s; paused-0: \"%s\"\n", settleMs,
              pausing0.value("/status/message"_json_pointer, std::string()).c_str(),
              pausing0.value("/status/pauseUntil"_json_pointer, std::string()).c_str(),
              paused0.value("/status/message"_json_pointer, std::string()).c_str());
  // In-flight writes of the last moment (kwok's pods, the Deployment controller) land first.
  std::this_thread::sleep_for(2s);

  WriteLog rollouts, configMaps, deployments, events;
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::vector<std::thread> watchers;
  watchers.push_back(watchWrites(Resource::featureRollouts(), "", rollouts, stop, ready));
  watchers.push_back(watchWrites(Resource::configMaps(), "", configMaps, stop, ready));
  watchers.push_back(watchWrites(Resource::deployments(), "", deployments, stop, ready));
  watchers.push_back(watchWrites(Resource::coreEvents(), "involvedObject.kind=FeatureRollout", events, stop, ready));
  while (ready < 4) std::this_thread::sleep_for(10ms);
  const auto windowStart = Clock::now();
  while (Clock::now() - windowStart < kWindow && op.proc->running()) std::this_thread::sleep_for(100ms);
  const double minutes = static_cast<double>(msSince(windowStart)) / 60000.0;
  stop = true;
  for (auto& t : watchers) t.join();
  ASSERT_TRUE(op.proc->running()) << "the operator exited during the window:\n" << op.tail();

  auto in = [](const char* group) {
    std::string prefix = std::string(group) + "-";
    return [prefix](const std::string& n) { return n.rfind(prefix, 0) == 0; };
  };
  auto all = [](const std::string&) { return true; };
  const int pausedWrites = rollouts.count(in("paused")), pausingWrites = rollouts.count(in("pausing"));
  std::printf("[ figure ] writes per minute at rest with %d paused rollouts: %g\n", kEach, pausedWrites / minutes);
  std::printf("[ figure ] writes per minute at rest with %d pausing rollouts (10m step pause): %g\n", kEach,
              pausingWrites / minutes);
  std::printf("[ figure ] in %.1f s: FeatureRollout writes %d, ConfigMap writes %d, Deployment writes %d, "
              "Events about FeatureRollouts %d; settled %lld ms after start, test %lld ms\n",
              minutes * 60, rollouts.total, configMaps.count(all), deployments.count(all), events.total, settleMs, msSince(t0));
  for (WriteLog* w : {&rollouts, &configMaps, &deployments, &events}) {
    EXPECT_FALSE(w->watchFailed) << w->watchError;
    for (auto& s : w->samples) std::printf("[ write  ] %s\n", s.c_str());
  }
  EXPECT_EQ(pausedWrites, 0) << "paused rollouts were written at rest";
  EXPECT_EQ(pausingWrites, 0) << "pausing rollouts were written at rest (a countdown in status?)";
  EXPECT_EQ(rollouts.total, pausedWrites + pausingWrites);
  EXPECT_EQ(configMaps.total, 0) << "ConfigMaps were written at rest";
  EXPECT_EQ(deployments.total, 0) << "Deployments were written at rest";
  EXPECT_EQ(events.total, 0) << "Events about rollouts were written at rest";

  // And nothing moved: the pause still runs, the paused ones are still paused.
  EXPECT_TRUE(isPausing(rollout(name("pausing", kEach - 1))));
  EXPECT_TRUE(isPaused(rollout(name("paused", kEach - 1))));
}

}  // namespace
}  // namespace fro::testing::harness
