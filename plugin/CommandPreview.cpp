#include "plugin/CommandPreview.h"

#include <fmt/format.h>

#include "plugin/JsonField.h"
#include "rollout/planner/EffectiveFlags.h"
#include "rollout/planner/RetryPlan.h"
#include "rollout/planner/RolloutSpec.h"

namespace fro::plugin {

using nlohmann::json;
using rollout::EffectiveFlags;
using rollout::FlagValue;
using rollout::Position;

namespace {

std::string str(const json& o, const char* key) { return JsonField::text(o, key); }
int integer(const json& o, const char* key, int def) { return JsonField::integer(o, key, def); }
std::string pct(int p) { return fmt::format("{}%", p); }

// "search 0% -> 10%, write 0% -> 10%": the flags whose percent differs, in spec order.
std::string changes(const std::vector<FlagValue>& before, const std::vector<FlagValue>& after) {
  std::string out;
  for (const auto& c : EffectiveFlags::changes(before, after)) out += (out.empty() ? "" : ", ") + c;
  return out.empty() ? "no flag changes" : out;
}

std::string stepOf(const rollout::Phase& p, int step) {
  return fmt::format("step {}/{} ({}%)", step + 1, p.steps.size(), p.steps[step].percent);
}

}  // namespace

std::string CommandPreview::describe(Verb verb, const json& obj) {
  const bool retry = verb == Verb::Retry || verb == Verb::RetryForce;
  if (!retry && verb != Verb::Promote && verb != Verb::PromoteFull) return {};
  if (!obj.is_object() || !obj.value("spec", json()).is_object()) return {};
  const std::string name = str(obj.value("metadata", json::object()), "name");
  auto parsed = rollout::RolloutSpec::parse(obj["spec"], name.empty() ? "x" : name);
  if (!parsed.ok()) return {};  // the operator reports InvalidSpec and changes nothing
  const rollout::RolloutSpec& spec = *parsed;
  const json st = obj.value("status", json::object());
  const std::string state = str(st, "state");

  if (retry) {
    if (state != "RolledBack") return {};
    std::vector<FlagValue> current;
    if (st.is_object() && st.value("flags", json()).is_array())
      for (const auto& f : st["flags"])
        if (!str(f, "name").empty()) current.push_back({str(f, "name"), str(f, "envVar"), integer(f, "percent", 0)});
    auto plan = rollout::RetryPlan::compute(spec, current);
    if (plan.phase < 0) return "retry: every phase's flags are already at their final values; nothing to turn on";
    const rollout::Phase& p = spec.phases[plan.phase];
    const std::string word = verb == Verb::RetryForce ? "retry --force" : "retry";
    const std::string gates =
        p.gates.empty()              ? fmt::format("; phase {} has no gates", p.name)
        : verb == Verb::RetryForce ? fmt::format("; --force: the gates of phase {} are not checked first", p.name)
                                   : fmt::format("; gates of phase {} are checked at today's values first", p.name);
    return fmt::format("{} restarts phase {} at {}: {}{}", word, p.name, pct(p.steps.front().percent),
                       changes(plan.before, plan.after), gates);
  }

  // promote acts on a rollout that is progressing or holding (paused: ignored until resume).
  if (state != "Progressing" && state != "Holding") return {};
  int pi = spec.phaseIndex(str(st, "phase"));
  if (pi < 0) return {};
  const rollout::Phase& p = spec.phases[pi];
  const int step = integer(st, "step", -1);
  if (step < 0 || step >= static_cast<int>(p.steps.size())) return {};
  const auto from = EffectiveFlags::at(spec, Position{Position::Mode::InProgress, pi, step});
  const std::string word = verb == Verb::PromoteFull ? "promote --full" : "promote";
  if (verb == Verb::Promote && step + 1 < static_cast<int>(p.steps.size())) {
    const auto to = EffectiveFlags::at(spec, Position{Position::Mode::InProgress, pi, step + 1});
    return fmt::format("promote moves phase {} from {} to {}: {}", p.name, stepOf(p, step), stepOf(p, step + 1),
                       changes(from, to));
  }
  // The phase completes; the operator goes on with the first phase (in spec order) not yet Succeeded.
  int next = -1;
  for (size_t i = 0; i < spec.phases.size() && next < 0; ++i) {
    if (static_cast<int>(i) == pi) continue;
    std::string ps;
    if (st.value("phases", json()).is_array())
      for (const auto& e : st["phases"])
        if (str(e, "name") == spec.phases[i].name) ps = str(e, "state");
    if (ps != "Succeeded") next = static_cast<int>(i);
  }
  if (next < 0) {
    const auto to = EffectiveFlags::at(spec, Position{Position::Mode::Completed, 0, 0});
    return fmt::format("{} completes phase {}, the last one, and the rollout succeeds: {}", word, p.name, changes(from, to));
  }
  const rollout::Phase& n = spec.phases[next];
  const auto to = EffectiveFlags::at(spec, Position{Position::Mode::InProgress, next, 0});
  return fmt::format("{} completes phase {} and starts phase {} at {}: {}", word, p.name, n.name,
                     pct(n.steps.front().percent), changes(from, to));
}

}  // namespace fro::plugin
