#include "plugin/StatusView.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "runtime/common/Duration.h"
#include "runtime/common/NumberText.h"
#include "runtime/common/Rfc3339.h"

namespace fro::plugin {

using nlohmann::json;

namespace {

std::string str(const json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}
int integer(const json& o, const char* key, int def = 0) {
  if (!o.is_object()) return def;
  auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<int>() : def;
}
// A gate's value: the operator writes it as text; a number (an older status) is printed the same way.
std::string gateValue(const json& o, const char* key) {
  if (o.is_object() && o.contains(key) && o[key].is_number()) return numberText(o[key].get<double>());
  return str(o, key);
}
const json& arr(const json& o, const char* key) {
  static const json empty = json::array();
  if (!o.is_object()) return empty;
  auto it = o.find(key);
  return it != o.end() && it->is_array() ? *it : empty;
}

// A table whose cells may be coloured: widths come from the plain text.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{Row{}} {
    for (auto& h : header) rows_[0].push_back({h, h});
  }
  void add(std::vector<std::pair<std::string, std::string>> cells) { rows_.push_back(std::move(cells)); }
  std::string render(const std::string& indent) const {
    std::vector<size_t> w;
    for (const auto& r : rows_)
      for (size_t i = 0; i < r.size(); ++i) {
        if (w.size() <= i) w.push_back(0);
        w[i] = std::max(w[i], r[i].first.size());
      }
    std::string out;
    for (const auto& r : rows_) {
      std::string line = indent;
      for (size_t i = 0; i < r.size(); ++i) {
        line += r[i].second;
        if (i + 1 < r.size()) line += std::string(w[i] - r[i].first.size() + 2, ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
    return out;
  }

 private:
  using Row = std::vector<std::pair<std::string, std::string>>;
  std::vector<Row> rows_;
};

std::pair<std::string, std::string> plain(const std::string& s) { return {s, s}; }
std::pair<std::string, std::string> styled(const std::string& s, const std::string& with) { return {s, with}; }

std::string shorten(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n - 3) + "..."; }

std::string oneLine(std::string s) {
  for (auto& c : s)
    if (c == '\n') c = ' ';
  return s;
}

}  // namespace

std::string StatusView::age(const std::string& t, TimePoint now) {
  auto tp = Rfc3339::parse(t);
  if (!tp) return {};
  long long s = std::chrono::duration_cast<std::chrono::seconds>(now - *tp).count();
  if (s < 0) s = 0;
  if (s < 120) return fmt::format("{}s", s);
  if (s < 7200) return fmt::format("{}m", s / 60);
  if (s < 2 * 86400) return fmt::format("{}h", s / 3600);
  return fmt::format("{}d", s / 86400);
}

std::string StatusView::summary(const json& r) {
  const json& st = r.value("status", json::object());
  const json& phases = r.is_object() && r.contains("/spec/phases"_json_pointer) ? r["spec"]["phases"] : json::array();
  std::string state = str(st, "state");
  if (state.empty()) return "no status yet (the operator has not reconciled it: is it running?)";
  std::string out = "state " + state;
  std::string phase = str(st, "phase");
  if (!phase.empty()) {
    int pi = integer(st, "phaseIndex");
    out += ", phase " + phase;
    if (phases.is_array() && !phases.empty()) out += fmt::format(" ({}/{})", pi + 1, phases.size());
    int steps = 0;
    if (phases.is_array() && pi >= 0 && pi < static_cast<int>(phases.size())) steps = static_cast<int>(arr(phases[pi], "steps").size());
    out += fmt::format(", step {}{} at {}%", integer(st, "step") + 1, steps ? fmt::format("/{}", steps) : "",
                       integer(st, "percent"));
  }
  return out;
}

std::string StatusView::render(const json& r, TimePoint now, const Style& s) {
  std::ostringstream o;
  const json& meta = r.value("metadata", json::object());
  const json& spec = r.value("spec", json::object());
  const json& st = r.value("status", json::object());
  std::string ns = str(meta, "namespace");
  o << s.bold("FeatureRollout " + (ns.empty() ? "" : ns + "/") + str(meta, "name")) << "\n";

  std::string state = str(st, "state");
  if (state.empty()) {
    o << "  No status yet: the operator has not reconciled this resource (is it running and watching namespace "
      << (ns.empty() ? "this namespace" : ns) << "?)\n";
    return o.str();
  }
  std::string line = summary(r);
  o << "  State:        " << s.state(state) << line.substr(std::string("state ").size() + state.size()) << "\n";
  if (!str(st, "message").empty()) o << "  Message:      " << oneLine(str(st, "message")) << "\n";
  int gen = integer(meta, "generation", -1), observed = integer(st, "observedGeneration", -1);
  if (gen >= 0 && observed >= 0 && gen != observed)
    o << fmt::format("  {} generation {} not yet observed (status is for generation {})\n", s.yellow("Spec changed:"), gen,
                     observed);
  const json& phases = arr(spec, "phases");
  int pi = integer(st, "phaseIndex");
  std::string started = str(st, "stepStartedAt");
  if (!started.empty()) {
    o << "  Step started: " << started << " (" << age(started, now) << " ago)";
    if (pi >= 0 && pi < static_cast<int>(phases.size())) {
      const json& steps = arr(phases[pi], "steps");
      int si = integer(st, "step");
      if (si >= 0 && si < static_cast<int>(steps.size())) {
        std::string pause = str(steps[si], "pause");
        auto d = Duration::parse(pause.empty() ? "0s" : pause);
        auto tp = Rfc3339::parse(started);
        if (d && tp && (state == "Progressing" || state == "Holding")) {
          auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*tp + *d - now);
          if (left.count() > 0)
            o << fmt::format("; pause {}, {} left", pause,
                             Duration::format(std::chrono::duration_cast<std::chrono::seconds>(left)));
          else
            o << fmt::format("; pause {} over, waiting for the gates", pause.empty() ? "0s" : pause);
        }
      }
    }
    o << "\n";
  }
  if (!str(st, "configMapName").empty()) o << "  ConfigMap:    " << str(st, "configMapName") << "\n";
  if (!str(st, "lastCommand").empty()) o << "  Last command: " << str(st, "lastCommand") << "\n";
  const json& annotations = meta.value("annotations", json::object());
  if (annotations.is_object() && annotations.value("rollouts.featureflags.dev/paused", "") == "true")
    o << "  " << s.yellow("Paused by annotation") << " rollouts.featureflags.dev/paused (kubectl featurerollout resume)\n";
  if (spec.value("paused", false) == true) o << "  " << s.yellow("Paused by spec.paused") << " (set it to false to continue)\n";

  // Phases: the spec's order, with the status of those that started.
  o << "\n" << s.bold("Phases") << "\n";
  std::vector<std::string> names;
  for (const auto& p : phases) names.push_back(str(p, "name"));
  for (const auto& p : arr(st, "phases"))
    if (std::find(names.begin(), names.end(), str(p, "name")) == names.end()) names.push_back(str(p, "name"));
  Table pt({"", "PHASE", "STATE", "STEPS", "STARTED", "COMPLETED"});
  for (size_t i = 0; i < names.size(); ++i) {
    json ps = json::object();
    for (const auto& p : arr(st, "phases"))
      if (str(p, "name") == names[i]) ps = p;
    std::string pstate = str(ps, "state");
    bool current = static_cast<int>(i) == pi && names[i] == str(st, "phase");
    if (pstate.empty()) pstate = current ? state : "Pending";
    std::string mark = pstate == "Succeeded" ? "[x]" : pstate == "RolledBack" ? "[!]" : current ? "[>]" : "[ ]";
    std::string steps;
    if (i < phases.size()) {
      const json& ss = arr(phases[i], "steps");
      for (size_t k = 0; k < ss.size(); ++k) {
        std::string pct = str(ss[k], "percent") + "%";
        if (current && static_cast<int>(k) == integer(st, "step") && pstate != "Succeeded") pct = "[" + pct + "]";
        steps += (steps.empty() ? "" : " > ") + pct;
      }
    }
    std::string startedAt = str(ps, "startedAt"), completedAt = str(ps, "completedAt");
    pt.add({styled(mark, current ? s.bold(mark) : mark), plain(names[i]), styled(pstate, s.state(pstate)), plain(steps),
            plain(startedAt.empty() ? "" : startedAt + " (" + age(startedAt, now) + " ago)"),
            plain(completedAt.empty() ? "" : completedAt)});
  }
  o << pt.render("  ");

  const json& flags = arr(st, "flags");
  if (!flags.empty()) {
    o << "\n" << s.bold("Flags") << "\n";
    Table ft({"FLAG", "ENV", "VALUE", "PERCENT"});
    for (const auto& f : flags) {
      int pct = integer(f, "percent");
      // The ConfigMap value is "true" only at 100% (docs/DESIGN.md section 3).
      std::string v = pct == 100 ? "true" : "false";
      std::string shown = pct == 100 ? s.green(v) : pct > 0 ? s.yellow(v) : v;
      ft.add({plain(str(f, "name")), plain(str(f, "envVar")), styled(v, shown), plain(fmt::format("{}%", pct))});
    }
    o << ft.render("  ");
  }

  const json& gates = arr(st, "gates");
  if (!gates.empty() || !str(st, "gatesSummary").empty()) {
    o << "\n" << s.bold("Gates") << (str(st, "gatesSummary").empty() ? "" : " (" + str(st, "gatesSummary") + ")") << "\n";
    Table gt({"GATE", "RESULT", "VALUE", "THRESHOLD", "EVALUATED"});
    for (const auto& g : gates) {
      std::string res = str(g, "result"), at = str(g, "evaluatedAt");
      std::string value = gateValue(g, "value");
      gt.add({plain(str(g, "name")), styled(res, s.state(res)), plain(value.empty() ? "-" : value), plain(str(g, "threshold")),
              plain(at.empty() ? "" : age(at, now) + " ago")});
    }
    o << gt.render("  ");
    // The operator's gate messages usually name the gate already ("error-rate = 0.06 is above ...",
    // "error-rate: query failed ..."): prefix the name only to those that do not.
    for (const auto& g : gates) {
      const std::string name = str(g, "name"), msg = oneLine(str(g, "message"));
      if (msg.empty()) continue;
      const bool named = msg.rfind(name, 0) == 0 && (msg.size() == name.size() || msg[name.size()] == ' ' || msg[name.size()] == ':');
      o << "  " << (named ? msg : name + ": " + msg) << "\n";
    }
  }

  const json& rb = st.value("rollback", json());
  if (rb.is_object() && !str(rb, "reason").empty()) {
    o << "\n" << s.red("Rolled back") << ": " << str(rb, "reason") << (str(rb, "phase").empty() ? "" : " in phase " + str(rb, "phase"))
      << (str(rb, "at").empty() ? "" : " at " + str(rb, "at")) << "\n";
    if (!str(rb, "message").empty()) o << "  " << oneLine(str(rb, "message")) << "\n";
    o << "  (kubectl featurerollout retry restarts the failed phase)\n";
  }

  const json& conds = arr(st, "conditions");
  if (!conds.empty()) {
    o << "\n" << s.bold("Conditions") << "\n";
    Table ct({"TYPE", "STATUS", "REASON", "AGE", "MESSAGE"});
    for (const auto& c : conds) {
      std::string cs = str(c, "status");
      // Stalled=True and InvalidSpec=True and RolledBack=True are bad news: red, not green.
      std::string type = str(c, "type");
      bool badWhenTrue = type == "Stalled" || type == "InvalidSpec" || type == "RolledBack";
      std::string shown = badWhenTrue && cs == "True" ? s.red(cs) : badWhenTrue && cs == "False" ? cs : s.state(cs);
      ct.add({plain(type), styled(cs, shown), plain(str(c, "reason")), plain(age(str(c, "lastTransitionTime"), now)),
              plain(shorten(oneLine(str(c, "message")), 100))});
    }
    o << ct.render("  ");
  }

  const json& hist = arr(st, "history");
  if (!hist.empty()) {
    constexpr size_t kShown = 8;
    o << "\n" << s.bold("History") << (hist.size() > kShown ? fmt::format(" (last {} of {})", kShown, hist.size()) : "")
      << "\n";
    Table ht({"AGE", "PHASE", "STEP", "STATE", "REASON", "MESSAGE"});
    for (size_t i = hist.size() > kShown ? hist.size() - kShown : 0; i < hist.size(); ++i) {
      const json& h = hist[i];
      std::string hs = str(h, "state");
      ht.add({plain(age(str(h, "at"), now)), plain(str(h, "phase")), plain(fmt::format("{}", integer(h, "step") + 1)),
              styled(hs, s.state(hs)), plain(str(h, "reason")), plain(shorten(oneLine(str(h, "message")), 100))});
    }
    o << ht.render("  ");
  }
  return o.str();
}

std::string StatusView::renderList(const json& items, TimePoint now, const Style& s, bool allNamespaces) {
  if (!items.is_array() || items.empty()) return {};
  std::vector<std::string> header = {"NAME", "PHASE", "STEP", "PERCENT", "STATE", "GATES", "LAST COMMAND", "AGE"};
  if (allNamespaces) header.insert(header.begin(), "NAMESPACE");
  Table t(header);
  for (const auto& r : items) {
    const json& meta = r.value("metadata", json::object());
    const json& st = r.value("status", json::object());
    const json& phases = r.contains("/spec/phases"_json_pointer) ? r["spec"]["phases"] : json::array();
    int pi = integer(st, "phaseIndex");
    std::string step = "-";
    if (!str(st, "phase").empty()) {
      step = fmt::format("{}", integer(st, "step") + 1);
      if (phases.is_array() && pi >= 0 && pi < static_cast<int>(phases.size()))
        step += fmt::format("/{}", arr(phases[pi], "steps").size());
    }
    std::string state = str(st, "state");
    std::vector<std::pair<std::string, std::string>> row;
    if (allNamespaces) row.push_back(plain(str(meta, "namespace")));
    row.push_back(plain(str(meta, "name")));
    row.push_back(plain(str(st, "phase").empty() ? "-" : str(st, "phase")));
    row.push_back(plain(step));
    row.push_back(plain(str(st, "state").empty() ? "-" : fmt::format("{}%", integer(st, "percent"))));
    row.push_back(styled(state.empty() ? "-" : state, state.empty() ? "-" : s.state(state)));
    row.push_back(plain(str(st, "gatesSummary").empty() ? "-" : str(st, "gatesSummary")));
    std::string cmd = str(st, "lastCommand");
    row.push_back(plain(cmd.empty() ? "-" : cmd.substr(0, cmd.find(' '))));
    row.push_back(plain(age(str(meta, "creationTimestamp"), now)));
    t.add(std::move(row));
  }
  return t.render("");
}

}  // namespace fro::plugin
