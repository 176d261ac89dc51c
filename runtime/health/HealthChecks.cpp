#include "runtime/health/HealthChecks.h"

#include <algorithm>
#include <exception>
#include <iterator>

#include <fmt/format.h>

#include "runtime/process/Redact.h"

namespace fro::health {

namespace {

bool validName(std::string_view n) {
  if (n.empty() || n.size() > 128) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// Keeps a reason on one line of the body.
std::string oneLine(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return log::redact(s);
}

Status runCheck(const Check& check) {
  try {
    return check();
  } catch (const std::exception& e) {
    return Error::of(fmt::format("check threw: {}", e.what()));
  } catch (...) {
    return Error::of("check threw an unknown exception");
  }
}

// Detail lines for ?verbose, indented under their check; a detail that throws says so instead.
std::string detailLines(const Detail& detail) {
  if (!detail) return {};
  std::vector<std::string> lines;
  try {
    lines = detail();
  } catch (const std::exception& e) {
    lines = {fmt::format("detail threw: {}", e.what())};
  } catch (...) {
    lines = {"detail threw an unknown exception"};
  }
  std::string out;
  for (const auto& l : lines) fmt::format_to(std::back_inserter(out), "    {}\n", oneLine(l));
  return out;
}

}  // namespace

Status HealthChecks::addLiveness(std::string name, Check check) { return add(false, std::move(name), std::move(check)); }
Status HealthChecks::addReadiness(std::string name, Check check, Detail detail) {
  return add(true, std::move(name), std::move(check), std::move(detail));
}

Status HealthChecks::add(bool readiness, std::string name, Check check, Detail detail) {
  if (!validName(name))
    return Error::invalid(fmt::format("health check name \"{}\" is invalid (letters, digits, '-', '_', '.')", name));
  if (!check) return Error::invalid(fmt::format("health check \"{}\" has no function", name));
  MutexLock l(mu_);
  auto& list = readiness ? readiness_ : liveness_;
  if (name == "ping" || std::any_of(list.begin(), list.end(), [&](const Named& n) { return n.name == name; }))
    return Error::invalid(fmt::format("health check \"{}\" is already registered", name));
  list.push_back({std::move(name), std::move(check), std::move(detail)});
  return ok();
}

Reply HealthChecks::handle(std::string_view target) const {
  auto q = target.find('?');
  auto path = target.substr(0, q);
  auto query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  bool verbose = false;
  std::vector<std::string> excluded;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto param = query.substr(0, amp);
    auto eq = param.find('=');
    auto key = param.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string() : percentDecode(param.substr(eq + 1));
    if (key == "verbose") verbose = value.empty() || value == "true" || value == "1";
    else if (key == "exclude") excluded.push_back(value);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);

  for (std::string_view kind : {"healthz", "livez", "readyz"}) {
    const std::string base = fmt::format("/{}", kind);
    if (path != base && path.substr(0, base.size() + 1) != fmt::format("{}/", base)) continue;
    std::vector<Named> checks;
    {
      MutexLock l(mu_);
      checks = kind == "readyz" ? readiness_ : liveness_;  // copied: checks run without our lock
    }
    checks.insert(checks.begin(), Named{"ping", [] { return ok(); }, {}});
    auto only = path.size() > base.size() ? path.substr(base.size() + 1) : std::string_view();
    return run(kind, std::move(checks), only, verbose, excluded);
  }
  return {404, "404 page not found\n"};
}

Reply HealthChecks::run(std::string_view kind, std::vector<Named> checks, std::string_view only, bool verbose,
                        const std::vector<std::string>& excluded) const {
  if (!only.empty()) {
    auto it = std::find_if(checks.begin(), checks.end(), [&](const Named& n) { return n.name == only; });
    if (it == checks.end()) return {404, fmt::format("no {} check named \"{}\"\n", kind, only)};
    auto st = runCheck(it->check);
    if (st.ok()) return {200, "ok"};
    return {503, fmt::format("[-]{} failed: {}\n{}", it->name, oneLine(st.error().message),
                             verbose ? detailLines(it->detail) : "")};
  }
  std::string lines;
  auto out = std::back_inserter(lines);
  bool failed = false;
  for (const auto& [name, check, detail] : checks) {
    if (std::find(excluded.begin(), excluded.end(), name) != excluded.end()) {
      fmt::format_to(out, "[+]{} excluded: ok\n", name);
      continue;
    }
    auto st = runCheck(check);
    if (st.ok()) {
      fmt::format_to(out, "[+]{} ok\n", name);
    } else {
      failed = true;
      fmt::format_to(out, "[-]{} failed: {}\n", name, oneLine(st.error().message));
    }
    // Plain failing answers stay as they were: the detail is for ?verbose.
    if (verbose) lines += detailLines(detail);
  }
  if (failed) return {503, fmt::format("{}{} check failed\n", lines, kind)};
  if (verbose) return {200, fmt::format("{}{} check passed\n", lines, kind)};
  return {200, "ok"};
}

}  // namespace fro::health
