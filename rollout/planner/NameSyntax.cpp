#include "rollout/planner/NameSyntax.h"

namespace fro::rollout {

namespace {

bool lowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

bool NameSyntax::dnsLabel(std::string_view s) {
  if (s.empty() || !lowerAlnum(s.front()) || !lowerAlnum(s.back())) return false;
  for (char c : s)
    if (!lowerAlnum(c) && c != '-') return false;
  return true;
}

bool NameSyntax::dnsSubdomain(std::string_view s) {
  for (std::size_t start = 0;;) {
    const std::size_t dot = s.find('.', start);
    if (!dnsLabel(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool NameSyntax::envVar(std::string_view s) {
  if (s.empty() || (!alnum(s.front()) && s.front() != '_') || (s.front() >= '0' && s.front() <= '9')) return false;
  for (char c : s)
    if (!alnum(c) && c != '_') return false;
  return true;
}

bool NameSyntax::flagName(std::string_view s) {
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

bool NameSyntax::mountPath(std::string_view s) {
  if (s.size() < 2 || s.front() != '/') return false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '/') {
      if (s[i - 1] == '/') return false;  // an empty segment
    } else if (!alnum(c) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace fro::rollout
