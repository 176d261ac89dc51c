#include "demo/service/ControlApi.h"

#include <charconv>
#include <cmath>
#include <regex>

#include <nlohmann/json.hpp>

namespace fro::demo {

using nlohmann::json;

namespace {

HttpReply reply(int status, const json& body) { return {status, body.dump() + "\n"}; }
HttpReply fail(int status, const std::string& msg) { return reply(status, {{"error", msg}}); }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Flag names as the CRD allows them, loosely: no spaces or control characters in a label value.
bool validFlagName(const std::string& s) {
  static const std::regex re("[A-Za-z0-9_.-]{1,253}");
  return std::regex_match(s, re);
}

Result<std::string> onlyKnown(const std::map<std::string, std::string>& q, std::initializer_list<const char*> known) {
  for (const auto& [k, v] : q) {
    bool ok = false;
    for (const char* n : known) ok = ok || k == n;
    if (!ok) {
      std::string list;
      for (const char* n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      return Error::of("unknown parameter \"" + k + "\" (allowed: " + list + ")");
    }
  }
  return std::string{};
}

Result<double> parseRate(const std::string& v) {
  double d = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size() || !std::isfinite(d) || d < 0 || d > 1)
    return Error::of("errorRate \"" + v + "\" is not a number from 0 to 1");
  return d;
}

Result<int> parseLatency(const std::string& v) {
  int ms = -1;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size() || ms < 0 || ms > ControlApi::kMaxLatencyMs)
    return Error::of("latencyMs \"" + v + "\" is not a whole number from 0 to " + std::to_string(ControlApi::kMaxLatencyMs));
  return ms;
}

json faultJson(const std::string& flag, const FaultSpec& f) {
  return {{"flag", flag}, {"errorRate", f.errorRate}, {"latencyMs", f.latencyMs}};
}

}  // namespace

Result<std::string> ControlApi::percentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return Error::of("truncated %-escape in \"" + std::string(s) + "\"");
      int hi = hexValue(s[i + 1]), lo = hexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return Error::of("bad %-escape in \"" + std::string(s) + "\"");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> ControlApi::parseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;  // "a=1&&b=2"
    auto eq = part.find('=');
    auto name = percentDecode(part.substr(0, eq));
    if (!name) return name.error();
    auto value = percentDecode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    if (!value) return value.error();
    if (name->empty()) return Error::of("empty parameter name");
    if (!out.emplace(*name, *value).second) return Error::of("parameter \"" + *name + "\" given more than once");
  }
  return out;
}

HttpReply ControlApi::handle(std::string_view method, std::string_view target) {
  auto qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);
  auto query = parseQuery(qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1));

  if (path == "/healthz") {
    if (method != "GET" && method != "HEAD") return fail(405, "use GET /healthz");
    return {200, "ok\n", "text/plain"};
  }
  if (path != "/faults") return fail(404, "no route " + std::string(path) + " (try /faults or /healthz)");
  if (!query) return fail(400, query.error().message);
  if (method == "GET") {
    if (!query->empty()) return fail(400, "GET /faults takes no parameters");
    return listFaults();
  }
  if (method == "POST") return postFault(*query);
  if (method == "DELETE") return deleteFault(*query);
  return fail(405, "method " + std::string(method) + " not allowed on /faults (GET, POST, DELETE)");
}

HttpReply ControlApi::listFaults() const {
  json list = json::array();
  for (const auto& [flag, f] : faults_.snapshot()) list.push_back(faultJson(flag, f));
  return reply(200, {{"faults", list}});
}

HttpReply ControlApi::postFault(const std::map<std::string, std::string>& q) {
  if (auto k = onlyKnown(q, {"flag", "errorRate", "latencyMs"}); !k) return fail(400, k.error().message);
  auto flag = q.find("flag");
  if (flag == q.end()) return fail(400, "parameter \"flag\" is required");
  if (!validFlagName(flag->second))
    return fail(400, "flag \"" + flag->second + "\" is not a flag name (letters, digits, '_', '.', '-')");
  if (!q.count("errorRate") && !q.count("latencyMs"))
    return fail(400, "give errorRate (0..1) and/or latencyMs (0.." + std::to_string(kMaxLatencyMs) + ")");
  FaultSpec spec;
  if (auto it = q.find("errorRate"); it != q.end()) {
    auto r = parseRate(it->second);
    if (!r) return fail(400, r.error().message);
    spec.errorRate = *r;
  }
  if (auto it = q.find("latencyMs"); it != q.end()) {
    auto ms = parseLatency(it->second);
    if (!ms) return fail(400, ms.error().message);
    spec.latencyMs = *ms;
  }
  faults_.set(flag->second, spec);
  return reply(200, {{"fault", faultJson(flag->second, spec)}});
}

HttpReply ControlApi::deleteFault(const std::map<std::string, std::string>& q) {
  if (auto k = onlyKnown(q, {"flag"}); !k) return fail(400, k.error().message);
  auto flag = q.find("flag");
  if (flag == q.end()) return reply(200, {{"cleared", faults_.clearAll()}});
  // Idempotent: clearing a flag without a fault succeeds and says so.
  return reply(200, {{"flag", flag->second}, {"cleared", faults_.clear(flag->second) ? 1 : 0}});
}

}  // namespace fro::demo
