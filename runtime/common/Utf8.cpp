#include "runtime/common/Utf8.h"

namespace fro {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kEllipsis = "...";

struct Step {
  std::size_t length;  // bytes consumed from the input
  bool valid;          // false: those bytes are one maximal invalid subpart
};

// The sequence starting at s[i] (Unicode 15, table 3-7 of well-formed byte sequences).
Step next(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return {1, true};
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0) lo = 0xA0;  // overlong below U+0800
    if (b == 0xED) hi = 0x9F;  // surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0) lo = 0x90;  // overlong below U+10000
    if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return {1, false};  // a continuation byte, C0/C1 (always overlong) or F5..FF
  }
  std::size_t k = 1;
  for (; k <= need; ++k) {
    if (i + k >= s.size()) return {k, false};  // truncated
    const auto c = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return {k, false};
  }
  return {need + 1, true};
}

}  // namespace

bool Utf8::valid(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    Step st = next(s, i);
    if (!st.valid) return false;
    i += st.length;
  }
  return true;
}

std::string Utf8::sanitize(std::string_view s) {
  if (valid(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    Step st = next(s, i);
    if (st.valid)
      out.append(s.substr(i, st.length));
    else
      out.append(kReplacement);
    i += st.length;
  }
  return out;
}

std::string Utf8::truncate(std::string_view s, std::size_t maxBytes) {
  // Walks only as far as the cut, so a 50 MB body costs no more than its excerpt.
  const std::size_t room = maxBytes >= kEllipsis.size() ? maxBytes - kEllipsis.size() : maxBytes;
  std::string out;
  std::size_t keep = 0;  // out.size() when the next character would not fit into `room`
  bool cutAtRoom = false;
  for (std::size_t i = 0; i < s.size();) {
    Step st = next(s, i);
    const std::string_view piece = st.valid ? s.substr(i, st.length) : kReplacement;
    if (!cutAtRoom && out.size() + piece.size() > room) {
      keep = out.size();
      cutAtRoom = true;
    }
    if (out.size() + piece.size() > maxBytes) {
      out.resize(keep);
      if (maxBytes >= kEllipsis.size()) out.append(kEllipsis);
      return out;
    }
    out.append(piece);
    i += st.length;
  }
  return out;
}

}  // namespace fro
