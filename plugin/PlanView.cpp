#include "plugin/PlanView.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "runtime/common/Duration.h"
#include "runtime/common/NumberText.h"
#include "rollout/planner/EffectiveFlags.h"
#include "rollout/planner/FlagDocument.h"

namespace fro::plugin {

using rollout::EffectiveFlags;
using rollout::FlagDocument;
using rollout::FlagValue;
using rollout::Position;

namespace {

std::string threshold(const rollout::Threshold& t) {
  std::string out;
  if (t.above) out += "> " + numberText(*t.above);
  if (t.below) out += fmt::format("{}< {}", out.empty() ? "" : " or ", numberText(*t.below));
  return out;
}

std::string value(int percent) { return percent == 100 ? "true" : "false"; }

// "24h" and, from two days on, "(3d)" as well.
std::string span(std::chrono::milliseconds d) {
  std::string s = Duration::format(d);
  if (d >= std::chrono::hours(48) && d % std::chrono::hours(24) == std::chrono::milliseconds(0))
    s += fmt::format(" ({}d)", d / std::chrono::hours(24));
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string PlanView::render(const rollout::RolloutSpec& spec, const std::string& name, const std::string& ns) {
  std::ostringstream o;
  size_t nameW = 4, envW = 3;
  for (const auto& f : spec.flags) nameW = std::max(nameW, f.name.size()), envW = std::max(envW, f.envVar.size());
  size_t gateW = 4;
  for (const auto& g : spec.gates) gateW = std::max(gateW, g.name.size());

  // With file delivery every step waits for the propagation allowance before its pause starts.
  const auto& d = spec.delivery;
  const std::chrono::milliseconds allowance = d.file ? d.allowance : std::chrono::milliseconds(0);
  std::chrono::milliseconds total{0};
  size_t steps = 0;
  for (const auto& p : spec.phases) {
    steps += p.steps.size();
    for (const auto& s : p.steps) total += s.pause + allowance;
  }
  // Whether the pod template's restart checksum moves between two sets of values.
  auto restarts = [&](const std::vector<FlagValue>& before, const std::vector<FlagValue>& after) {
    return FlagDocument::restartChecksum(before, FlagDocument::configMapData(before), d.restartOn) !=
           FlagDocument::restartChecksum(after, FlagDocument::configMapData(after), d.restartOn);
  };
  auto flagLines = [&](const std::vector<FlagValue>& now, const std::vector<FlagValue>* before) {
    for (size_t i = 0; i < now.size(); ++i) {
      bool changed = before && (*before)[i].percent != now[i].percent;
      o << fmt::format("    {}{:<{}}  {:<{}}  {:>4}\n", changed ? "* " : "  ", now[i].name, nameW,
                       now[i].envVar + "=" + value(now[i].percent), envW + 6, fmt::format("{}%", now[i].percent));
    }
  };

  auto plural = [](size_t n, const char* what) { return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s"); };
  o << fmt::format("Plan of FeatureRollout {}{}\n", ns.empty() ? "" : ns + "/", name);
  o << fmt::format("  {}, {}, {}; ConfigMap {}; rollback: {}{}\n", plural(spec.flags.size(), "flag"),
                   plural(spec.phases.size(), "phase"), plural(steps, "step"), spec.configMapName, rollout::toString(spec.rollback),
                   spec.paused ? "; spec.paused: true (nothing advances until it is false)" : "");
  o << "  Delivery: "
    << (d.file ? fmt::format("file {} (flagd providers in file mode; a percent step restarts no pod){}", d.flagFilePath(),
                             d.env() ? " and " : "")
               : std::string())
    << (d.env() ? fmt::format("env (envFrom; pods restart {})", d.restartOn == rollout::RestartOn::EveryChange
                                                                      ? "at every step"
                                                                      : "when an <ENV> flips: steps marked \"restarts pods\"")
                : std::string())
    << "\n";
  if (d.file)
    o << fmt::format("  Each step is active {} after its values are in the ConfigMap{} (spec.delivery.propagation)\n",
                     Duration::format(d.allowance), d.exposureQuery.empty() ? "" : ", then once the exposure query shows them served");
  o << "  Minimum duration: " << span(total)
    << (d.file ? " (the sum of the pauses and propagation allowances; "
               : " (the sum of the pauses; ")
    << "waiting for the targets to roll out and for the gates to pass can only add to it)\n";
  o << "  Lines marked * change at that step. <ENV> is \"true\" only at 100%; <ENV>_PERCENT carries the percent.\n\n";

  // Phase -1: before the first phase, every flag has its default.
  std::vector<FlagValue> prev = EffectiveFlags::at(spec, Position{Position::Mode::InProgress, -1, 0});
  o << "Before the first phase (defaults):\n";
  flagLines(prev, nullptr);

  std::chrono::milliseconds at{0};
  for (size_t pi = 0; pi < spec.phases.size(); ++pi) {
    const auto& ph = spec.phases[pi];
    o << fmt::format("\nPhase {}/{}: {}\n", pi + 1, spec.phases.size(), ph.name);
    if (!ph.enable.empty()) o << "  enables:  " << join(ph.enable) << "\n";
    if (!ph.disable.empty()) o << "  disables: " << join(ph.disable) << " (off from the phase's first step)\n";
    if (ph.gates.empty()) {
      o << "  gates: none (each step completes when its pause has passed)\n";
    } else {
      o << fmt::format("  gates (every {}; a step completes when its pause has passed and all of them pass{}):\n",
                       Duration::format(spec.analysisInterval),
                       spec.consecutiveSuccesses > 1 ? fmt::format(" {} times in a row", spec.consecutiveSuccesses) : "");
      for (const auto& gn : ph.gates) {
        const auto* g = spec.gate(gn);
        if (!g) continue;
        std::string t;
        if (g->warning.set()) t += "warning " + threshold(g->warning) + " holds";
        if (g->critical.set())
          t += std::string(t.empty() ? "" : ", ") + "critical " + threshold(g->critical) +
               (spec.rollback == rollout::RollbackPolicy::Manual ? " pauses" : " rolls back");
        o << fmt::format("    {:<{}}  {}; no data: {}\n", g->name, gateW, t,
                         g->onNoData == rollout::OnNoData::Fail ? "fail (as critical)" : rollout::toString(g->onNoData));
      }
    }
    for (size_t si = 0; si < ph.steps.size(); ++si) {
      const auto& st = ph.steps[si];
      auto now = EffectiveFlags::at(spec, Position{Position::Mode::InProgress, static_cast<int>(pi), static_cast<int>(si)});
      at += allowance;
      o << fmt::format("  step {}/{}: {:>4}, pause {}, starts at +{} at the earliest{}\n", si + 1, ph.steps.size(),
                       fmt::format("{}%", st.percent), Duration::format(st.pause), span(at),
                       d.env() && d.restartOn != rollout::RestartOn::EveryChange && restarts(prev, now) ? ", restarts pods" : "");
      at += st.pause;
      flagLines(now, &prev);
      prev = now;
    }
    // What a rollback of this phase leaves, at whichever step it happens.
    std::vector<std::string> reverted, kept;
    for (size_t fi = 0; fi < spec.flags.size(); ++fi) {
      bool changes = false, varies = false;
      int target = -1;
      for (size_t si = 0; si < ph.steps.size(); ++si) {
        Position p{Position::Mode::InProgress, static_cast<int>(pi), static_cast<int>(si)};
        int ip = EffectiveFlags::at(spec, p)[fi].percent;
        p.mode = Position::Mode::RolledBack;
        int rb = EffectiveFlags::at(spec, p)[fi].percent;
        if (rb != ip) changes = true;
        if (target >= 0 && rb != target) varies = true;
        target = rb;
      }
      const auto& f = spec.flags[fi];
      bool ofPhase = std::count(ph.enable.begin(), ph.enable.end(), f.name) > 0;
      if (changes && !varies) reverted.push_back(fmt::format("{} -> {}% ({}={})", f.name, target, f.envVar, value(target)));
      else if (changes) reverted.push_back(f.name + " -> the step's percent");
      else if (ofPhase) kept.push_back(f.name);
    }
    o << "  rollback of this phase (on a critical gate"
      << (spec.rollback == rollout::RollbackPolicy::Manual ? "; with rollback: manual the rollout pauses first and a person decides" : "")
      << (ph.onFailure ? "; onFailure" : "; no onFailure: the phase is reverted") << "):\n";
    if (reverted.empty()) o << "    nothing changes\n";
    for (const auto& r : reverted) o << "    " << r << "\n";
    if (!kept.empty()) o << "    keeping the step's percent: " << join(kept) << "\n";
    if (pi > 0) o << "    earlier phases keep their values\n";
  }
  o << "\nDone at +" << span(total) << " at the earliest. At any point, `kubectl featurerollout abort` puts every flag back "
    << "to its default.\n";
  return o.str();
}

}  // namespace fro::plugin
