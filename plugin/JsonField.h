#pragma once
// Reading one field of a parsed document that may hold anything (the plugin reads files from pull
// requests and objects from the API server): a wrong type or a missing key is the default, never
// an exception.
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

namespace fro::plugin {

class JsonField {
 public:
  static std::string text(const nlohmann::json& o, const char* key) {
    if (!o.is_object()) return {};
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  }
  // o[k1][k2]... where each step is an object holding the key, else null (a JSON pointer throws
  // when a step is an array and the key not a number).
  static const nlohmann::json& at(const nlohmann::json& o, std::initializer_list<const char*> keys) {
    static const nlohmann::json null;
    const nlohmann::json* cur = &o;
    for (const char* k : keys) {
      if (!cur->is_object()) return null;
      auto it = cur->find(k);
      if (it == cur->end()) return null;
      cur = &*it;
    }
    return *cur;
  }
  static int integer(const nlohmann::json& o, const char* key, int def) {
    if (!o.is_object()) return def;
    auto it = o.find(key);
    return it != o.end() && it->is_number_integer() ? it->get<int>() : def;
  }
};

}  // namespace fro::plugin
