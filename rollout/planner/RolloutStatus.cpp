#include "rollout/planner/RolloutStatus.h"

#include <algorithm>

#include "runtime/common/Rfc3339.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;

std::string s(const json& j, const char* k) {
  auto i = j.find(k);
  return i != j.end() && i->is_string() ? i->get<std::string>() : std::string();
}
long long n(const json& j, const char* k) {
  auto i = j.find(k);
  return i != j.end() && i->is_number() ? i->get<long long>() : 0;
}
bool b(const json& j, const char* k) {
  auto i = j.find(k);
  return i != j.end() && i->is_boolean() && i->get<bool>();
}
std::optional<TimePoint> t(const json& j, const char* k) {
  std::string v = s(j, k);
  if (v.empty()) return std::nullopt;
  return Rfc3339::parse(v);
}
const json& arr(const json& j, const char* k) {
  static const json empty = json::array();
  auto i = j.find(k);
  return i != j.end() && i->is_array() ? *i : empty;
}
void put(json& j, const char* k, const std::string& v) {
  if (!v.empty()) j[k] = v;
}
// Text fields stay under the CRD's maxLength (message 4096, others 1024).
std::string clip(const std::string& v, size_t n) { return v.size() > n ? v.substr(0, n) + "..." : v; }

}  // namespace

const Condition* RolloutStatus::condition(const std::string& type) const {
  for (const auto& c : conditions)
    if (c.type == type) return &c;
  return nullptr;
}

void RolloutStatus::setCondition(const ConditionUpdate& u, const std::string& now, std::int64_t generation) {
  for (auto& c : conditions)
    if (c.type == u.type) {
      if (c.status != u.status) c.lastTransitionTime = now;
      c.status = u.status, c.reason = u.reason, c.message = u.message, c.observedGeneration = generation;
      return;
    }
  conditions.push_back({u.type, u.status, u.reason, u.message, now, generation});
}

PhaseStatus* RolloutStatus::phaseStatus(const std::string& name) {
  for (auto& p : phases)
    if (p.name == name) return &p;
  return nullptr;
}

RolloutStatus RolloutStatus::fromJson(const json& j) {
  RolloutStatus r;
  if (!j.is_object()) return r;
  r.observedGeneration = n(j, "observedGeneration");
  r.phase = s(j, "phase");
  r.phaseIndex = static_cast<int>(n(j, "phaseIndex"));
  r.step = static_cast<int>(n(j, "step"));
  r.percent = static_cast<int>(n(j, "percent"));
  // A state this version does not know (a hand-edited status) is re-resolved from the spec.
  r.state = parseRolloutState(s(j, "state")).value_or(RolloutState::Unset);
  r.stepEnteredAt = t(j, "stepEnteredAt");
  r.stepStartedAt = t(j, "stepStartedAt");
  r.pausedAt = t(j, "pausedAt");
  r.pauseUntil = t(j, "pauseUntil");
  r.currentStep = s(j, "currentStep");
  r.transitions = n(j, "transitions");
  if (auto i = j.find("gateCheck"); i != j.end() && i->is_object())
    r.gateCheck = GateCheck{s(*i, "phase"), parseCheckPurpose(s(*i, "purpose")).value_or(CheckPurpose::Start), t(*i, "since"),
                            s(*i, "request")};
  r.operatorPaused = b(j, "operatorPaused");
  r.phaseHash = s(j, "phaseHash");
  r.lastCommand = s(j, "lastCommand");
  r.message = s(j, "message");
  r.gatesSummary = s(j, "gatesSummary");
  r.configMapName = s(j, "configMapName");
  r.checksum = s(j, "checksum");
  if (auto i = j.find("delivery"); i != j.end() && i->is_object()) {
    r.delivery.revision = n(*i, "revision");
    r.delivery.valuesChecksum = s(*i, "valuesChecksum");
    r.delivery.deliveredAt = t(*i, "deliveredAt");
    r.delivery.activeAfter = t(*i, "activeAfter");
    r.delivery.exposed = b(*i, "exposed");
    r.delivery.pendingSince = t(*i, "pendingSince");
  }
  if (auto i = j.find("rollback"); i != j.end() && i->is_object())
    r.rollback = RollbackInfo{s(*i, "phase"), s(*i, "reason"), s(*i, "message"), s(*i, "at")};
  for (const auto& v : arr(j, "appliedTargets"))
    if (v.is_string()) r.appliedTargets.push_back(v.get<std::string>());
  for (const auto& f : arr(j, "flags"))
    r.flags.push_back({s(f, "name"), s(f, "envVar"), b(f, "enabled"), static_cast<int>(n(f, "percent"))});
  for (const auto& g : arr(j, "gates"))
    r.gates.push_back({s(g, "name"), s(g, "query"), s(g, "value"), s(g, "threshold"), parseGateResult(s(g, "result")),
                       s(g, "message"),
                       s(g, "evaluatedAt"), static_cast<int>(n(g, "consecutivePasses"))});
  for (const auto& h : arr(j, "history"))
    r.history.push_back({s(h, "phase"), static_cast<int>(n(h, "step")),
                         parseRolloutState(s(h, "state")).value_or(RolloutState::Unset), s(h, "reason"), s(h, "message"),
                         s(h, "at"), n(h, "seq"), parseEventType(s(h, "eventType")).value_or(EventType::None)});
  for (const auto& p : arr(j, "phases"))
    r.phases.push_back({s(p, "name"), parsePhaseState(s(p, "state")).value_or(PhaseState::Pending), s(p, "startedAt"),
                        s(p, "completedAt")});
  for (const auto& c : arr(j, "conditions"))
    r.conditions.push_back({s(c, "type"), parseConditionStatus(s(c, "status")).value_or(ConditionStatus::Unknown), s(c, "reason"), s(c, "message"), s(c, "lastTransitionTime"),
                            n(c, "observedGeneration")});
  return r;
}

json RolloutStatus::toJson() const {
  json j = json::object();
  j["observedGeneration"] = observedGeneration;
  put(j, "phase", phase);
  j["phaseIndex"] = phaseIndex;
  j["step"] = step;
  j["percent"] = percent;
  put(j, "state", toString(state));
  if (stepEnteredAt) j["stepEnteredAt"] = Rfc3339::formatMicro(*stepEnteredAt);
  if (stepStartedAt) j["stepStartedAt"] = Rfc3339::formatMicro(*stepStartedAt);
  if (pausedAt) j["pausedAt"] = Rfc3339::formatMicro(*pausedAt);
  if (pauseUntil) j["pauseUntil"] = Rfc3339::formatMicro(*pauseUntil);
  put(j, "currentStep", currentStep);
  if (transitions) j["transitions"] = transitions;
  if (gateCheck) {
    json gc = json::object();
    put(gc, "phase", gateCheck->phase);
    put(gc, "purpose", toString(gateCheck->purpose));
    if (gateCheck->since) gc["since"] = Rfc3339::formatMicro(*gateCheck->since);
    put(gc, "request", gateCheck->request);
    j["gateCheck"] = gc;
  }
  if (operatorPaused) j["operatorPaused"] = true;
  put(j, "phaseHash", phaseHash);
  put(j, "lastCommand", lastCommand);
  put(j, "message", clip(message, 4000));
  put(j, "gatesSummary", gatesSummary);
  put(j, "configMapName", configMapName);
  put(j, "checksum", checksum);
  if (delivery.revision > 0) {
    json d = {{"revision", delivery.revision}};
    put(d, "valuesChecksum", delivery.valuesChecksum);
    if (delivery.deliveredAt) d["deliveredAt"] = Rfc3339::formatMicro(*delivery.deliveredAt);
    if (delivery.activeAfter) d["activeAfter"] = Rfc3339::formatMicro(*delivery.activeAfter);
    if (delivery.exposed) d["exposed"] = true;
    if (delivery.pendingSince) d["pendingSince"] = Rfc3339::formatMicro(*delivery.pendingSince);
    j["delivery"] = d;
  }
  if (rollback) {
    json rb = json::object();
    put(rb, "phase", rollback->phase);
    put(rb, "reason", rollback->reason);
    put(rb, "message", rollback->message);
    put(rb, "at", rollback->at);
    j["rollback"] = rb;
  }
  if (!appliedTargets.empty()) j["appliedTargets"] = appliedTargets;
  json fl = json::array();
  for (const auto& f : flags) fl.push_back({{"name", f.name}, {"envVar", f.envVar}, {"enabled", f.enabled}, {"percent", f.percent}});
  j["flags"] = fl;
  json gs = json::array();
  for (const auto& g : gates) {
    json o = {{"name", g.name}};
    put(o, "query", g.query);
    put(o, "value", g.value);
    put(o, "threshold", g.threshold);
    if (g.result) o["result"] = toString(*g.result);
    put(o, "message", clip(g.message, 1000));
    put(o, "evaluatedAt", g.evaluatedAt);
    o["consecutivePasses"] = g.consecutivePasses;
    gs.push_back(o);
  }
  j["gates"] = gs;
  json hs = json::array();
  size_t first = history.size() > kMaxHistory ? history.size() - kMaxHistory : 0;
  for (size_t i = first; i < history.size(); ++i) {
    const auto& h = history[i];
    json o = {{"phase", h.phase}, {"step", h.step}};
    put(o, "state", toString(h.state));
    put(o, "reason", h.reason);
    put(o, "message", clip(h.message, 1000));
    put(o, "at", h.at);
    if (h.seq) o["seq"] = h.seq;
    put(o, "eventType", toString(h.eventType));
    hs.push_back(o);
  }
  j["history"] = hs;
  json ps = json::array();
  for (const auto& p : phases) {
    json o = {{"name", p.name}};
    put(o, "state", toString(p.state));
    put(o, "startedAt", p.startedAt);
    put(o, "completedAt", p.completedAt);
    ps.push_back(o);
  }
  j["phases"] = ps;
  json cs = json::array();
  for (const auto& c : conditions)
    cs.push_back({{"type", c.type}, {"status", toString(c.status)}, {"reason", c.reason}, {"message", c.message},
                  {"lastTransitionTime", c.lastTransitionTime}, {"observedGeneration", c.observedGeneration}});
  j["conditions"] = cs;
  return j;
}

}  // namespace fro::rollout
