#pragma once
// UTF-8 checks for text from outside (files from pull requests): nlohmann::json refuses to dump
// invalid UTF-8 (an exception), and kubectl refuses such a file, so we find it first.
#include <cstddef>
#include <optional>
#include <string_view>

namespace fro::plugin {

class Utf8 {
 public:
  // Offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
  // surrogates and code points above U+10FFFF are invalid), or nullopt when all of `s` is valid.
  static std::optional<std::size_t> firstInvalid(std::string_view s);
  // Offset of the first character YAML does not allow in a stream (go-yaml's check: control
  // characters other than tab, LF and CR, DEL, C1 controls but NEL, U+FFFE/U+FFFF, a BOM after the
  // start), or nullopt. `s` must be valid UTF-8.
  static std::optional<std::size_t> firstNotPrintable(std::string_view s);
  // 1-based line and column (in characters) of byte `offset`.
  static std::pair<int, int> position(std::string_view s, std::size_t offset);
};

}  // namespace fro::plugin
