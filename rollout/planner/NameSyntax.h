#pragma once
// The syntax of the names a spec holds, checked by hand, not with std::regex: libstdc++'s regex
// engine recurses once per character, so a long name (a pull request can hold a megabyte of
// one) overflows the stack before any length check could refuse it.
#include <string_view>

namespace fro::rollout {

class NameSyntax {
 public:
  // [a-z0-9]([-a-z0-9]*[a-z0-9])? (RFC 1123 label; no length limit here)
  static bool dnsLabel(std::string_view s);
  // dnsLabel(.dnsLabel)* (RFC 1123 subdomain, the syntax of most object names)
  static bool dnsSubdomain(std::string_view s);
  // [A-Za-z_][A-Za-z0-9_]*
  static bool envVar(std::string_view s);
  // [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? (flag keys; a ConfigMap key's characters)
  static bool flagName(std::string_view s);
  // (/[A-Za-z0-9._-]+)+/? (an absolute path of those characters, no empty segment)
  static bool mountPath(std::string_view s);
};

}  // namespace fro::rollout
