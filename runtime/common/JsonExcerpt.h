#pragma once
// A JSON value from outside quoted in a message: as dump() writes it, cut to about maxBytes at a
// character boundary ("..." marks the cut), never descending more than kMaxDepth containers, and
// never throwing (bytes that are not UTF-8 become U+FFFD). dump() itself recurses once per level:
// an answer or a spec nested a million levels deep overflowed the stack (found by fuzzing, issue 17).
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace fro {

class JsonExcerpt {
 public:
  static constexpr int kMaxDepth = 16;

  static std::string of(const nlohmann::json& value, std::size_t maxBytes = 200);
};

}  // namespace fro
