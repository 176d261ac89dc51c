#pragma once
// Reading one field of a parsed document that may hold anything (the plugin reads files from pull
// requests and objects from the API server): a wrong type or a missing key is the default, never
// an exception.
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
  static int integer(const nlohmann::json& o, const char* key, int def) {
    if (!o.is_object()) return def;
    auto it = o.find(key);
    return it != o.end() && it->is_number_integer() ? it->get<int>() : def;
  }
};

}  // namespace fro::plugin
