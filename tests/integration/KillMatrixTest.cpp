// Issue 11 defect 7 ("Events are at most once"), the fault matrix that found it, in bounded form:
// the operator PROCESS runs a three-phase rollout (no gates) while the test SIGKILLs it at random
// moments, at least 20 times, restarting it right away each time, until the rollout is Succeeded.
// Then what a user sees must be whole:
//  (a) status.history has every PhaseStarted / StepActive / StepAdvanced / PhaseCompleted of the
//      spec exactly once, in order, nothing skipped, numbered 1..N without a gap;
//  (b) every history entry with an eventType has exactly one core/v1 Event, named
//      <rollout>.<uid8>-<seq>, with the entry's reason, message and type, count 1, and no other
//      Event of the rollout carries a transition reason.
//
// Half of the kills come at a random delay after the process started (0-1 s: before its caches
// synced, mid-reconcile, during a pause); the other half a random 0-40 ms after the test's watch
// sees a new transition in status (or 1.5 s after the start if none comes), which is where the
// transition's Event is still on its way (the status write comes first). After every kill the test
// counts the transitions whose Event was not there when the process died ("a transition's Event
// not yet written"): an operator that records Events once, after the status write and under a
// random name, loses each of them (the restarted process plans from the new status and sees no
// transition) and fails (b) with "lost N"; one that records them again after a restart under a
// fresh name fails with "duplicated N". Two kills in a row matter too: the restarted process may
// record a new transition (StepActive once the workload has rolled out) before it has re-emitted
// the previous process's pending Events, and the process after it must still emit those.
//
// The operator runs with --kube-qps 10 --kube-burst 1, as against a busy API server: its requests
// are spaced ~100 ms apart, so the kills that follow a transition land between its status write
// and its Events.
//
// FRO_KILL_SEED=<n> replays one run's kill schedule (the seed is printed).
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "runtime/kube/KubeClient.h"
#include "tests/support/OperatorHarness.h"

// In the harness's namespace: its json, Resource, Clock, msSince, Operator and chrono literals.
namespace fro::testing::harness {
namespace {

constexpr int kMinKills = 20;
constexpr auto kBudget = 180s;  // the whole kill phase; the rollout alone takes ~25 s
const char* kRollout = "checkout";

// Three phases of 3, 2 and 2 steps, 2 s pauses, one Deployment: 18 history entries, within the
// bound of 20, so the whole rollout stays in status.history.
const char* kSpec = R"({
  "targets": [{"kind": "Deployment", "name": "web", "containers": ["app"]}],
  "flags": [
    {"name": "search-v2", "envVar": "SEARCH_V2"},
    {"name": "cart-v2", "envVar": "CART_V2"},
    {"name": "pay-v2", "envVar": "PAY_V2"},
    {"name": "legacy-pay", "envVar": "LEGACY_PAY", "default": true}],
  "phases": [
    {"name": "search", "enable": ["search-v2"],
     "steps": [{"percent": 10, "pause": "2s"}, {"percent": 50, "pause": "2s"}, {"percent": 100, "pause": "2s"}]},
    {"name": "cart", "enable": ["cart-v2"], "steps": [{"percent": 25, "pause": "2s"}, {"percent": 100, "pause": "2s"}]},
    {"name": "payments", "enable": ["pay-v2"], "disable": ["legacy-pay"],
     "steps": [{"percent": 50, "pause": "2s"}, {"percent": 100}]}]})";

const std::set<std::string> kTransitionReasons = {"PhaseStarted", "StepAdvanced", "PhaseCompleted", "RolloutSucceeded"};

struct Entry {
  std::string reason, phase;
  int step = 0;
  std::string str() const { return reason + ":" + phase + "/" + std::to_string(step); }
};

// What the history of an undisturbed rollout of `spec` is, from the spec alone.
std::vector<Entry> expectedHistory(const json& spec) {
  std::vector<Entry> out;
  const json& phases = spec["phases"];
  for (const auto& p : phases) {
    const std::string name = p["name"];
    const int n = static_cast<int>(p["steps"].size());
    out.push_back({"PhaseStarted", name, 0});
    for (int s = 0; s < n; ++s) {
      if (s > 0) out.push_back({"StepAdvanced", name, s});
      out.push_back({"StepActive", name, s});
    }
    out.push_back({"PhaseCompleted", name, n - 1});
  }
  out.push_back({"RolloutSucceeded", phases.back()["name"], static_cast<int>(phases.back()["steps"].size()) - 1});
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

// Follows the rollout through a watch of its own (another client): the latest transitions count
// and state, and a way to wait for the next transition.
class StatusWatch {
 public:
  StatusWatch(std::shared_ptr<kube::KubeClient> c, std::string ns, std::string name)
      : client_(std::move(c)), ns_(std::move(ns)), name_(std::move(name)) {
    thread_ = std::thread([this] { run(); });
  }
  ~StatusWatch() {
    stop_ = true;
    cv_.notify_all();
    thread_.join();
  }
  // Under the lock: the watch thread writes both (a race TSan found).
  std::int64_t transitions() const {
    std::lock_guard l(mu_);
    return transitions_;
  }
  bool succeeded() const {
    std::lock_guard l(mu_);
    return succeeded_;
  }
  // Until transitions > `than`, the rollout succeeded, or `until`.
  bool waitPast(std::int64_t than, Clock::time_point until) {
    std::unique_lock l(mu_);
    return cv_.wait_until(l, until, [&] { return transitions_ > than || succeeded_; }) && transitions_ > than;
  }

 private:
  void observe(const json& fr) {
    {
      std::lock_guard l(mu_);
      transitions_ = fr.value("/status/transitions"_json_pointer, std::int64_t{0});
      succeeded_ = fr.value("/status/state"_json_pointer, std::string()) == "Succeeded";
    }
    cv_.notify_all();
  }
  void run() {
    while (!stop_) {
      kube::ListOptions lo;
      lo.fieldSelector = "metadata.name=" + name_;
      auto l = client_->list(Resource::featureRollouts(), ns_, lo);
      if (!l.ok()) {
        std::this_thread::sleep_for(100ms);
        continue;
      }
      for (auto& fr : (*l)["items"]) observe(fr);
      kube::WatchOptions wo;
      wo.resourceVersion = (*l)["metadata"].value("resourceVersion", "");
      wo.fieldSelector = lo.fieldSelector;
      wo.timeoutSeconds = 30;
      wo.cancel = &stop_;
      (void)client_->watch(Resource::featureRollouts(), ns_, wo, [&](const kube::WatchEvent& e) {
        if (e.type == kube::WatchEvent::Type::Added || e.type == kube::WatchEvent::Type::Modified) observe(e.object);
        return !stop_.load();
      });
    }
  }

  std::shared_ptr<kube::KubeClient> client_;
  std::string ns_, name_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::int64_t transitions_ = 0;
  bool succeeded_ = false;
  std::thread thread_;
};

class KillMatrix : public OperatorHarness {
 protected:
  std::string fenceOwner() const override { return "KillMatrixTest"; }

  static std::string eventName(const std::string& rollout, const std::string& uid, std::int64_t seq) {
    return rollout + "." + uid.substr(0, 8) + "-" + std::to_string(seq);
  }
  // Event name -> Event, of the rollout.
  std::map<std::string, json> eventsByName() {
    std::map<std::string, json> out;
    for (auto& e : eventsOf(kRollout)) out[e["metadata"].value("name", "")] = e;
    return out;
  }
  // Its log names the rollout once it has written something for it (status, ConfigMap, workload).
  static bool wroteAnything(const Operator& op) {
    for (auto& r : op.records())
      if (r.contains("rollout")) return true;
    return false;
  }
  // The recorded transitions (seq) whose Event does not exist.
  std::vector<std::int64_t> eventsBehind(const json& fr) { return eventsBehind(fr, eventsByName()); }
  // Against one listing: the check and the assertions after it must judge the same snapshot.
  std::vector<std::int64_t> eventsBehind(const json& fr, const std::map<std::string, json>& evs) {
    std::vector<std::int64_t> out;
    const std::string uid = fr["metadata"].value("uid", "");
    for (auto& h : fr.value("/status/history"_json_pointer, json::array()))
      if (!h.value("eventType", "").empty() && !evs.count(eventName(kRollout, uid, h.value("seq", std::int64_t{0}))))
        out.push_back(h.value("seq", std::int64_t{0}));
    return out;
  }
};

TEST_F(KillMatrix, TwentySigkillsMidRolloutEveryStepOnceAndExactlyOneEventPerTransition) {
  unsigned seed = std::random_device{}();
  if (const char* s = std::getenv("FRO_KILL_SEED"); s && *s) seed = static_cast<unsigned>(std::strtoul(s, nullptr, 10));
  std::printf("[ seed   ] FRO_KILL_SEED=%u\n", seed);
  std::mt19937 rng(seed);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

  const std::vector<std::string> opArgs{"--kube-qps", "10", "--kube-burst", "1", "--workers", "2"};
  const json spec = json::parse(kSpec);
  const std::vector<Entry> want = expectedHistory(spec);
  ASSERT_LE(want.size(), 20u) << "the whole rollout must fit in status.history (bound 20)";

  ASSERT_NO_FATAL_FAILURE(createDeployment("web"));
  int incarnation = 0;
  Operator* op = &startOperator("0", opArgs);
  ASSERT_TRUE(waitRunning(*op)) << "the operator did not start:\n" << op->tail();
  StatusWatch watch(makeClient(config), ns, kRollout);
  const auto t0 = Clock::now();
  json created = createRollout(spec, kRollout);
  ASSERT_TRUE(created.is_object() && created.contains("metadata"));
  const std::string uid = created["metadata"]["uid"];

  int kills = 0, beforeWrites = 0, landed = 0, byTransition = 0, byDelay = 0, behindAtKill = 0, killsBehind = 0;
  auto opStarted = Clock::now();
  while (!watch.succeeded()) {
    ASSERT_LT(msSince(t0), std::chrono::duration_cast<std::chrono::milliseconds>(kBudget).count())
        << "the rollout did not reach Succeeded within " << kBudget.count() << " s of kills (" << kills
        << " kills); last status: " << rollout(kRollout).value("status", json()).dump(1) << "\nlast operator log:\n"
        << op->tail();
    // Where this kill lands: right after the next transition, or at a random delay after start.
    const bool afterTransition = uniform(0, 1) == 1;
    std::string how;
    if (afterTransition) {
      std::int64_t base = watch.transitions();
      bool moved = watch.waitPast(base, Clock::now() + 1500ms);
      int jitter = uniform(0, 40);
      std::this_thread::sleep_for(std::chrono::milliseconds(jitter));
      how = moved ? "+" + std::to_string(jitter) + " ms after transition " + std::to_string(watch.transitions())
                  : std::to_string(msSince(opStarted)) + " ms after start (no transition within 1.5 s)";
    } else {
      auto at = opStarted + std::chrono::milliseconds(uniform(0, 1000));
      while (Clock::now() < at && !watch.succeeded()) std::this_thread::sleep_for(5ms);
      how = std::to_string(msSince(opStarted)) + " ms after start";
    }
    if (watch.succeeded()) break;  // it finished first: this process stays up and records the last Events
    const bool wasRunning = op->proc->running();
    op->proc->signal(SIGKILL);
    ASSERT_TRUE(op->proc->waitExit(5s).has_value()) << "SIGKILL did not end the operator";
    ++kills;
    if (!wasRunning) {
      ADD_FAILURE() << "operator " << op->label << " had exited by itself (code " << op->proc->exitCode() << "):\n"
                    << op->tail();
    }
    if (!wroteAnything(*op)) ++beforeWrites;
    // The process is gone: what it left behind is what the next one starts from.
    json fr = rollout(kRollout);
    const bool mid = fr.value("/status/state"_json_pointer, std::string()) != "Succeeded";
    if (mid && wasRunning) {
      ++landed;
      (afterTransition ? byTransition : byDelay) += 1;
    }
    auto behind = eventsBehind(fr);
    if (!behind.empty()) ++killsBehind, behindAtKill += static_cast<int>(behind.size());
    std::vector<std::string> b;
    for (auto s : behind) b.push_back(std::to_string(s));
    std::printf("[ kill %2d ] %s: %s step %d, transitions %lld%s\n", kills, how.c_str(),
                fr.value("/status/phase"_json_pointer, std::string()).c_str(), fr.value("/status/step"_json_pointer, -1),
                static_cast<long long>(fr.value("/status/transitions"_json_pointer, std::int64_t{0})),
                b.empty() ? "" : (", Events behind status: seq " + joined(b)).c_str());
    auto restart = Clock::now();
    op = &startOperator(std::to_string(++incarnation), opArgs);
    opStarted = restart;
  }
  const long long rolloutMs = msSince(t0);

  // The last process is up: the Events of the last transitions follow their status write.
  json fr = rollout(kRollout);
  std::map<std::string, json> evs;
  for (auto until = Clock::now() + 15s; Clock::now() < until;) {
    fr = rollout(kRollout);
    evs = eventsByName();
    if (eventsBehind(fr, evs).empty()) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(fr.value("/status/state"_json_pointer, std::string()), "Succeeded");

  // (a) The history: every transition of the spec exactly once, in order, numbered without a gap.
  std::vector<std::string> wantPath, gotPath;
  for (const auto& e : want) wantPath.push_back(e.str());
  const json history = fr.value("/status/history"_json_pointer, json::array());
  for (const auto& h : history)
    gotPath.push_back(h.value("reason", "") + ":" + h.value("phase", "") + "/" + std::to_string(h.value("step", -1)));
  EXPECT_EQ(joined(gotPath), joined(wantPath)) << "a transition was repeated, skipped or reordered";
  for (size_t i = 0; i < history.size(); ++i)
    EXPECT_EQ(history[i].value("seq", std::int64_t{0}), static_cast<std::int64_t>(i + 1)) << history[i].dump();
  EXPECT_EQ(fr.value("/status/transitions"_json_pointer, std::int64_t{0}), static_cast<std::int64_t>(history.size()));
  // The entries a user gets an Event for are the transitions; StepActive is recorded without one.
  for (const auto& h : history) {
    std::string reason = h.value("reason", "");
    if (kTransitionReasons.count(reason)) EXPECT_EQ(h.value("eventType", ""), "Normal") << h.dump();
    else EXPECT_EQ(h.value("eventType", ""), "") << h.dump();
  }

  // (b) Exactly one Event per transition, named after it, and no other transition Event.
  int expected = 0, found = 0, lost = 0, duplicated = 0, wrong = 0;
  std::set<std::string> named;
  std::vector<std::string> lostList;
  for (const auto& h : history) {
    if (h.value("eventType", "").empty()) continue;
    ++expected;
    std::string name = eventName(kRollout, uid, h.value("seq", std::int64_t{0}));
    named.insert(name);
    auto it = evs.find(name);
    if (it == evs.end()) {
      ++lost;
      lostList.push_back(std::to_string(h.value("seq", 0)) + " " + h.value("reason", ""));
      continue;
    }
    ++found;
    const json& e = it->second;
    bool same = e.value("reason", "") == h.value("reason", "") && e.value("message", "") == h.value("message", "") &&
                e.value("type", "") == h.value("eventType", "") &&
                e.value("/involvedObject/uid"_json_pointer, std::string()) == uid;
    if (!same) ++wrong;
    EXPECT_TRUE(same) << "Event " << name << " does not match history entry " << h.dump() << ":\n" << e.dump(1);
    int count = e.value("count", 1);
    if (count != 1) duplicated += count - 1;
    EXPECT_EQ(count, 1) << "Event " << name << " was recorded more than once";
  }
  std::vector<std::string> extra;
  for (const auto& [name, e] : evs)
    if (kTransitionReasons.count(e.value("reason", "")) && !named.count(name)) {
      ++duplicated;
      extra.push_back(name + " " + e.value("reason", "") + ": " + e.value("message", ""));
    }

  std::printf("[ figure ] kills tried %d, landed mid-rollout %d (%d right after a transition, %d at a random delay), "
              "%d before the process logged any work on the rollout; operator processes %d, seed %u\n",
              kills, landed, byTransition, byDelay, beforeWrites, incarnation + 1, seed);
  std::printf("[ figure ] kills with a transition's Event not yet written %d (%d Events behind status in all): "
              "what at-most-once Events would lose\n",
              killsBehind, behindAtKill);
  std::printf("[ figure ] Events expected %d, found %d, lost %d, duplicated %d, not matching %d\n", expected, found, lost,
              duplicated, wrong);
  std::printf("[ figure ] wall time: rollout Succeeded %lld ms after it was created; test %lld ms\n", rolloutMs,
              msSince(t0));

  if (lost > 0 || duplicated > 0 || wrong > 0) {
    // What a person debugging this needs: the history as recorded, every Event, the operators' warnings.
    for (const auto& h : history)
      std::printf("[ history ] seq %lld %s %s/%d at %s eventType %s: %s\n", static_cast<long long>(h.value("seq", std::int64_t{0})),
                  h.value("reason", "").c_str(), h.value("phase", "").c_str(), h.value("step", -1), h.value("at", "").c_str(),
                  h.value("eventType", "").c_str(), h.value("message", "").c_str());
    for (const auto& [name, e] : evs)
      std::printf("[ event  ] %s %s count %d first %s by %s: %s\n", name.c_str(), e.value("reason", "").c_str(), e.value("count", 0),
                  e.value("firstTimestamp", "").c_str(), e.value("reportingInstance", "").c_str(), e.value("message", "").c_str());
    int shown = 0;
    for (const auto& o : operators)
      for (const auto& r : o->records())
        if ((r.value("level", "") != "info" || r.value("msg", "").find("event") != std::string::npos) && shown++ < 40)
          std::printf("[ log %s ] %s\n", o->label.c_str(), r.dump().c_str());
  }
  EXPECT_GE(landed, kMinKills) << "too few kills landed mid-rollout: the fault matrix proves nothing";
  EXPECT_EQ(lost, 0) << "transitions without an Event: " << joined(lostList);
  EXPECT_EQ(duplicated, 0) << "transition Events besides the one per history entry:\n" << joined(extra);
  const auto wantEvents = std::count_if(want.begin(), want.end(), [](const Entry& e) { return kTransitionReasons.count(e.reason) > 0; });
  EXPECT_EQ(expected, wantEvents) << "3 PhaseStarted, 4 StepAdvanced, 3 PhaseCompleted, 1 RolloutSucceeded";
}


}  // namespace
}  // namespace fro::testing::harness
