#pragma once
// Credentials must never reach a log line. The Logger runs every message and string field value
// through redact(), and replaces the whole value of a field whose key looks sensitive.
#include <string>
#include <string_view>

namespace fro::log {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// Replaces credentials in free text with [REDACTED]:
//   Authorization / Proxy-Authorization header values ("Authorization: Bearer x", "authorization=x"),
//   bearer tokens ("Bearer eyJ..."), user:password@ in URLs, and the value of any key=value /
//   key: value / "key":"value" whose key names a secret (token, password, secret, api key,
//   credential, cookie). Errs on the side of hiding too much.
std::string redact(std::string_view text);

// True for field keys whose value is a credential as a whole (authorization, token, password, ...).
bool isSensitiveKey(std::string_view key);

}  // namespace fro::log
