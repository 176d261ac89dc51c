// Writes FeatureRollout objects in every state the operator reports, as the REAL planner leaves
// them, for kstatus_test.sh to feed to kstatus (hack/kstatus-check). Each case drives
// RolloutPlanner::plan through a small world (one rollout, its ConfigMap, its workload, gate
// results, an injected clock) the way tests/featurerollout/RolloutPlannerTest.cpp does, then
// checks that the rollout really is in the state the case is named after.
//
//   kstatus_fixtures <dir>    writes <dir>/<case>.json, one object per file (pretty JSON)
//
// The output is deterministic (injected time), so tests/kstatus/cases/ holds a copy that the test
// compares with a fresh run: the checked-in fixtures are always the planner's own output.
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/Rfc3339.h"
#include "rollout/planner/Annotations.h"
#include "rollout/planner/RolloutPlanner.h"
#include "tests/support/RolloutWorld.h"

namespace {

using json = nlohmann::json;
using namespace fro::rollout;
using namespace std::chrono_literals;

const char* kSpec = R"json({
  "targets": [{"kind": "Deployment", "name": "web"}],
  "flags": [{"name": "checkout", "envVar": "CHECKOUT"}, {"name": "banner", "envVar": "BANNER"}],
  "analysis": {"interval": "10s", "gates": [
     {"name": "errors", "query": "sum(rate(http_errors_total[1m]))", "warning": {"above": 0.02}, "critical": {"above": 0.05}}]},
  "phases": [
    {"name": "one", "enable": ["checkout"], "steps": [{"percent": 10, "pause": "30s"}, {"percent": 100}], "gates": ["errors"]},
    {"name": "two", "enable": ["banner"], "steps": [{"percent": 100}], "gates": ["errors"]}]})json";

std::string fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// The shared planner world (tests/support/RolloutWorld.h) with this generator's one gate and its
// shortcuts to the states the cases start from.
struct World : fro::testing::RolloutWorld {
  World(const std::string& name, json spec)
      : RolloutWorld(std::move(spec), {.name = name, .uid = "uid-" + name, .containers = {"app"}}) {}
  void gate(GateResult r, double value, int passes = 1, int errors = 0, bool permanent = false) {
    GateObservation o;
    o.name = "errors", o.result = r, o.evaluatedAt = now, o.consecutivePasses = passes;
    o.consecutiveErrors = errors, o.permanent = permanent;
    if (r == GateResult::Passed || r == GateResult::Warning || r == GateResult::Critical) o.value = value;
    o.threshold = r == GateResult::Warning ? "warning above 0.02" : r == GateResult::Critical ? "critical above 0.05" : "";
    o.message = r == GateResult::Error    ? "query failed: connection refused"
                : r == GateResult::NoData ? "the query returned no series"
                                          : "errors = " + fmt(value) + (o.threshold.empty() ? "" : " (" + o.threshold + ")");
    setGate(o);
  }
  // Past the first step's 30 s pause with passing gates: phase one at 100%.
  void toSecondStep() {
    settle();
    advance(30s);
    gate(GateResult::Passed, 0.0);
    settle();
  }
  // Phase one's 100% step passes, then phase two's only step: every phase succeeded.
  void toSucceeded() {
    toSecondStep();
    for (int i = 0; i < 2; ++i) {
      advance(1s);
      gate(GateResult::Passed, 0.0);
      settle();
    }
  }
};

struct Case {
  std::string name;
  std::string state;          // expected status.state ("" for no status at all)
  std::string stalledReason;  // expected Stalled reason when Stalled=True, "" when Stalled is not True
  std::function<void(World&)> drive;
  std::function<json(json)> spec = [](json s) { return s; };
};

std::vector<Case> cases() {
  auto gateFault = [](GateResult r, int errors, bool permanent) {
    return [=](World& w) {
      w.settle();
      w.advance(30s);
      w.gate(r, 0, 0, errors, permanent);
      w.settle();
    };
  };
  // Succeeded, then a new flag whose values the Deployment controller has not rolled out yet.
  auto editedAfterSuccess = [](World& w) {
    w.toSucceeded();
    w.autoRollout = false;
    w.editSpec([](json& s) { s["flags"].push_back({{"name", "search"}, {"envVar", "SEARCH"}}); });
    w.settle();
  };
  return {
      // Created, not reconciled yet: the API server stores no status on create.
      {"unreconciled", "", "", [](World&) {}},
      {"progressing", "Progressing", "", [](World& w) { w.settle(); }},
      {"progressing-awaiting-workload", "Progressing", "",
       [](World& w) {
         w.autoRollout = false;
         w.settle();
       }},
      {"holding-warning", "Holding", "",
       [](World& w) {
         w.settle();
         w.advance(30s);
         w.gate(GateResult::Warning, 0.03, 0);
         w.settle();
       }},
      {"holding-no-data", "Holding", "", gateFault(GateResult::NoData, 0, false)},
      {"holding-gate-error", "Holding", "", gateFault(GateResult::Error, 1, false)},
      {"holding-gate-errors-stalled", "Holding", "GateErrors", gateFault(GateResult::Error, 5, false)},
      {"holding-gate-config-error", "Holding", "GateConfigError", gateFault(GateResult::Error, 1, true)},
      {"holding-progress-deadline", "Holding", "ProgressDeadlineExceeded",
       [](World& w) {
         w.autoRollout = false;
         w.settle();
         w.advance(10min);
         w.settle();
       }},
      {"target-not-found", "Pending", "TargetNotFound",
       [](World& w) {
         w.workloads[0].exists = false;
         w.settle();
       }},
      {"paused", "Paused", "",
       [](World& w) {
         w.settle();
         w.advance(10s);
         w.editSpec([](json& s) { s["paused"] = true; });
         w.settle();
       }},
      {"paused-annotation", "Paused", "",
       [](World& w) {
         w.settle();
         w.rollout["metadata"]["annotations"][fro::rollout::names::kPausedAnnotation] = "true";
         w.settle();
       }},
      // rollback: manual: a critical gate pauses instead of rolling back.
      {"paused-by-critical-gate", "Paused", "GateCritical",
       [](World& w) {
         w.settle();
         w.advance(2s);
         w.gate(GateResult::Critical, 0.2, 0);
         w.settle();
       },
       [](json s) {
         s["rollback"] = "manual";
         return s;
       }},
      {"succeeded", "Succeeded", "",
       [](World& w) {
         w.toSucceeded();
       }},
      // Ready=True is still there from generation 1, but generation 2 is not observed yet.
      {"succeeded-spec-edited", "Succeeded", "",
       [](World& w) {
         w.toSucceeded();
         w.editSpec([](json& s) { s["phases"][1]["steps"] = json::parse(R"([{"percent": 50}, {"percent": 100}])"); });
       }},
      // Generation 2 observed, but its new flag has not rolled out to the Deployment yet: not Ready.
      {"succeeded-delivering", "Succeeded", "", editedAfterSuccess},
      // The same, past the progress deadline: the delivery of the edit is stuck.
      {"succeeded-delivery-stalled", "Succeeded", "ProgressDeadlineExceeded",
       [&](World& w) {
         editedAfterSuccess(w);
         w.advance(11min);
         w.settle();
       }},
      // Progressing at generation 1, paused in generation 2 that the operator has not seen yet.
      {"progressing-spec-edited", "Progressing", "",
       [](World& w) {
         w.settle();
         w.editSpec([](json& s) { s["paused"] = true; });
       }},
      {"rolledback-gate-critical", "RolledBack", "GateCritical",
       [](World& w) {
         w.toSecondStep();
         w.advance(1s);
         w.gate(GateResult::Critical, 0.071, 0);
         w.settle();
       }},
      {"rolledback-no-data", "RolledBack", "GateNoData", gateFault(GateResult::NoData, 0, false),
       [](json s) {
         s["analysis"]["gates"][0]["onNoData"] = "fail";
         return s;
       }},
      {"rolledback-aborted", "RolledBack", "Aborted",
       [](World& w) {
         w.settle();
         w.command("abort 2026-01-01T00:00:00.000Z-a1");
         w.settle();
       }},
      {"invalid-spec", "Invalid", "InvalidSpec",
       [](World& w) {
         w.settle();
         w.editSpec([](json& s) { s["phases"][0]["steps"][1]["percent"] = 5; });
         w.settle();
       }},
      {"invalid-container", "Invalid", "InvalidSpec", [](World& w) { w.settle(); },
       [](json s) {
         s["targets"][0]["containers"] = {"app", "nginx"};
         return s;
       }},
      // Gates judged before the first exposure; a permanent fault (no Prometheus address) is Stalled.
      {"pending-gate-check", "Pending", "",
       [](World& w) {
         w.autoStartCheck = false;
         w.settle();
       }},
      {"pending-gate-check-config-error", "Pending", "GateConfigError",
       [](World& w) {
         w.autoStartCheck = false;
         w.settle();
         w.advance(1s);
         w.gate(GateResult::Error, 0, 0, 1, true);
         w.settle();
       }},
      // A retry waits for its gates to pass at the rolled-back values.
      {"pending-retry-check", "Pending", "",
       [](World& w) {
         w.settle();
         w.command("abort 2026-01-01T00:00:00.000Z-a1");
         w.settle();
         w.command("retry 2026-01-01T00:00:01.000Z-r1");
         w.settle();
       }},
      // Another FeatureRollout owns the target.
      {"target-claimed", "Pending", "TargetClaimed",
       [](World& w) {
         w.workloads[0].claimedBy = "other";
         w.workloads[0].claimantExists = true;
         w.settle();
       }},
      // Being deleted: the finalizer is still there while the operator releases the workloads.
      {"succeeded-deleting", "Succeeded", "",
       [](World& w) {
         w.toSucceeded();
         w.rollout["metadata"]["deletionTimestamp"] = "2026-01-01T01:00:00Z";
         w.rollout["metadata"]["finalizers"] = {"rollouts.featureflags.dev/cleanup"};
       }},
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: kstatus_fixtures <output dir>\n";
    return 2;
  }
  std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  int bad = 0;
  for (const Case& c : cases()) {
    World w(c.name, c.spec(json::parse(kSpec)));
    c.drive(w);
    const std::string state = w.rollout.contains("status") ? w.rollout["status"].value("state", "") : "";
    const std::string stalled = w.cond("Stalled") == "True" ? w.cond("Stalled", "reason") : "";
    if (state != c.state || stalled != c.stalledReason) {
      std::cerr << c.name << ": the planner left state \"" << state << "\" Stalled reason \"" << stalled
                << "\", the case expects \"" << c.state << "\" and \"" << c.stalledReason << "\"\n";
      ++bad;
    }
    std::ofstream out(dir / (c.name + ".json"));
    out << w.rollout.dump(2) << "\n";
    if (!out) {
      std::cerr << "cannot write " << (dir / (c.name + ".json")) << "\n";
      return 1;
    }
  }
  return bad ? 1 : 0;
}
