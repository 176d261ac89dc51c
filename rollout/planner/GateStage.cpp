#include "rollout/planner/GateStage.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "runtime/common/NumberText.h"
#include "runtime/common/Rfc3339.h"

namespace fro::rollout {

std::string GateStage::gateText(const std::string& gate, const std::string& message) {
  if (message.rfind(gate + " ", 0) == 0 || message.rfind(gate + ": ", 0) == 0) return "gate " + message;
  return fmt::format("gate {}: {}", gate, message);
}

void GateStage::request(PlanContext& c, const Phase& p, TimePoint since) {
  GateRequest req;
  req.nameSpace = c.rollout.nameSpace;
  for (const auto& g : p.gates)
    if (const Gate* gate = c.spec.gate(g)) req.gates.push_back(*gate);
  req.prometheus = c.spec.prometheus;
  req.interval = c.spec.analysisInterval;
  req.since = since;
  c.out.gateRequest = req;
}

Verdict GateStage::judge(PlanContext& c, const Phase& p, TimePoint since) {
  using K = Verdict::Kind;
  const RolloutSpec& spec = c.spec;
  Verdict worst;
  int passed = 0;
  auto consider = [&](Verdict v) {
    if (v.kind > worst.kind) worst = std::move(v);
  };
  c.st.gates.clear();
  for (const auto& name : p.gates) {
    const Gate* g = spec.gate(name);
    GateStatus gs{name, g ? g->query : "", "", "", std::nullopt, "", "", 0};
    auto it = std::find_if(c.in.gates.begin(), c.in.gates.end(), [&](const GateObservation& o) {
      // Strictly after activation: a result taken at that instant may predate the new values.
      return o.name == name && o.evaluatedAt > since;
    });
    if (it == c.in.gates.end()) {
      gs.message = c.st.gateCheck ? "waiting for the first evaluation at the current values"
                                  : "waiting for the first evaluation since the step became active";
      c.st.gates.push_back(gs);
      consider({K::Wait, "AwaitingEvaluation", "waiting for the first evaluation of gate " + name, ""});
      continue;
    }
    const GateObservation& o = *it;
    gs.value = o.value ? numberText(*o.value) : "";
    gs.threshold = o.threshold;
    gs.result = o.result;
    gs.message = o.message;
    gs.evaluatedAt = Rfc3339::format(o.evaluatedAt);
    gs.consecutivePasses = o.consecutivePasses;
    c.st.gates.push_back(gs);
    const OnNoData onNoData = g ? g->onNoData : OnNoData::Hold;
    switch (o.result) {
      case GateResult::Critical:
        consider({K::Critical, "GateCritical", gateText(name, o.message), "GateCritical"});
        break;
      case GateResult::Warning:
        consider({K::Warning, "GateWarning", gateText(name, o.message), ""});
        break;
      case GateResult::Error:
        if (o.permanent)
          consider({K::Stalled, "GateConfigError", gateText(name, o.message), ""});
        else if (o.consecutiveErrors >= spec.maxConsecutiveErrors)
          consider({K::Stalled, "GateErrors",
                    fmt::format("gate {} failed {} evaluations in a row (analysis.maxConsecutiveErrors {}): {}", name,
                                o.consecutiveErrors, spec.maxConsecutiveErrors, o.message),
                    ""});
        else
          consider({K::Error, "GateError", gateText(name, o.message) + " (holding; never advancing on an error)", ""});
        break;
      case GateResult::NoData:
        if (onNoData == OnNoData::Fail) {
          consider({K::Critical, "GateNoData", fmt::format("gate {} returned no data (onNoData: fail)", name), "GateNoData"});
          break;
        }
        if (onNoData == OnNoData::Hold) {
          consider({K::NoData, "GateNoData", fmt::format("gate {} returned no data (onNoData: hold)", name), ""});
          break;
        }
        [[fallthrough]];
      case GateResult::Passed:
        if (o.consecutivePasses < spec.consecutiveSuccesses)
          consider({K::Wait, "AwaitingEvaluation",
                    fmt::format("gate {} passed {} of {} required consecutive evaluations", name, o.consecutivePasses,
                                spec.consecutiveSuccesses),
                    ""});
        else
          ++passed;
        break;
    }
  }
  // Summary for `kubectl get`: "2/2 Passed", or the worst results first.
  std::map<std::string, int> counts;
  for (const auto& g : c.st.gates) counts[g.result ? toString(*g.result) : "Pending"]++;
  if (p.gates.empty()) {
    c.st.gatesSummary = "none";
  } else {
    std::string s = fmt::format("{}/{} Passed", counts["Passed"], p.gates.size());
    for (const char* k : {"Critical", "Warning", "Error", "NoData", "Pending"})
      if (counts[k]) s += fmt::format(", {} {}", counts[k], k);
    c.st.gatesSummary = s;
  }
  if (worst.kind == K::Pass)
    worst.message = p.gates.empty() ? fmt::format("phase {} has no gates", p.name)
                                    : fmt::format("all {} gates of phase {} passed", passed, p.name);
  return worst;
}

}  // namespace fro::rollout
