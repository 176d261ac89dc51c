#include "runtime/common/Duration.h"

#include <cstdint>

#include <fmt/format.h>

namespace fro {

namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;
constexpr std::int64_t kYearNs = 8760LL * 3'600'000 * kNsPerMs;

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Milliseconds per unit; 0 for anything else.
std::int64_t unitMs(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60'000;
  if (unit == "h") return 3'600'000;
  return 0;
}

}  // namespace

Result<std::chrono::milliseconds> Duration::parse(std::string_view text) {
  if (text.empty()) return Error::invalid("empty duration");
  if (text == "0") return std::chrono::milliseconds{0};
  const auto tooLong = [] { return Error::invalid("longer than a year (at most 8760h)"); };
  std::int64_t totalNs = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t termStart = i;
    if (!isDigit(text[i])) {
      if (i == 0) return Error::invalid("expected a number");
      return Error::invalid(fmt::format("expected a number after \"{}\"", text.substr(0, i)));
    }
    // Whole part: anything past a year in the smallest unit is out of range, whatever follows.
    std::int64_t whole = 0;
    for (; i < text.size() && isDigit(text[i]); ++i) {
      whole = whole * 10 + (text[i] - '0');
      if (whole > kYearNs / kNsPerMs) return tooLong();
    }
    // Fraction: the first nine digits (nanoseconds of the unit's millionths), the rest cannot
    // change the rounded milliseconds except in contrived ties.
    std::int64_t fraction = 0;  // in units of 10^-9
    if (i < text.size() && text[i] == '.') {
      ++i;
      if (i >= text.size() || !isDigit(text[i]))
        return Error::invalid(fmt::format("expected a digit after the decimal point in \"{}\"", text.substr(termStart)));
      std::int64_t scale = 100'000'000;
      for (; i < text.size() && isDigit(text[i]); ++i) {
        fraction += (text[i] - '0') * scale;
        scale /= 10;
      }
    }
    const std::size_t unitStart = i;
    while (i < text.size() && isLetter(text[i])) ++i;
    const auto unit = text.substr(unitStart, i - unitStart);
    if (unit.empty()) {
      if (i == text.size()) return Error::invalid("missing unit (ms, s, m or h)");
      return Error::invalid(fmt::format("unexpected \"{}\" after \"{}\"", text[i], text.substr(0, i)));
    }
    const std::int64_t ms = unitMs(unit);
    if (ms == 0) return Error::invalid(fmt::format("unknown unit \"{}\" (ms, s, m or h)", unit));
    if (whole > (kYearNs - totalNs) / (ms * kNsPerMs)) return tooLong();
    totalNs += whole * ms * kNsPerMs + fraction * ms / 1000;  // fraction * ms < 3.6e15: no overflow
    if (totalNs > kYearNs) return tooLong();
  }
  return std::chrono::milliseconds{(totalNs + kNsPerMs / 2) / kNsPerMs};
}

std::string Duration::format(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  if (ms < 0) return "-" + format(-d);
  if (ms < 1000) return fmt::format("{}ms", ms);
  const long long h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
  std::string out;
  if (h) out += fmt::format("{}h", h);
  if (m) out += fmt::format("{}m", m);
  if (s || rest) {
    out += fmt::format("{}", s);
    if (rest) {
      std::string frac = fmt::format("{:03}", rest);
      while (frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    out += "s";
  }
  return out;
}

}  // namespace fro
