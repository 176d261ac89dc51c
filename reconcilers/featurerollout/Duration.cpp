#include "reconcilers/featurerollout/Duration.h"

#include <cctype>

namespace fro::rollout {

Result<std::chrono::milliseconds> Duration::parse(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Error::of("invalid duration \"" + std::string(text) + "\": " + why + " (examples: 30s, 5m, 1h30m, 250ms)");
  };
  if (text.empty()) return bad("empty");
  if (text == "0") return std::chrono::milliseconds(0);
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (start == i) return bad("expected a number at position " + std::to_string(start));
    double value;
    try {
      value = std::stod(std::string(text.substr(start, i - start)));
    } catch (...) {
      return bad("bad number");
    }
    size_t u = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    auto unit = text.substr(u, i - u);
    double ms;
    if (unit == "ms") ms = 1;
    else if (unit == "s") ms = 1000;
    else if (unit == "m") ms = 60'000;
    else if (unit == "h") ms = 3'600'000;
    else if (unit.empty()) return bad("missing unit");
    else return bad("unknown unit \"" + std::string(unit) + "\"");
    total += value * ms;
  }
  if (total > 365.0 * 86'400'000) return bad("longer than a year");
  return std::chrono::milliseconds(static_cast<long long>(total + 0.5));
}

std::string Duration::format(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms % 1000 != 0 && ms < 1000) return std::to_string(ms) + "ms";
  long long h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s || rest) {
    out += std::to_string(s);
    if (rest) {
      std::string frac = std::to_string(rest + 1000).substr(1);
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    out += "s";
  }
  return out;
}

}  // namespace fro::rollout
