#include "runtime/kube/JsonRead.h"

#include <limits>

namespace fro::kube {

std::string JsonRead::text(const nlohmann::json& obj, std::string_view key, std::string def) {
  if (!obj.is_object()) return def;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return def;
  return it->get<std::string>();
}

int JsonRead::integer(const nlohmann::json& obj, std::string_view key, int def) {
  if (!obj.is_object()) return def;
  auto it = obj.find(key);
  if (it == obj.end()) return def;
  if (it->is_number_unsigned()) {
    auto v = it->get<std::uint64_t>();
    return v <= static_cast<std::uint64_t>(std::numeric_limits<int>::max()) ? static_cast<int>(v) : def;
  }
  if (it->is_number_integer()) {
    auto v = it->get<std::int64_t>();
    return v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max() ? static_cast<int>(v) : def;
  }
  return def;
}

}  // namespace fro::kube
