#include "reconcilers/featurerollout/RolloutPlanner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "operator/common/Rfc3339.h"
#include "reconcilers/featurerollout/Annotations.h"
#include "reconcilers/featurerollout/Duration.h"
#include "reconcilers/featurerollout/EffectiveFlags.h"
#include "reconcilers/featurerollout/FlagDocument.h"
#include "reconcilers/featurerollout/RetryPlan.h"
#include "reconcilers/featurerollout/RolloutSpec.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string fmtValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string left(milliseconds d) {
  // Whole seconds are enough for a person; Duration::format keeps it short ("1m30s").
  auto s = std::chrono::ceil<std::chrono::seconds>(d);
  return Duration::format(std::chrono::duration_cast<milliseconds>(s));
}

// "gate error-rate = 0.06 is above ..." rather than "gate error-rate: error-rate = 0.06 ...":
// the judge's messages already start with the gate's name.
std::string gateText(const std::string& gate, const std::string& message) {
  if (message.rfind(gate + " ", 0) == 0) return "gate " + message;
  if (message.rfind(gate + ": ", 0) == 0) return "gate " + message;
  return "gate " + gate + ": " + message;
}

// How the current step's gates stand. Ordered by precedence: the worst wins.
struct Verdict {
  enum Kind { Pass, Wait, NoData, Error, Warning, Stalled, Critical } kind = Pass;
  std::string reason;   // condition reason
  std::string message;  // names gate, value, threshold
  std::string rollbackReason;
};

class Planner {
 public:
  explicit Planner(const PlanInput& in) : in_(in) {}

  Plan run();

 private:
  // --- helpers over status -----------------------------------------------------------------
  // A transition: the new state, its message (so the status version that records it says what
  // happened, not what the previous step was doing), a history entry and its Event.
  void transition(const std::string& state, const std::string& reason, const std::string& message,
                  const std::string& eventType = "Normal", bool event = true) {
    st_.state = state;
    st_.message = message;
    record(state, reason, message, event ? eventType : "");
    if (event) out_.events.push_back({eventType, reason, message, st_.transitions});
  }
  // One numbered entry in the bounded history. An entry with an eventType has exactly one Event,
  // named after its number (the reconciler re-emits it if a crash came between status and Event).
  void record(const std::string& state, const std::string& reason, const std::string& message,
              const std::string& eventType = "") {
    st_.history.push_back({st_.phase, st_.step, state, reason, message, nowStr_, ++st_.transitions, eventType});
    if (st_.history.size() > RolloutStatus::kMaxHistory)
      st_.history.erase(st_.history.begin(), st_.history.end() - RolloutStatus::kMaxHistory);
  }
  void event(const std::string& type, const std::string& reason, const std::string& message) {
    record(st_.state, reason, message, type);
    out_.events.push_back({type, reason, message, st_.transitions});
  }
  void requeue(milliseconds d) {
    if (d < milliseconds(0)) d = milliseconds(0);
    if (!out_.requeueAfter || d < *out_.requeueAfter) out_.requeueAfter = d;
  }
  std::string phaseHash(int idx) const {
    const json& phases = in_.rollout.value("/spec/phases"_json_pointer, json::array());
    std::string dump = idx >= 0 && idx < static_cast<int>(phases.size()) ? phases[idx].dump() : "";
    return FlagDocument::checksum({{"phase", dump}}).substr(0, 16);
  }
  const Phase& phase() const { return spec_.phases[st_.phaseIndex]; }
  std::string stepLabel() const {
    const Phase& p = phase();
    return "phase " + p.name + " step " + std::to_string(st_.step + 1) + "/" + std::to_string(p.steps.size()) + " (" +
           std::to_string(p.steps[st_.step].percent) + "%)";
  }
  void enterStep(int phaseIdx, int step) {
    st_.phaseIndex = phaseIdx;
    st_.phase = spec_.phases[phaseIdx].name;
    st_.step = step;
    st_.stepEnteredAt = in_.now;
    st_.stepStartedAt.reset();
    st_.phaseHash = phaseHash(phaseIdx);
    st_.gates.clear();
    const auto& gates = spec_.phases[phaseIdx].gates;
    st_.gatesSummary = gates.empty() ? "none" : "0/" + std::to_string(gates.size()) + " Passed, waiting for rollout";
  }
  // A phase with gates first has them judged at today's values (Start: they must be runnable), so
  // no user is exposed by a step whose gates cannot be judged; checked=true once that is done.
  void startPhase(int idx, const std::string& why, bool checked = false) {
    if (!checked && !spec_.phases[idx].gates.empty()) {
      enterStep(idx, 0);
      st_.stepEnteredAt.reset();
      st_.gateCheck = GateCheck{spec_.phases[idx].name, "Start", std::nullopt, why};
      st_.state = "Pending";
      st_.message = "phase " + st_.phase + " waits for its gates to be judged before any user is exposed";
      record("Pending", "GateCheck", st_.message);
      return;
    }
    st_.gateCheck.reset();
    enterStep(idx, 0);
    PhaseStatus* ps = st_.phaseStatus(st_.phase);
    ps->state = "Progressing";
    ps->startedAt = nowStr_;
    ps->completedAt.clear();
    const Phase& p = phase();
    std::string msg = "phase " + p.name + " started" + why + ": " +
                      (p.enable.empty() ? std::string("no flags to enable") : join(p.enable) + " on for " +
                                                                                   std::to_string(p.steps[0].percent) +
                                                                                   "% of users");
    if (!p.disable.empty()) msg += "; " + join(p.disable) + " off";
    transition("Progressing", "PhaseStarted", msg);
  }
  int firstUnfinishedPhase() {
    for (size_t i = 0; i < spec_.phases.size(); ++i) {
      PhaseStatus* ps = st_.phaseStatus(spec_.phases[i].name);
      if (!ps || ps->state != "Succeeded") return static_cast<int>(i);
    }
    return -1;
  }
  void succeed() {
    st_.gateCheck.reset();
    st_.phaseIndex = static_cast<int>(spec_.phases.size()) - 1;
    st_.phase = spec_.phases.back().name;
    st_.step = static_cast<int>(spec_.phases.back().steps.size()) - 1;
    st_.stepEnteredAt.reset();
    st_.stepStartedAt.reset();
    transition("Succeeded", "RolloutSucceeded",
               "all " + std::to_string(spec_.phases.size()) + " phases completed; flags stay at their final values");
  }
  // Phase list in status follows the spec's order; entries of removed phases go.
  void syncPhaseList() {
    std::vector<PhaseStatus> list;
    for (const auto& p : spec_.phases) {
      PhaseStatus* old = st_.phaseStatus(p.name);
      list.push_back(old ? *old : PhaseStatus{p.name, "Pending", "", ""});
    }
    st_.phases = std::move(list);
  }

  // --- stages ------------------------------------------------------------------------------
  bool invalid(const std::vector<std::string>& problems, const std::string& reason = "InvalidSpec");
  void ackIgnoredCommand(const std::string& why);
  bool checkCluster();
  void repositionAfterEdit();
  void handleCommand();
  void normalize();
  Verdict judgeGates(const Phase& p, TimePoint since);
  void requestGates(const Phase& p, TimePoint since);
  void beginRetry();
  void restartFrom(int idx, const std::string& why);
  void checkGatesBeforeExposure();
  bool claimTargets();
  void waitForTargets(const std::string& reason, const std::string& msg, const std::string& ackWhy);
  void rollBack(const Verdict& v);
  void advance(bool fullPhase, const std::string& why);
  void progress();
  void finish();

  const PlanInput& in_;
  RolloutSpec spec_;
  RolloutStatus old_;
  RolloutStatus st_;
  Plan out_;
  std::string nowStr_;
  std::int64_t generation_ = 0;
  std::string ns_, name_;
  bool paused_ = false;
  std::string pausedBy_;
  bool promote_ = false, promoteFull_ = false, retry_ = false, retryForce_ = false;
  std::string retryWhy_;
  std::string promoteReq_;
  std::string waiting_;         // what the step waits for before it is active
  std::string stalledReason_, stalledMessage_;
  Verdict verdict_;
  bool gatesJudged_ = false;
  // How the gate check before exposure stands (GatesPassing while state is Pending).
  std::string checkStatus_ = "Unknown", checkReason_ = "AwaitingDelivery",
              checkMessage_ = "gates are judged once the current values are delivered";
};

// A command still gets its answer (the plugin waits for it) when the rollout cannot act on it.
void Planner::ackIgnoredCommand(const std::string& why) {
  const json annotations = in_.rollout.value("/metadata/annotations"_json_pointer, json::object());
  std::string cmd = annotations.value(names::kCommandAnnotation, "");
  if (cmd.empty() || cmd == st_.lastCommand) return;
  st_.lastCommand = cmd;
  event("Warning", "CommandIgnored", cmd.substr(0, cmd.find(' ')) + " ignored: " + why + " (request " + cmd + ")");
}

bool Planner::invalid(const std::vector<std::string>& problems, const std::string& reason) {
  std::string msg = join(problems, "; ");
  bool wasSame = old_.state == "Invalid" && old_.message == "invalid spec: " + msg;
  st_.observedGeneration = generation_;
  st_.message = "invalid spec: " + msg;
  st_.gatesSummary.clear();
  if (old_.state != "Invalid" || !wasSame) {
    st_.state = "Invalid";
    event("Warning", reason, msg + " (nothing was changed in the cluster)");
  }
  st_.state = "Invalid";
  ackIgnoredCommand("the spec is invalid; fix it first");
  st_.setCondition("InvalidSpec", "True", reason, msg, nowStr_, generation_);
  st_.setCondition("Stalled", "True", reason, msg, nowStr_, generation_);
  st_.setCondition("Reconciling", "False", reason, "the spec must be fixed before the rollout can continue", nowStr_,
                   generation_);
  st_.setCondition("Ready", "False", reason, msg, nowStr_, generation_);
  st_.setCondition("Progressing", "False", reason, msg, nowStr_, generation_);
  out_.writeChildren = false;
  out_.gateRequest.reset();
  return true;
}

// What the CRD cannot check: the ConfigMap's owner, the targets and their containers.
bool Planner::checkCluster() {
  std::vector<std::string> problems;
  if (in_.configMap.exists && !in_.configMap.ownedByUs)
    problems.push_back("spec.configMapName: ConfigMap \"" + spec_.configMapName + "\" already exists in namespace " +
                       ns_ + " and is not owned by this FeatureRollout (owner: " + in_.configMap.owner +
                       "); choose another name or delete it");
  std::vector<std::string> missing;
  for (size_t i = 0; i < spec_.targets.size(); ++i) {
    const Target& t = spec_.targets[i];
    auto it = std::find_if(in_.workloads.begin(), in_.workloads.end(),
                           [&](const WorkloadView& w) { return w.kind == t.kind && w.name == t.name; });
    if (it == in_.workloads.end() || !it->exists) {
      missing.push_back("spec.targets[" + std::to_string(i) + "]: " + t.kind + " \"" + t.name +
                        "\" not found in namespace " + ns_);
      continue;
    }
    for (size_t j = 0; j < t.containers.size(); ++j)
      if (std::find(it->containers.begin(), it->containers.end(), t.containers[j]) == it->containers.end())
        problems.push_back("spec.targets[" + std::to_string(i) + "].containers[" + std::to_string(j) +
                           "]: container \"" + t.containers[j] + "\" is not in the pod template of " + t.kind + " " +
                           t.name + " (containers: " + join(it->containers) + ")");
  }
  if (!problems.empty()) return invalid(problems);
  if (missing.empty() && claimTargets()) return true;
  if (!missing.empty()) {
    // Not the user's typo necessarily: GitOps may create the workload a moment later. Wait, loudly.
    waitForTargets("TargetNotFound", join(missing, "; "), "a target is missing");
    requeue(std::chrono::seconds(30));
    return true;
  }
  return false;
}

// A target that is missing or another rollout's: Stalled with one Warning Event per situation,
// nothing written in the cluster until it changes.
void Planner::waitForTargets(const std::string& reason, const std::string& msg, const std::string& ackWhy) {
  bool same = old_.condition("Stalled") && old_.condition("Stalled")->reason == reason &&
              old_.condition("Stalled")->message == msg;
  if (!same) event("Warning", reason, msg + " (nothing was changed in the cluster)");
  ackIgnoredCommand(ackWhy);
  st_.observedGeneration = generation_;
  if (st_.state.empty()) st_.state = "Pending";
  st_.message = "waiting for targets: " + msg;
  st_.setCondition("InvalidSpec", "False", "SpecValid", "the spec is valid", nowStr_, generation_);
  st_.setCondition("Stalled", "True", reason, msg, nowStr_, generation_);
  st_.setCondition("Reconciling", "False", reason, msg, nowStr_, generation_);
  st_.setCondition("Ready", "False", reason, msg, nowStr_, generation_);
  out_.writeChildren = false;
  out_.gateRequest.reset();
}

// One workload, one rollout. A target claimed by another FeatureRollout that exists stalls this one
// (nothing written) until the other lets go; unclaimed targets, or claims left by a rollout that is
// gone, are claimed before anything else is written (the reconciler's patch is race-free).
bool Planner::claimTargets() {
  std::vector<std::string> taken;
  for (size_t i = 0; i < spec_.targets.size(); ++i) {
    const Target& t = spec_.targets[i];
    auto it = std::find_if(in_.workloads.begin(), in_.workloads.end(),
                           [&](const WorkloadView& w) { return w.kind == t.kind && w.name == t.name; });
    if (it == in_.workloads.end() || it->claimedBy == name_) continue;
    if (!it->claimedBy.empty() && it->claimantExists)
      taken.push_back("spec.targets[" + std::to_string(i) + "]: " + t.kind + " \"" + t.name +
                      "\" is already rolled out by FeatureRollout \"" + it->claimedBy + "\" (annotation " +
                      names::kOwnerAnnotation + "); one workload, one rollout: remove it from one of them");
    else
      out_.claims.push_back({t.kind, t.name, it->claimedBy});
  }
  if (taken.empty()) return false;
  out_.claims.clear();
  waitForTargets("TargetClaimed", join(taken, "; "), "a target belongs to another FeatureRollout");
  return true;
}

void Planner::repositionAfterEdit() {
  syncPhaseList();
  if (st_.state.empty() || (st_.state == "Invalid" && st_.phase.empty()) || (st_.state == "Pending" && !st_.gateCheck)) {
    int first = firstUnfinishedPhase();
    if (first < 0) return succeed();
    return startPhase(first, "");
  }
  const bool edited = old_.observedGeneration != generation_;
  if (st_.gateCheck && st_.state != "Invalid") {
    // Judged again under the new spec: results taken before the edit do not count.
    if (edited) st_.gateCheck->since.reset();
    return;
  }
  // A rolled-back rollout whose spec was invalid and is valid again: the fix counts as a spec change.
  const bool fixedAfterRollback = st_.state == "Invalid" && st_.rollback;
  if (fixedAfterRollback) st_.state = "RolledBack";
  if (st_.state == "RolledBack") {
    if (edited || fixedAfterRollback) {
      retry_ = true;
      retryWhy_ = "the spec changed (generation " + std::to_string(generation_) + ")";
    }
    return;
  }
  if (!edited && st_.state != "Invalid") return;
  const int idx = spec_.phaseIndex(st_.phase);
  if (st_.state != "Succeeded" && idx >= 0 && phaseHash(idx) == st_.phaseHash) {
    st_.phaseIndex = idx;  // phases may have moved; progress is kept by name
    if (st_.state == "Invalid") transition("Progressing", "SpecValid", "the spec is valid again; continuing " + stepLabel());
    return;
  }
  if (idx >= 0 && st_.state != "Succeeded") {
    PhaseStatus* ps = st_.phaseStatus(st_.phase);
    ps->state = "Progressing";
    ps->startedAt = nowStr_;
    enterStep(idx, 0);
    transition("Progressing", "PhaseRestarted",
               "phase " + st_.phase + " was edited: its steps restart at " + std::to_string(phase().steps[0].percent) + "%");
    return;
  }
  int next = firstUnfinishedPhase();
  if (next < 0) {
    if (st_.state != "Succeeded") succeed();
    return;
  }
  startPhase(next, st_.state == "Succeeded" ? " (added to a completed rollout)"
                                            : " (phase " + st_.phase + " was removed from the spec)");
}

// A status that does not fit the spec (hand-edited, or written for another generation) is
// re-resolved by phase name rather than trusted: the planner must never index out of range.
void Planner::normalize() {
  const bool active = st_.state == "Progressing" || st_.state == "Holding" || st_.state == "Paused" ||
                      st_.state == "RolledBack";
  if (!active) return;
  const int n = static_cast<int>(spec_.phases.size());
  if (st_.phaseIndex >= 0 && st_.phaseIndex < n && spec_.phases[st_.phaseIndex].name == st_.phase &&
      st_.step >= 0 && st_.step < static_cast<int>(spec_.phases[st_.phaseIndex].steps.size()))
    return;
  int idx = spec_.phaseIndex(st_.phase);
  if (idx >= 0 && st_.step >= 0 && st_.step < static_cast<int>(spec_.phases[idx].steps.size())) {
    st_.phaseIndex = idx;
    return;
  }
  if (st_.state == "RolledBack") {
    st_.phaseIndex = idx >= 0 ? idx : 0;
    st_.phase = spec_.phases[st_.phaseIndex].name;
    st_.step = 0;
    return;
  }
  idx = idx >= 0 ? idx : firstUnfinishedPhase();
  if (idx < 0) return succeed();
  enterStep(idx, 0);
  transition("Progressing", "PhaseRestarted", "status did not match the spec: restarting " + stepLabel());
}

void Planner::handleCommand() {
  const json annotations = in_.rollout.value("/metadata/annotations"_json_pointer, json::object());
  std::string cmd = annotations.value(names::kCommandAnnotation, "");
  if (cmd.empty() || cmd == st_.lastCommand) return;
  st_.lastCommand = cmd;
  std::string verb = cmd.substr(0, cmd.find(' '));
  const std::string req = " (request " + cmd + ")";
  const bool inProgress = st_.state == "Progressing" || st_.state == "Holding" || st_.state == "Paused";
  if (verb == "resume") {
    if (st_.state == "RolledBack" || st_.state == "Succeeded") {
      event("Normal", "CommandIgnored",
            "resume ignored: the rollout is " + st_.state +
                (st_.state == "RolledBack" ? " (use retry to walk its steps again)" : std::string()) + req);
      return;
    }
    if (st_.operatorPaused) {
      st_.operatorPaused = false;
      event("Normal", "CommandResume", "resume: the operator's pause (critical gate, rollback: manual) is lifted" + req);
    } else {
      event("Normal", "CommandResume", "resume acknowledged" + req);
    }
  } else if (verb == "promote" || verb == "promote-full") {
    if (!inProgress) {
      event("Normal", "CommandIgnored", verb + " ignored: the rollout is " + st_.state + req);
      return;
    }
    (verb == "promote" ? promote_ : promoteFull_) = true;
    promoteReq_ = req;
  } else if (verb == "abort") {
    if (st_.state == "RolledBack" && st_.rollback && st_.rollback->reason == "Aborted") {
      event("Normal", "CommandIgnored", "abort ignored: already aborted" + req);
      return;
    }
    std::string msg = "aborted by command: every flag is back to its default" + req;
    st_.rollback = RollbackInfo{st_.phase, "Aborted", msg, nowStr_};
    if (PhaseStatus* ps = st_.phaseStatus(st_.phase); ps && ps->state == "Progressing") ps->state = "RolledBack";
    st_.operatorPaused = false;
    st_.pausedAt.reset();
    st_.stepStartedAt.reset();
    st_.gateCheck.reset();
    transition("RolledBack", "Aborted", msg, "Warning");
  } else if (verb == "retry" || verb == "retry-force") {
    if (st_.state != "RolledBack") {
      event("Normal", "CommandIgnored", verb + " ignored: the rollout is " + st_.state + ", not RolledBack" + req);
      return;
    }
    retry_ = true;
    retryForce_ = verb == "retry-force";
    retryWhy_ = (retryForce_ ? "retry --force requested" : "retry requested") + req;
  } else {
    event("Warning", "UnknownCommand",
          "unknown command \"" + verb + "\" in annotation " + names::kCommandAnnotation +
              ": use resume, promote, promote-full, abort, retry or retry-force" + req);
  }
}

// Asks the gate provider for the phase's gates; results taken after `since` count.
void Planner::requestGates(const Phase& p, TimePoint since) {
  GateRequest req;
  req.nameSpace = ns_;
  for (const auto& g : p.gates)
    if (const Gate* gate = spec_.gate(g)) req.gates.push_back(*gate);
  req.prometheus = spec_.prometheus;
  req.interval = spec_.analysisInterval;
  req.since = since;
  out_.gateRequest = req;
}

Verdict Planner::judgeGates(const Phase& p, TimePoint since) {
  Verdict worst;
  worst.kind = Verdict::Pass;
  int passed = 0;
  auto consider = [&](Verdict v) {
    if (v.kind > worst.kind) worst = std::move(v);
  };
  st_.gates.clear();
  for (const auto& gname : p.gates) {
    const Gate* g = spec_.gate(gname);
    GateStatus gs{gname, g ? g->query : "", "", "", "", "", "", 0};
    auto it = std::find_if(in_.gates.begin(), in_.gates.end(), [&](const GateObservation& o) {
      // Strictly after activation: a result taken at that instant may predate the new values.
      return o.name == gname && o.evaluatedAt > since;
    });
    if (it == in_.gates.end()) {
      gs.message = (st_.gateCheck ? "waiting for the first evaluation at the current values"
                                  : "waiting for the first evaluation since the step became active");
      st_.gates.push_back(gs);
      consider({Verdict::Wait, "AwaitingEvaluation", "waiting for the first evaluation of gate " + gname, ""});
      continue;
    }
    const GateObservation& o = *it;
    gs.value = o.value ? fmtValue(*o.value) : "";
    gs.threshold = o.threshold;
    gs.result = toString(o.result);
    gs.message = o.message;
    gs.evaluatedAt = Rfc3339::format(o.evaluatedAt);
    gs.consecutivePasses = o.consecutivePasses;
    st_.gates.push_back(gs);
    const std::string onNoData = g ? g->onNoData : "hold";
    switch (o.result) {
      case GateResult::Critical:
        consider({Verdict::Critical, "GateCritical", gateText(gname, o.message), "GateCritical"});
        break;
      case GateResult::Warning:
        consider({Verdict::Warning, "GateWarning", gateText(gname, o.message), ""});
        break;
      case GateResult::Error:
        if (o.permanent)
          consider({Verdict::Stalled, "GateConfigError", gateText(gname, o.message), ""});
        else if (o.consecutiveErrors >= spec_.maxConsecutiveErrors)
          consider({Verdict::Stalled, "GateErrors",
                    "gate " + gname + " failed " + std::to_string(o.consecutiveErrors) +
                        " evaluations in a row (analysis.maxConsecutiveErrors " +
                        std::to_string(spec_.maxConsecutiveErrors) + "): " + o.message,
                    ""});
        else
          consider({Verdict::Error, "GateError", gateText(gname, o.message) + " (holding; never advancing on an error)", ""});
        break;
      case GateResult::NoData:
        if (onNoData == "fail") {
          consider({Verdict::Critical, "GateNoData", "gate " + gname + " returned no data (onNoData: fail)", "GateNoData"});
          break;
        }
        if (onNoData != "pass") {
          consider({Verdict::NoData, "GateNoData", "gate " + gname + " returned no data (onNoData: hold)", ""});
          break;
        }
        [[fallthrough]];
      case GateResult::Passed:
        if (o.consecutivePasses < spec_.consecutiveSuccesses)
          consider({Verdict::Wait, "AwaitingEvaluation",
                    "gate " + gname + " passed " + std::to_string(o.consecutivePasses) + " of " +
                        std::to_string(spec_.consecutiveSuccesses) + " required consecutive evaluations",
                    ""});
        else
          ++passed;
        break;
    }
  }
  // Summary for `kubectl get`: "2/2 Passed", or the worst results first.
  std::map<std::string, int> counts;
  for (const auto& g : st_.gates) counts[g.result.empty() ? "Pending" : g.result]++;
  if (p.gates.empty()) {
    st_.gatesSummary = "none";
  } else {
    std::string s = std::to_string(counts["Passed"]) + "/" + std::to_string(p.gates.size()) + " Passed";
    for (const char* k : {"Critical", "Warning", "Error", "NoData", "Pending"})
      if (counts[k]) s += ", " + std::to_string(counts[k]) + " " + k;
    st_.gatesSummary = s;
  }
  if (worst.kind == Verdict::Pass)
    worst.message = p.gates.empty() ? "phase " + p.name + " has no gates"
                                    : "all " + std::to_string(passed) + " gates of phase " + p.name + " passed";
  return worst;
}

// Retry (a command, or a spec change of a rolled-back rollout) restarts where RetryPlan says, so no
// flag rises by more than one step; and unless --force, only once that phase's gates have passed
// at the rolled-back values (a fresh evaluation after the request): a retry while the critical
// signal is still there exposes nobody.
void Planner::beginRetry() {
  std::vector<FlagValue> current;
  for (const auto& f : st_.flags) current.push_back({f.name, f.envVar, f.percent});
  RetryPlan rp = RetryPlan::compute(spec_, current);
  st_.operatorPaused = false;
  st_.pausedAt.reset();
  if (rp.phase < 0) {
    st_.rollback.reset();
    return succeed();
  }
  const Phase& p = spec_.phases[rp.phase];
  const auto changes = EffectiveFlags::changes(rp.before, rp.after);
  const std::string plan = "phase " + p.name + " restarts at " + std::to_string(p.steps[0].percent) + "%" +
                           (changes.empty() ? std::string() : ": " + join(changes));
  if (p.gates.empty() || retryForce_) {
    restartFrom(rp.phase, " again (" + retryWhy_ + (retryForce_ ? "; --force: gates not checked first" : "") + ")");
    return;
  }
  st_.gateCheck = GateCheck{p.name, "Retry", std::nullopt, retryWhy_};
  transition("Pending", "RetryRequested",
             "retry: the gates of phase " + p.name + " must pass at the rolled-back values before any user is exposed again; then " +
                 plan + "; " + retryWhy_);
}

void Planner::restartFrom(int idx, const std::string& why) {
  st_.rollback.reset();
  for (size_t i = static_cast<size_t>(idx); i < spec_.phases.size(); ++i)
    if (PhaseStatus* ps = st_.phaseStatus(spec_.phases[i].name)) *ps = PhaseStatus{ps->name, "Pending", "", ""};
  startPhase(idx, why, true);
}

// Gates judged before any user is exposed. Start: every gate must have been evaluated without an
// error and none may be critical (no data is fine: nobody has the flag yet). Retry: they must pass.
void Planner::checkGatesBeforeExposure() {
  const GateCheck gc = *st_.gateCheck;
  const bool retry = gc.purpose == "Retry";
  const int idx = spec_.phaseIndex(gc.phase);
  if (idx < 0) {  // the phase was removed by an edit meanwhile
    st_.gateCheck.reset();
    if (retry) {
      st_.state = "RolledBack";
      retryWhy_ = gc.request;
      return beginRetry();
    }
    int next = firstUnfinishedPhase();
    if (next < 0) return succeed();
    return startPhase(next, gc.request);
  }
  const Phase& p = spec_.phases[idx];
  st_.state = "Pending";
  auto pass = [&] {
    if (retry) restartFrom(idx, " again (" + gc.request + "; its gates passed at the rolled-back values first)");
    else startPhase(idx, gc.request, true);
  };
  if (p.gates.empty()) return pass();
  const std::string what = retry ? "retry of phase " + p.name : "phase " + p.name;
  // A retry's gates are judged at the rolled-back values as the pods have them; before a phase
  // starts nothing new is exposed, so its gates are judged at once.
  if (retry && !waiting_.empty()) {
    st_.message = what + " waits for the current values to be delivered before its gates are judged: " + waiting_;
    return;
  }
  if (!gc.since) st_.gateCheck->since = in_.now;
  const TimePoint since = *st_.gateCheck->since;
  requestGates(p, since);
  verdict_ = judgeGates(p, since);
  gatesJudged_ = true;
  const Verdict& v = verdict_;

  if (retry) {
    if (v.kind == Verdict::Pass) return pass();
    if ((v.kind == Verdict::Critical && v.reason != "GateNoData") || v.kind == Verdict::Stalled) {
      st_.gateCheck.reset();
      out_.gateRequest.reset();
      transition("RolledBack", "RetryRefused",
                 "retry refused: " + v.message + " at the rolled-back values; nobody was exposed again (" + gc.request +
                     "); fix the cause, then retry (or retry --force)",
                 "Warning");
      return;
    }
    checkStatus_ = v.kind == Verdict::Wait ? "Unknown" : "False";
    checkReason_ = v.reason;
    checkMessage_ = v.message;
    st_.message = what + ": waiting for its gates to pass at the rolled-back values before any user is exposed again: " + v.message;
    return;
  }
  std::vector<std::string> faults;
  bool pending = false, critical = false;
  for (const auto& g : st_.gates) {
    if (g.result.empty()) pending = true;
    if (g.result == "Error" || g.result == "Critical") faults.push_back(gateText(g.name, g.message));
    if (g.result == "Critical") critical = true;
  }
  if (faults.empty() && !pending) return pass();
  if (faults.empty()) {
    checkStatus_ = "Unknown", checkReason_ = "AwaitingEvaluation", checkMessage_ = v.message;
    st_.message = what + " waits for the first evaluation of its gates before any user is exposed";
    return;
  }
  checkStatus_ = "False";
  checkReason_ = v.kind == Verdict::Stalled ? v.reason : critical ? "GateCritical" : "GateError";
  checkMessage_ = what + " holds before any user is exposed: " + join(faults, "; ");
  if (v.kind == Verdict::Stalled) stalledReason_ = v.reason, stalledMessage_ = checkMessage_;
  const Condition* was = old_.condition("GatesPassing");
  if (!(old_.gateCheck && was && was->reason == checkReason_)) event("Warning", checkReason_, checkMessage_);
  st_.message = checkMessage_;
}

void Planner::rollBack(const Verdict& v) {
  const Phase& p = phase();
  Position pos{Position::Mode::RolledBack, st_.phaseIndex, st_.step};
  auto before = EffectiveFlags::at(spec_, Position{Position::Mode::InProgress, st_.phaseIndex, st_.step});
  auto after = EffectiveFlags::at(spec_, pos);
  const auto reverted = EffectiveFlags::changes(before, after);
  std::string msg = "phase " + p.name + " rolled back at " + std::to_string(p.steps[st_.step].percent) + "%: " +
                    v.message + "; reverted " + (reverted.empty() ? std::string("nothing") : join(reverted));
  st_.rollback = RollbackInfo{p.name, v.rollbackReason, msg, nowStr_};
  if (PhaseStatus* ps = st_.phaseStatus(p.name)) ps->state = "RolledBack";
  st_.stepStartedAt.reset();
  transition("RolledBack", "RolledBack", msg, "Warning");
}

void Planner::advance(bool fullPhase, const std::string& why) {
  const Phase& p = phase();
  const int last = static_cast<int>(p.steps.size()) - 1;
  if (!fullPhase && st_.step < last) {
    int from = p.steps[st_.step].percent;
    enterStep(st_.phaseIndex, st_.step + 1);
    transition("Progressing", "StepAdvanced",
               stepLabel() + " started (was " + std::to_string(from) + "%)" + why + ": " +
                   (p.enable.empty() ? std::string("no flags") : join(p.enable)) + " on for " +
                   std::to_string(p.steps[st_.step].percent) + "% of users");
    return;
  }
  PhaseStatus* ps = st_.phaseStatus(p.name);
  ps->state = "Succeeded";
  ps->completedAt = nowStr_;
  st_.state = "Progressing";
  event("Normal", "PhaseCompleted", "phase " + p.name + " completed" + why);
  int next = firstUnfinishedPhase();
  if (next < 0) return succeed();
  startPhase(next, "");
}

void Planner::progress() {
  // Paused: by spec, by the plugin's annotation, or by the operator (critical gate, rollback: manual).
  const json annotations = in_.rollout.value("/metadata/annotations"_json_pointer, json::object());
  if (spec_.paused) pausedBy_ = "spec.paused";
  else if (annotations.value(names::kPausedAnnotation, "") == "true") pausedBy_ = std::string("annotation ") + names::kPausedAnnotation;
  else if (st_.operatorPaused) pausedBy_ = "the operator (critical gate with rollback: manual; resume with kubectl featurerollout resume)";
  paused_ = !pausedBy_.empty();

  const bool checking = st_.gateCheck.has_value();
  if (st_.state != "Progressing" && st_.state != "Holding" && st_.state != "Paused" && !checking) return;

  if (paused_) {
    if (!st_.pausedAt) {
      st_.pausedAt = in_.now;
      transition("Paused", "Paused", stepLabel() + " paused by " + pausedBy_);
    } else {
      st_.state = "Paused";
    }
    st_.message = stepLabel() + ": paused by " + pausedBy_ + "; timers are frozen";
    if (promote_ || promoteFull_) event("Normal", "CommandIgnored", "promote ignored while paused: resume first" + promoteReq_);
    return;
  }
  if (st_.pausedAt) {
    auto d = in_.now - *st_.pausedAt;
    if (st_.stepEnteredAt) *st_.stepEnteredAt += d;
    if (st_.stepStartedAt) *st_.stepStartedAt += d;
    st_.pausedAt.reset();
    transition("Progressing", "Resumed",
               stepLabel() + " resumed after " + left(std::chrono::duration_cast<milliseconds>(d)) + " paused");
  }
  if (checking) return checkGatesBeforeExposure();

  const Phase& p = phase();
  const Step& step = p.steps[st_.step];
  if (promote_ || promoteFull_) {
    event("Normal", promoteFull_ ? "CommandPromoteFull" : "CommandPromote",
          std::string(promoteFull_ ? "promote-full: finishing phase " + p.name + " now"
                                   : "promote: skipping the pause and gates of " + stepLabel()) + promoteReq_);
    advance(promoteFull_, " (promoted)");
    return;
  }

  if (!st_.stepStartedAt) {
    if (waiting_.empty()) {
      st_.stepStartedAt = in_.now;
      record("Progressing", "StepActive", stepLabel() + " is active: values delivered and every target rolled out");
    } else {
      auto deadline = *st_.stepEnteredAt + spec_.progressDeadline;
      if (in_.now >= deadline) {
        stalledReason_ = "ProgressDeadlineExceeded";
        stalledMessage_ = stepLabel() + " did not become active within progressDeadline " +
                          Duration::format(spec_.progressDeadline) + ": " + waiting_;
        if (st_.state != "Holding" || !old_.condition("Stalled") || old_.condition("Stalled")->reason != stalledReason_)
          transition("Holding", stalledReason_, stalledMessage_, "Warning");
        st_.message = stalledMessage_;
      } else {
        st_.state = "Progressing";
        st_.message = stepLabel() + ": waiting for " + waiting_;
        requeue(std::chrono::duration_cast<milliseconds>(deadline - in_.now));
      }
      st_.gatesSummary = p.gates.empty() ? "none" : "0/" + std::to_string(p.gates.size()) + " Passed, waiting for rollout";
      return;
    }
  }

  if (!p.gates.empty()) requestGates(p, *st_.stepStartedAt);
  verdict_ = judgeGates(p, *st_.stepStartedAt);
  gatesJudged_ = true;

  if (verdict_.kind == Verdict::Critical) {
    if (spec_.rollback == "automatic") return rollBack(verdict_);
    st_.operatorPaused = true;
    st_.pausedAt = in_.now;
    pausedBy_ = "the operator";
    paused_ = true;
    std::string msg = stepLabel() + " paused: " + verdict_.message + " (rollback: manual; resume, abort or retry with kubectl featurerollout)";
    transition("Paused", "GateCritical", msg, "Warning");
    st_.message = msg;
    out_.gateRequest.reset();
    return;
  }

  const auto pauseEnd = *st_.stepStartedAt + step.pause;
  if (in_.now < pauseEnd) {
    auto remaining = std::chrono::duration_cast<milliseconds>(pauseEnd - in_.now);
    // The end as a timestamp (status.pauseUntil), not a countdown: status changes only when the
    // situation does, so nothing is written while a pause runs.
    st_.state = "Progressing";
    st_.message = stepLabel() + ": pausing until " + Rfc3339::format(pauseEnd) +
                  (verdict_.kind >= Verdict::NoData ? "; " + verdict_.message : std::string());
    requeue(remaining);
    if (verdict_.kind == Verdict::Stalled) stalledReason_ = verdict_.reason, stalledMessage_ = verdict_.message;
    return;
  }
  if (verdict_.kind == Verdict::Pass) {
    advance(false, "");
    return;
  }
  // Holding: the pause has passed but the gates do not allow the next step yet.
  if (verdict_.kind == Verdict::Stalled) stalledReason_ = verdict_.reason, stalledMessage_ = verdict_.message;
  std::string msg = stepLabel() + ": holding: " + verdict_.message;
  if (verdict_.kind == Verdict::Wait) {
    st_.state = "Progressing";
    st_.message = stepLabel() + ": " + verdict_.message;
    return;
  }
  // One history entry and Event per new reason, not one per evaluation (values change each time).
  bool sameReason = old_.state == "Holding" && old_.condition("GatesPassing") &&
                    old_.condition("GatesPassing")->reason == verdict_.reason;
  if (!sameReason) transition("Holding", verdict_.reason, msg, "Warning");
  st_.state = "Holding";
  st_.message = msg;
}

void Planner::finish() {
  const std::string& s = st_.state;
  const std::string g = std::to_string(generation_);
  auto set = [&](const char* type, const std::string& status, const std::string& reason, const std::string& msg) {
    st_.setCondition(type, status, reason, msg, nowStr_, generation_);
  };
  set("InvalidSpec", "False", "SpecValid", "the spec is valid (generation " + g + ")");
  if (!in_.writeError.empty() && stalledReason_.empty() && (s == "Progressing" || s == "Holding" || s == "Pending")) {
    // The values cannot be delivered (e.g. a permission missing from the operator's Role).
    stalledReason_ = "WriteFailed";
    stalledMessage_ = "cannot write the flag values: " + in_.writeError;
    st_.message = stalledMessage_;
  }
  const bool stalled = !stalledReason_.empty();
  if (s == "Succeeded") {
    st_.message = "rollout complete: " + std::to_string(spec_.phases.size()) + " phases succeeded";
    st_.gatesSummary = "done";
    set("Ready", "True", "RolloutSucceeded", st_.message);
    set("Reconciling", "False", "RolloutSucceeded", st_.message);
    set("Stalled", "False", "RolloutSucceeded", st_.message);
    set("Progressing", "False", "RolloutSucceeded", st_.message);
    set("GatesPassing", "True", "RolloutSucceeded", "every phase passed its gates");
    set("RolledBack", "False", "RolloutSucceeded", "not rolled back");
  } else if (s == "RolledBack") {
    const RollbackInfo rb = st_.rollback.value_or(RollbackInfo{st_.phase, "RolledBack", "rolled back", nowStr_});
    st_.message = rb.message + "; stays rolled back until the spec changes or kubectl featurerollout retry";
    set("Ready", "False", rb.reason, st_.message);
    set("Reconciling", "False", rb.reason, "rolled back; waiting for a spec change or a retry");
    set("Stalled", "True", rb.reason, rb.message);
    set("Progressing", "False", rb.reason, rb.message);
    set("RolledBack", "True", rb.reason, rb.message);
    if (rb.reason == "Aborted") set("GatesPassing", "Unknown", "Aborted", "aborted; no gates are evaluated");
    else set("GatesPassing", "False", rb.reason, rb.message);
    st_.gatesSummary = rb.reason;
  } else if (s == "Paused") {
    set("Ready", "False", "Paused", st_.message);
    set("Reconciling", "False", "Paused", st_.message);
    // Paused by the operator on a critical gate (rollback: manual) waits for a person: that is
    // Stalled for kstatus (Flux fails fast with the gate's message instead of timing out).
    if (st_.operatorPaused) set("Stalled", "True", "GateCritical", st_.message);
    else set("Stalled", "False", "Paused", "paused, not stalled");
    set("Progressing", "False", "Paused", st_.message);
    set("RolledBack", "False", "NotRolledBack", "not rolled back");
  } else {
    std::string reason = stalled            ? stalledReason_
                         : s == "Holding"   ? verdict_.reason
                         : st_.gateCheck    ? (checkStatus_ == "False" ? checkReason_ : std::string("AwaitingGateCheck"))
                                            : std::string("StepProgressing");
    if (reason.empty()) reason = "StepProgressing";
    set("Ready", "False", reason, st_.message);
    set("Reconciling", stalled ? "False" : "True", reason, st_.message);
    set("Stalled", stalled ? "True" : "False", stalled ? stalledReason_ : "NotStalled",
        stalled ? stalledMessage_ : "making progress");
    set("Progressing", "True", reason, st_.message);
    set("RolledBack", "False", "NotRolledBack", "not rolled back");
    if (st_.gateCheck) {
      set("GatesPassing", checkStatus_, checkReason_, checkMessage_);
    } else if (!st_.stepStartedAt) {
      set("GatesPassing", "Unknown", "AwaitingRollout", "gates are evaluated once the step is active");
    } else if (gatesJudged_) {
      if (verdict_.kind == Verdict::Pass) set("GatesPassing", "True", phase().gates.empty() ? "NoGates" : "GatesPassed", verdict_.message);
      else if (verdict_.kind == Verdict::Wait) set("GatesPassing", "Unknown", verdict_.reason, verdict_.message);
      else set("GatesPassing", "False", verdict_.reason, verdict_.message);
      // A Warning Event as soon as a gate warns, even while the pause is still running.
      const Condition* was = old_.condition("GatesPassing");
      if (verdict_.kind == Verdict::Warning && (!was || was->reason != "GateWarning") &&
          (out_.events.empty() || out_.events.back().reason != "GateWarning"))
        event("Warning", "GateWarning", verdict_.message + " (" + stepLabel() + " holds)");
    }
  }
}

Plan Planner::run() {
  const json& md = in_.rollout.value("metadata", json::object());
  ns_ = md.value("namespace", "");
  name_ = md.value("name", "");
  generation_ = md.value("generation", 0LL);
  nowStr_ = Rfc3339::format(in_.now);
  old_ = RolloutStatus::fromJson(in_.rollout.value("status", json::object()));
  st_ = old_;

  std::vector<FieldError> errors;
  auto parsed = RolloutSpec::parse(in_.rollout.value("spec", json::object()), name_, &errors);
  if (!parsed.ok()) {
    std::vector<std::string> problems;
    for (const auto& e : errors) problems.push_back(e.field + ": " + e.message);
    if (problems.empty()) problems.push_back(parsed.error().message);
    invalid(problems);
    out_.status = st_;
    return std::move(out_);
  }
  spec_ = std::move(*parsed);
  out_.configMapName = spec_.configMapName;
  st_.configMapName = spec_.configMapName;

  if (checkCluster()) {
    out_.status = st_;
    return std::move(out_);
  }

  repositionAfterEdit();
  normalize();
  handleCommand();
  if (retry_ && st_.state == "RolledBack") beginRetry();

  // Which values are delivered now, and whether the current step is active.
  Position pos;
  auto computePosition = [&] {
    if (st_.gateCheck && st_.gateCheck->purpose == "Retry" && st_.rollback) {
      // Nothing changes until the retry's gates have passed: the rolled-back values stay.
      int failed = spec_.phaseIndex(st_.rollback->phase);
      pos = {st_.rollback->reason == "Aborted" ? Position::Mode::Aborted : Position::Mode::RolledBack,
             failed >= 0 ? failed : static_cast<int>(spec_.phases.size()), 0};
    } else if (st_.gateCheck) {
      int idx = spec_.phaseIndex(st_.gateCheck->phase);
      pos = {Position::Mode::NotStarted, idx >= 0 ? idx : st_.phaseIndex, 0};
    } else if (st_.state == "Succeeded") pos = {Position::Mode::Completed, 0, 0};
    else if (st_.state == "RolledBack")
      pos = {st_.rollback && st_.rollback->reason == "Aborted" ? Position::Mode::Aborted : Position::Mode::RolledBack,
             st_.phaseIndex, st_.step};
    else pos = {Position::Mode::InProgress, st_.phaseIndex, st_.step};
  };
  auto desire = [&] {
    computePosition();
    auto values = EffectiveFlags::at(spec_, pos);
    out_.configMapData = FlagDocument::configMapData(values);
    out_.checksum = FlagDocument::checksum(out_.configMapData);
    st_.flags.clear();
    for (const auto& v : values) st_.flags.push_back({v.name, v.envVar, v.percent == 100, v.percent});
  };
  desire();
  out_.writeChildren = true;
  for (size_t i = 0; i < spec_.targets.size(); ++i) {
    const Target& t = spec_.targets[i];
    auto it = std::find_if(in_.workloads.begin(), in_.workloads.end(),
                           [&](const WorkloadView& w) { return w.kind == t.kind && w.name == t.name; });
    TargetInjection inj{t.kind, t.name, t.containers.empty() ? it->containers : t.containers};
    out_.targets.push_back(inj);
    // Delivered: the ConfigMap holds the values, the pod template carries them, pods rolled out.
    if (!waiting_.empty()) continue;
    bool hasEnv = std::all_of(inj.containers.begin(), inj.containers.end(), [&](const std::string& c) {
      return std::find(it->envFromContainers.begin(), it->envFromContainers.end(), c) != it->envFromContainers.end();
    });
    if (!in_.configMap.exists || in_.configMap.data != out_.configMapData)
      waiting_ = "ConfigMap " + spec_.configMapName + " to hold the step's values";
    else if (it->checksum != out_.checksum || !hasEnv)
      waiting_ = t.kind + " " + t.name + " to receive the flag values in its pod template";
    else if (!it->rolledOut)
      waiting_ = it->progress;
  }
  for (const auto& a : st_.appliedTargets) {
    bool still = std::any_of(spec_.targets.begin(), spec_.targets.end(),
                             [&](const Target& t) { return t.kind + "/" + t.name == a; });
    if (!still) out_.releaseTargets.push_back(a);
  }

  progress();
  desire();  // the position may have moved (advance, rollback)
  const bool inStep = !st_.gateCheck && (st_.state == "Progressing" || st_.state == "Holding" || st_.state == "Paused");
  if (inStep) {
    st_.percent = phase().steps[st_.step].percent;
  } else if (st_.state == "Succeeded") {
    st_.percent = spec_.phases.back().steps.back().percent;
  } else {
    // Rolled back or not started: the share its flags are really on for (onFailure may keep one).
    st_.percent = 0;
    if (st_.phaseIndex >= 0 && st_.phaseIndex < static_cast<int>(spec_.phases.size()))
      for (const auto& f : st_.flags)
        for (const auto& e : spec_.phases[st_.phaseIndex].enable)
          if (f.name == e) st_.percent = std::max(st_.percent, f.percent);
  }
  st_.currentStep.clear();
  if (st_.phaseIndex >= 0 && st_.phaseIndex < static_cast<int>(spec_.phases.size()) && !st_.phase.empty())
    st_.currentStep = std::to_string(st_.step + 1) + "/" + std::to_string(spec_.phases[st_.phaseIndex].steps.size());
  st_.pauseUntil.reset();
  if (inStep && st_.state != "Paused" && st_.stepStartedAt)
    st_.pauseUntil = *st_.stepStartedAt + phase().steps[st_.step].pause;
  if (st_.state != "Progressing" && st_.state != "Holding" && !(st_.gateCheck && st_.state == "Pending"))
    out_.gateRequest.reset();
  if (st_.state == "RolledBack" && !st_.rollback) st_.rollback = RollbackInfo{st_.phase, "RolledBack", "rolled back", nowStr_};
  finish();
  st_.checksum = out_.checksum;
  st_.observedGeneration = generation_;
  st_.appliedTargets.clear();
  for (const auto& t : out_.targets) st_.appliedTargets.push_back(t.kind + "/" + t.name);
  out_.status = st_;
  return std::move(out_);
}

}  // namespace

Plan RolloutPlanner::plan(const PlanInput& in) { return Planner(in).run(); }

}  // namespace fro::rollout
