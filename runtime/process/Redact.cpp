#include "runtime/process/Redact.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

#include <fmt/format.h>

namespace fro::log {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Words whose presence makes a text worth the (slow) regular expressions below.
constexpr std::array<std::string_view, 10> kTriggers = {"authorization", "bearer", "token",  "password", "passwd",
                                                        "secret",        "key",    "cookie", "credential", "@"};

constexpr std::array<std::string_view, 12> kSensitiveKeyWords = {
    "authorization", "bearer", "token", "password", "passwd", "secret",
    "apikey",        "api_key", "api-key", "credential", "cookie", "private"};

struct Rule {
  std::regex re;
  const char* replacement;
};

const std::array<Rule, 4>& rules() {
  constexpr auto flags = std::regex::ECMAScript | std::regex::icase | std::regex::optimize;
  static const std::array<Rule, 4> r = {{
      // Authorization: <scheme> <credentials>, as a header, key=value or JSON member.
      {std::regex(R"(((?:proxy-)?authorization"?\s*[:=]\s*"?)(?:(?:bearer|basic|digest|negotiate|token)\s+)?[^\s"',;&]+)",
                  flags),
       "$1[REDACTED]"},
      // A bearer token anywhere ("curl -H 'Bearer x'", error texts), but not the words "bearer token".
      {std::regex(R"((\bbearer\s+)(?!tokens?\b|auth)[A-Za-z0-9\-._~+/]+=*)", flags), "$1[REDACTED]"},
      // scheme://user:password@host
      {std::regex(R"((\b[a-z][a-z0-9+.\-]*://[^/\s:@]+:)[^@\s/]+@)", flags), "$1[REDACTED]@"},
      // token=..., password: ..., "client_secret":"...", X-Api-Key: ...
      {std::regex(R"(([A-Za-z0-9_.\-]*(?:token|password|passwd|secret|api[_\-]?key|credential|cookie)[A-Za-z0-9_.\-]*"?\s*[=:]\s*"?)[^\s"'&,;]+)",
                  flags),
       "$1[REDACTED]"},
  }};
  return r;
}

}  // namespace

std::string redact(std::string_view text) {
  auto low = lower(text);
  bool suspicious = std::any_of(kTriggers.begin(), kTriggers.end(),
                                [&](std::string_view w) { return low.find(w) != std::string::npos; });
  if (!suspicious) return std::string(text);
  std::string out(text);
  try {
    for (const auto& rule : rules()) out = std::regex_replace(out, rule.re, rule.replacement);
  } catch (const std::regex_error&) {
    // A huge text can exhaust the regex engine: hiding all of it is safer than leaking a secret.
    return fmt::format("[REDACTED: {} bytes that could not be checked for secrets]", text.size());
  }
  return out;
}

bool isSensitiveKey(std::string_view key) {
  auto low = lower(key);
  return std::any_of(kSensitiveKeyWords.begin(), kSensitiveKeyWords.end(),
                     [&](std::string_view w) { return low.find(w) != std::string::npos; });
}

}  // namespace fro::log
