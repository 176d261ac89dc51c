#include "operator/process/Duration.h"

#include <cstdint>
#include <limits>

namespace fro::process {

Result<std::chrono::milliseconds> Duration::parse(std::string_view text) {
  if (text.empty()) return Error::of("empty duration");
  if (text == "0") return std::chrono::milliseconds{0};
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits = i;
    std::int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > (kMax - 9) / 10) return Error::of("duration out of range");
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == digits) return Error::of("expected a number");
    std::size_t unitStart = i;
    while (i < text.size() && (text[i] < '0' || text[i] > '9')) ++i;
    auto unit = text.substr(unitStart, i - unitStart);
    std::int64_t scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    else if (unit.empty()) return Error::of("missing unit (ms, s, m or h)");
    else if (unit.front() == '.') return Error::of("fractions are not supported (write 1500ms, not 1.5s)");
    else return Error::of("unknown unit \"" + std::string(unit) + "\" (ms, s, m or h)");
    if (n > (kMax - total) / scale) return Error::of("duration out of range");
    total += n * scale;
  }
  return std::chrono::milliseconds{total};
}

std::string Duration::format(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  if (ms % 1000 != 0 && ms >= 1000) {
    // Mixed seconds and milliseconds: keep it exact rather than pretty.
    return out + std::to_string(ms) + "ms";
  }
  if (ms < 1000) return out + std::to_string(ms) + "ms";
  auto s = ms / 1000;
  auto h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (sec) out += std::to_string(sec) + "s";
  return out;
}

}  // namespace fro::process
