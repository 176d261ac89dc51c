// fro::Duration::parse on any text (spec pauses, intervals, timeouts; the command line). It must
// accept exactly the CRD's grammar ^(0|([0-9]+(\.[0-9]+)?(ms|s|m|h))+)$ up to a year, and what it
// accepts, format() must write in a form that parse() reads back as the same value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/FuzzCheck.h"
#include "runtime/common/Duration.h"

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// The CRD pattern, by hand (std::regex would make this target measure the regex engine).
bool grammar(std::string_view s) {
  if (s == "0") return true;
  if (s.empty()) return false;
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t whole = i;
    while (i < s.size() && digit(s[i])) ++i;
    if (i == whole) return false;
    if (i < s.size() && s[i] == '.') {
      const std::size_t frac = ++i;
      while (i < s.size() && digit(s[i])) ++i;
      if (i == frac) return false;
    }
    // A unit is always followed by a digit or the end, so "ms" first is never wrong.
    if (s.substr(i, 2) == "ms") i += 2;
    else if (i < s.size() && (s[i] == 's' || s[i] == 'm' || s[i] == 'h')) ++i;
    else return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto d = fro::Duration::parse(text);
  if (!d.ok()) {
    // Only a well-formed duration past the limit may be refused for its value.
    FRO_FUZZ_CHECK(!grammar(text) || d.error().message.find("longer than a year") != std::string::npos,
                   "a duration of the CRD's grammar was refused: " + d.error().message);
    return 0;
  }
  FRO_FUZZ_CHECK(grammar(text), "accepted text outside the CRD's grammar");
  FRO_FUZZ_CHECK(d->count() >= 0 && *d <= std::chrono::hours(8760), "accepted a duration outside 0..8760h");
  const std::string formatted = fro::Duration::format(*d);
  FRO_FUZZ_CHECK(grammar(formatted), "format() wrote text outside the grammar: " + formatted);
  auto again = fro::Duration::parse(formatted);
  FRO_FUZZ_CHECK(again.ok() && *again == *d, "format() does not read back as the same value: " + formatted);
  return 0;
}
