#include "rollout/planner/RolloutSpec.h"

#include <cstdio>
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "runtime/common/Duration.h"
#include "runtime/common/JsonExcerpt.h"
#include "rollout/planner/NameSyntax.h"

namespace fro::rollout {

using nlohmann::json;

namespace {

// Thresholds as people write them: 0.05, not 0.050000.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Collects every problem with its field path while reading loosely typed JSON.
class Reader {
 public:
  std::vector<FieldError> errors;

  void fail(const std::string& field, const std::string& msg) { errors.push_back({field, msg}); }

  std::string str(const json& o, const char* key, const std::string& path, bool required, const std::string& def = {}) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) {
      if (required) fail(path + "." + key, "Required value");
      return def;
    }
    if (!it->is_string()) {
      fail(path + "." + key, "must be a string, got " + JsonExcerpt::of(*it));
      return def;
    }
    return it->get<std::string>();
  }
  bool boolean(const json& o, const char* key, const std::string& path, bool def) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return def;
    if (!it->is_boolean()) {
      fail(path + "." + key, "must be true or false, got " + JsonExcerpt::of(*it));
      return def;
    }
    return it->get<bool>();
  }
  std::optional<double> number(const json& o, const char* key, const std::string& path) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return std::nullopt;
    if (!it->is_number()) {
      fail(path + "." + key, "must be a number, got " + JsonExcerpt::of(*it));
      return std::nullopt;
    }
    return it->get<double>();
  }
  int integer(const json& o, const char* key, const std::string& path, int def, int lo, int hi) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return def;
    if (!it->is_number_integer()) {
      fail(path + "." + key, "must be an integer, got " + JsonExcerpt::of(*it));
      return def;
    }
    auto v = it->get<long long>();
    if (v < lo || v > hi) {
      fail(path + "." + key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                                 std::to_string(v));
      return def;
    }
    return static_cast<int>(v);
  }
  std::chrono::milliseconds duration(const json& o, const char* key, const std::string& path,
                                     std::chrono::milliseconds def) {
    std::string s = str(o, key, path, false);
    if (s.empty()) return def;
    auto d = Duration::parse(s);
    if (!d.ok()) {
      // The grammar says what is wrong; the field error names the value and shows the form.
      fail(path + "." + key, fmt::format("Invalid value: \"{}\": {} (examples: 30s, 5m, 1h30m, 250ms)", s, d.error().message));
      return def;
    }
    return *d;
  }
  const json& array(const json& o, const char* key, const std::string& path, bool required) {
    static const json empty = json::array();
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) {
      if (required) fail(path + "." + key, "Required value: at least one item");
      return empty;
    }
    if (!it->is_array()) {
      fail(path + "." + key, "must be a list");
      return empty;
    }
    if (required && it->empty()) fail(path + "." + key, "Required value: at least one item");
    return *it;
  }
  std::vector<std::string> strings(const json& o, const char* key, const std::string& path) {
    std::vector<std::string> out;
    const json& a = array(o, key, path, false);
    for (size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_string()) fail(path + "." + key + "[" + std::to_string(i) + "]", "must be a string");
      else out.push_back(a[i].get<std::string>());
    }
    return out;
  }
  Threshold threshold(const json& o, const char* key, const std::string& path) {
    Threshold t;
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return t;
    if (!it->is_object()) {
      fail(path + "." + key, "must be an object with above and/or below");
      return t;
    }
    t.above = number(*it, "above", path + "." + key);
    t.below = number(*it, "below", path + "." + key);
    if (!t.set()) fail(path + "." + key, "must set above or below");
    // Both set: the healthy band is [below, above]; an empty band would breach on every value.
    if (t.above && t.below && !(*t.below < *t.above))
      fail(path + "." + key, "below (" + num(*t.below) + ") must be less than above (" + num(*t.above) + ")");
    return t;
  }
  std::optional<SecretKeyRef> secretRef(const json& o, const char* key, const std::string& path) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return std::nullopt;
    std::string p = path + "." + key;
    if (!it->is_object()) {
      fail(p, "must be an object with name and key");
      return std::nullopt;
    }
    return SecretKeyRef{str(*it, "name", p, true), str(*it, "key", p, true)};
  }
};


std::string idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }


Delivery parseDelivery(Reader& r, const json& spec, std::chrono::milliseconds progressDeadline) {
  Delivery d;
  auto it = spec.find("delivery");
  if (it == spec.end() || it->is_null()) return d;
  if (!it->is_object()) {
    r.fail("spec.delivery", "must be an object with file, env and propagation, got " + JsonExcerpt::of(*it));
    return d;
  }
  const json& del = *it;
  auto section = [&](const char* key) -> const json& {
    static const json empty = json::object();
    auto s = del.find(key);
    if (s == del.end() || s->is_null()) return empty;
    if (!s->is_object()) {
      r.fail(std::string("spec.delivery.") + key, "must be an object, got " + JsonExcerpt::of(*s));
      return empty;
    }
    return *s;
  };
  const json& file = section("file");
  d.file = r.boolean(file, "enabled", "spec.delivery.file", true);
  d.mountPath = r.str(file, "mountPath", "spec.delivery.file", false, d.mountPath);
  if (!NameSyntax::mountPath(d.mountPath) || d.mountPath.find("/../") != std::string::npos ||
      d.mountPath.ends_with("/..") || d.mountPath.size() > 200)
    r.fail("spec.delivery.file.mountPath",
           "Invalid value: \"" + d.mountPath + "\": must be an absolute directory path without '..' (e.g. /etc/feature-flags)");
  while (d.mountPath.size() > 1 && d.mountPath.back() == '/') d.mountPath.pop_back();
  d.volumeName = r.str(file, "volumeName", "spec.delivery.file", false, d.volumeName);
  if (!NameSyntax::dnsLabel(d.volumeName))
    r.fail("spec.delivery.file.volumeName", "Invalid value: \"" + d.volumeName + "\": must be a lowercase DNS label");
  const json& env = section("env");
  const std::string restart = r.str(env, "restartOn", "spec.delivery.env", false, "BooleanChange");
  if (auto p = parseRestartOn(restart)) d.restartOn = *p;
  else
    r.fail("spec.delivery.env.restartOn",
           "Unsupported value: \"" + restart + "\": supported values: Never, BooleanChange, EveryChange");
  if (!d.file && !d.env())
    r.fail("spec.delivery", "nothing would deliver the values: file.enabled is false and env.restartOn is Never");
  const json& prop = section("propagation");
  d.allowance = r.duration(prop, "allowance", "spec.delivery.propagation", d.allowance);
  d.exposureQuery = r.str(prop, "exposureQuery", "spec.delivery.propagation", false);
  if (d.file && d.allowance >= progressDeadline)
    r.fail("spec.delivery.propagation.allowance",
           fmt::format("Invalid value: \"{}\": must be shorter than spec.progressDeadline ({}), or every step stalls",
                       Duration::format(d.allowance), Duration::format(progressDeadline)));
  return d;
}

}  // namespace

std::string Delivery::flagFilePath() const { return mountPath + "/flags.flagd.json"; }

const Flag* RolloutSpec::flag(const std::string& n) const {
  for (auto& f : flags)
    if (f.name == n) return &f;
  return nullptr;
}
const Gate* RolloutSpec::gate(const std::string& n) const {
  for (auto& g : gates)
    if (g.name == n) return &g;
  return nullptr;
}
int RolloutSpec::phaseIndex(const std::string& n) const {
  for (size_t i = 0; i < phases.size(); ++i)
    if (phases[i].name == n) return static_cast<int>(i);
  return -1;
}

std::string RolloutSpec::configMapNameOf(const json& spec, const std::string& name) {
  if (spec.is_object())
    if (auto i = spec.find("configMapName"); i != spec.end() && i->is_string() && !i->get<std::string>().empty())
      return i->get<std::string>();
  return name + "-flags";
}

Result<RolloutSpec> RolloutSpec::parse(const json& spec, const std::string& name, std::vector<FieldError>* errorsOut) {
  Reader r;
  RolloutSpec s;
  if (!spec.is_object()) {
    r.fail("spec", "Required value");
  } else {
    const json& targets = r.array(spec, "targets", "spec", true);
    std::set<std::string> targetKeys;
    for (size_t i = 0; i < targets.size(); ++i) {
      std::string p = idx("spec.targets", i);
      Target t{r.str(targets[i], "kind", p, true), r.str(targets[i], "name", p, true), r.strings(targets[i], "containers", p)};
      if (!t.kind.empty() && t.kind != "Deployment" && t.kind != "StatefulSet" && t.kind != "DaemonSet")
        r.fail(p + ".kind", "Unsupported value: \"" + t.kind + "\": supported values: Deployment, StatefulSet, DaemonSet");
      if (!targetKeys.insert(t.kind + "/" + t.name).second)
        r.fail(p, "Duplicate value: " + t.kind + " \"" + t.name + "\" is already a target");
      s.targets.push_back(std::move(t));
    }
    s.configMapName = r.str(spec, "configMapName", "spec", false);
    if (s.configMapName.empty()) {
      // Derived from metadata.name (a DNS subdomain, so dots are fine); only the length can break.
      s.configMapName = configMapNameOf(json::object(), name);
      if (s.configMapName.size() > 253)
        r.fail("spec.configMapName", "Required value: the default \"<name>-flags\" is longer than 253 characters");
    } else if (!NameSyntax::dnsLabel(s.configMapName) || s.configMapName.size() > 63) {
      r.fail("spec.configMapName", "Invalid value: \"" + s.configMapName + "\": must be a lowercase DNS label");
    }

    const json& flags = r.array(spec, "flags", "spec", true);
    std::set<std::string> flagNames, envVars;
    for (size_t i = 0; i < flags.size(); ++i) {
      std::string p = idx("spec.flags", i);
      Flag f{r.str(flags[i], "name", p, true), r.str(flags[i], "envVar", p, true),
             r.boolean(flags[i], "default", p, false), r.str(flags[i], "description", p, false)};
      if (!f.name.empty() && !NameSyntax::flagName(f.name))
        r.fail(p + ".name", "Invalid value: \"" + f.name + "\": letters, digits, '-', '_' and '.' only");
      if (!f.envVar.empty() && !NameSyntax::envVar(f.envVar))
        r.fail(p + ".envVar", "Invalid value: \"" + f.envVar + "\": must be a valid environment variable name");
      if (!f.name.empty() && !flagNames.insert(f.name).second)
        r.fail(p + ".name", "Duplicate value: flag \"" + f.name + "\" is declared twice");
      if (!f.envVar.empty() && !envVars.insert(f.envVar).second)
        r.fail(p + ".envVar", "Duplicate value: env var \"" + f.envVar + "\" is used by two flags");
      s.flags.push_back(std::move(f));
    }
    // <ENV>_PERCENT keys share the ConfigMap with <ENV>: one flag's percent key must not be another's.
    for (size_t i = 0; i < s.flags.size(); ++i)
      if (envVars.count(s.flags[i].envVar + "_PERCENT"))
        r.fail(idx("spec.flags", i) + ".envVar", "Invalid value: \"" + s.flags[i].envVar + "_PERCENT\" is already another flag's envVar");

    if (auto p = spec.find("prometheus"); p != spec.end() && p->is_object()) {
      s.prometheus.address = r.str(*p, "address", "spec.prometheus", false);
      if (!s.prometheus.address.empty() && s.prometheus.address.rfind("http://", 0) != 0 &&
          s.prometheus.address.rfind("https://", 0) != 0)
        r.fail("spec.prometheus.address", "Invalid value: \"" + s.prometheus.address + "\": must start with http:// or https://");
      s.prometheus.timeout = r.duration(*p, "timeout", "spec.prometheus", s.prometheus.timeout);
      s.prometheus.bearerTokenSecretRef = r.secretRef(*p, "bearerTokenSecretRef", "spec.prometheus");
      s.prometheus.caSecretRef = r.secretRef(*p, "caSecretRef", "spec.prometheus");
    }

    std::set<std::string> gateNames;
    if (auto a = spec.find("analysis"); a != spec.end() && a->is_object()) {
      s.analysisInterval = r.duration(*a, "interval", "spec.analysis", s.analysisInterval);
      if (s.analysisInterval < std::chrono::seconds(1))
        r.fail("spec.analysis.interval", "Invalid value: \"" + Duration::format(s.analysisInterval) + "\": must be at least 1s");
      s.consecutiveSuccesses = r.integer(*a, "consecutiveSuccesses", "spec.analysis", 1, 1, 10);
      s.maxConsecutiveErrors = r.integer(*a, "maxConsecutiveErrors", "spec.analysis", 5, 1, 1000);
      const json& gates = r.array(*a, "gates", "spec.analysis", false);
      for (size_t i = 0; i < gates.size(); ++i) {
        std::string p = idx("spec.analysis.gates", i);
        Gate g;
        g.name = r.str(gates[i], "name", p, true);
        if (!g.name.empty() && !NameSyntax::dnsLabel(g.name))
          r.fail(p + ".name", "Invalid value: \"" + g.name + "\": must be a lowercase DNS label");
        g.query = r.str(gates[i], "query", p, true);
        g.warning = r.threshold(gates[i], "warning", p);
        g.critical = r.threshold(gates[i], "critical", p);
        const std::string onNoData = r.str(gates[i], "onNoData", p, false, "hold");
        if (auto o = parseOnNoData(onNoData)) g.onNoData = *o;
        else r.fail(p + ".onNoData", "Unsupported value: \"" + onNoData + "\": supported values: hold, pass, fail");
        if (!g.warning.set() && !g.critical.set())
          r.fail(p, "gate \"" + g.name + "\" needs a warning or a critical threshold");
        // The warning must trip before the critical one: otherwise the warning never holds the
        // rollout before it is rolled back (or it warns about values that are already critical).
        if (g.warning.above && g.critical.above && !(*g.warning.above < *g.critical.above))
          r.fail(p + ".warning.above", "Invalid value: " + num(*g.warning.above) + ": gate \"" + g.name +
                                           "\": the warning threshold must be less than critical.above (" +
                                           num(*g.critical.above) + "), so the rollout holds before it is rolled back");
        if (g.warning.below && g.critical.below && !(*g.warning.below > *g.critical.below))
          r.fail(p + ".warning.below", "Invalid value: " + num(*g.warning.below) + ": gate \"" + g.name +
                                           "\": the warning threshold must be greater than critical.below (" +
                                           num(*g.critical.below) + "), so the rollout holds before it is rolled back");
        if (!g.name.empty() && !gateNames.insert(g.name).second)
          r.fail(p + ".name", "Duplicate value: gate \"" + g.name + "\" is declared twice");
        s.gates.push_back(std::move(g));
      }
    }

    const std::string rollback = r.str(spec, "rollback", "spec", false, "automatic");
    if (auto p = parseRollbackPolicy(rollback)) s.rollback = *p;
    else r.fail("spec.rollback", "Unsupported value: \"" + rollback + "\": supported values: automatic, manual");
    s.paused = r.boolean(spec, "paused", "spec", false);
    s.progressDeadline = r.duration(spec, "progressDeadline", "spec", s.progressDeadline);
    s.delivery = parseDelivery(r, spec, s.progressDeadline);

    const json& phases = r.array(spec, "phases", "spec", true);
    std::set<std::string> phaseNames;
    std::map<std::string, std::string> enabledBy;
    for (size_t i = 0; i < phases.size(); ++i) {
      std::string p = idx("spec.phases", i);
      const json& ph = phases[i];
      Phase phase;
      phase.name = r.str(ph, "name", p, true);
      if (!phase.name.empty() && !NameSyntax::dnsLabel(phase.name))
        r.fail(p + ".name", "Invalid value: \"" + phase.name + "\": must be a lowercase DNS label");
      if (!phase.name.empty() && !phaseNames.insert(phase.name).second)
        r.fail(p + ".name", "Duplicate value: phase \"" + phase.name + "\" is declared twice");
      phase.enable = r.strings(ph, "enable", p);
      phase.disable = r.strings(ph, "disable", p);
      phase.gates = r.strings(ph, "gates", p);
      auto checkFlags = [&](const std::vector<std::string>& names, const std::string& field) {
        for (size_t k = 0; k < names.size(); ++k)
          if (!flagNames.count(names[k]))
            r.fail(idx(field, k), "Invalid value: \"" + names[k] + "\": not a flag declared in spec.flags");
      };
      checkFlags(phase.enable, p + ".enable");
      checkFlags(phase.disable, p + ".disable");
      for (auto& f : phase.disable)
        if (std::find(phase.enable.begin(), phase.enable.end(), f) != phase.enable.end())
          r.fail(p + ".disable", "Invalid value: \"" + f + "\": the phase both enables and disables it");
      if (phase.enable.empty() && phase.disable.empty()) r.fail(p, "phase \"" + phase.name + "\" must enable or disable at least one flag");
      for (auto& f : phase.enable) {
        auto [it, fresh] = enabledBy.emplace(f, phase.name);
        if (!fresh) r.fail(p + ".enable", "Invalid value: \"" + f + "\": already enabled by phase \"" + it->second + "\"");
      }
      for (size_t k = 0; k < phase.gates.size(); ++k)
        if (!gateNames.count(phase.gates[k]))
          r.fail(idx(p + ".gates", k), "Invalid value: \"" + phase.gates[k] + "\": not a gate declared in spec.analysis.gates");
      const json& steps = r.array(ph, "steps", p, true);
      int prev = 0;
      for (size_t k = 0; k < steps.size(); ++k) {
        std::string sp = idx(p + ".steps", k);
        Step st;
        if (!steps[k].is_object() || !steps[k].contains("percent")) r.fail(sp + ".percent", "Required value");
        st.percent = r.integer(steps[k], "percent", sp, 100, 1, 100);
        st.pause = r.duration(steps[k], "pause", sp, std::chrono::milliseconds(0));
        if (st.percent < prev)
          r.fail(sp + ".percent", "Invalid value: " + std::to_string(st.percent) + ": must not be below the previous step's " +
                                      std::to_string(prev));
        prev = st.percent;
        phase.steps.push_back(st);
      }
      if (auto of = ph.find("onFailure"); of != ph.end() && of->is_object()) {
        FailureAction fa{r.strings(*of, "disable", p + ".onFailure"), r.strings(*of, "enable", p + ".onFailure")};
        checkFlags(fa.disable, p + ".onFailure.disable");
        checkFlags(fa.enable, p + ".onFailure.enable");
        phase.onFailure = std::move(fa);
      }
      s.phases.push_back(std::move(phase));
    }
  }
  if (errorsOut) *errorsOut = r.errors;
  if (!r.errors.empty()) {
    std::string msg;
    for (auto& e : r.errors) msg += (msg.empty() ? "" : "; ") + e.field + ": " + e.message;
    return Error::of(msg, 0, "InvalidSpec");
  }
  return s;
}

}  // namespace fro::rollout
