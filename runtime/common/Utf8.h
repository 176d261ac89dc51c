#pragma once
// Text from outside (a Prometheus body, an API error, a Secret) made safe to put into status, a log
// line or an Event: the API server and nlohmann::json both insist on valid UTF-8, and one bad byte
// would make the whole write fail. Validity is RFC 3629: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF.
#include <cstddef>
#include <string>
#include <string_view>

namespace fro {

class Utf8 {
 public:
  // The text with every invalid sequence replaced by U+FFFD (one per maximal invalid subpart, as the
  // Unicode standard and browsers do). Valid text comes back byte for byte.
  static std::string sanitize(std::string_view s);

  // sanitize(s), cut to at most maxBytes at a character boundary; when something was cut, the
  // result ends with "..." (counted in maxBytes).
  static std::string truncate(std::string_view s, std::size_t maxBytes);

  static bool valid(std::string_view s);
};

}  // namespace fro
