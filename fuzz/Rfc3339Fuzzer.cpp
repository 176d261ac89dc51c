// fro::Rfc3339::parse on any text (status timestamps, Lease renew times: text from the API
// server). It accepts only "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" with fields in range, and
// what it accepts, format() and formatMicro() write in a form that reads back as the same instant.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/FuzzCheck.h"
#include "runtime/common/Rfc3339.h"

namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  for (std::size_t i = at; i < at + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int num(std::string_view s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

// The RFC 3339 date-time grammar (fractions of any length), fields in range.
bool wellFormed(std::string_view s) {
  if (!digits(s, 0, 4) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' || !digits(s, 8, 2) ||
      (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2) || s[13] != ':' || !digits(s, 14, 2) || s[16] != ':' ||
      !digits(s, 17, 2))
    return false;
  const int y = num(s, 0, 4), mo = num(s, 5, 2), d = num(s, 8, 2);
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > days[mo - 1] || num(s, 11, 2) > 23 || num(s, 14, 2) > 59 || num(s, 17, 2) > 60)
    return false;
  std::size_t i = 19;
  if (s[i] == '.') {
    const std::size_t frac = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == frac) return false;
  }
  if (i + 1 == s.size()) return s[i] == 'Z' || s[i] == 'z';
  return i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && digits(s, i + 1, 2) && s[i + 3] == ':' &&
         digits(s, i + 4, 2) && num(s, i + 1, 2) <= 23 && num(s, i + 4, 2) <= 59;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = fro::Rfc3339::parse(text);
  if (!t) return 0;
  FRO_FUZZ_CHECK(wellFormed(text), "accepted text that is not an RFC 3339 date-time");

  const std::string micro = fro::Rfc3339::formatMicro(*t);
  auto back = fro::Rfc3339::parse(micro);
  FRO_FUZZ_CHECK(back && *back == *t, "formatMicro() does not read back as the same instant: " + micro);
  const std::string secs = fro::Rfc3339::format(*t);
  auto whole = fro::Rfc3339::parse(secs);
  FRO_FUZZ_CHECK(whole && *whole <= *t && *t - *whole < std::chrono::seconds(1),
                 "format() does not read back as the instant's second: " + secs);
  return 0;
}
