#include "runtime/kube/Base64.h"

#include <array>

#include <fmt/format.h>

namespace fro::kube {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> makeTable() {
  std::array<int, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = i;
  return t;
}
constexpr auto kTable = makeTable();

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

Result<std::string> Base64::decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  unsigned buf = 0;
  int bits = 0;
  int quantum = 0;  // symbols seen in the current 4-symbol group
  int padding = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (isSpace(c)) continue;
    if (c == '=') {
      // Padding may only follow 2 or 3 symbols of a group, and at most fills it up.
      if (padding == 0 && quantum < 2)
        return Error::invalid(fmt::format("invalid base64: unexpected '=' at offset {}", i));
      ++padding;
      if (quantum + padding > 4) return Error::invalid(fmt::format("invalid base64: too much padding at offset {}", i));
      continue;
    }
    if (padding > 0) return Error::invalid(fmt::format("invalid base64: data after padding at offset {}", i));
    int v = kTable[static_cast<unsigned char>(c)];
    if (v < 0) return Error::invalid(fmt::format("invalid base64: illegal character at offset {}", i));
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
    quantum = (quantum + 1) % 4;
  }
  if (quantum == 1) return Error::invalid("invalid base64: truncated input (dangling character)");
  if (padding > 0 && quantum + padding != 4) return Error::invalid("invalid base64: incomplete padding");
  return out;
}

std::string Base64::encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  std::size_t rest = in.size() - i;
  if (rest == 1) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    unsigned n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace fro::kube
