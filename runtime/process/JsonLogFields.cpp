#include "runtime/process/JsonLogFields.h"

namespace fro::log {

Fields jsonLogFields(const nlohmann::json& object) noexcept {
  using json = nlohmann::json;
  Fields fields;
  try {
    if (!object.is_object()) return fields;
    for (const auto& [k, v] : object.items()) {
      if (v.is_string()) fields.push_back({k, v.get<std::string>()});
      else if (v.is_number_integer()) fields.push_back({k, v.get<std::int64_t>()});
      else if (v.is_number_float()) fields.push_back({k, v.get<double>()});
      else if (v.is_boolean()) fields.push_back({k, v.get<bool>()});
      else fields.push_back({k, v.dump(-1, ' ', false, json::error_handler_t::replace)});
    }
  } catch (const std::exception& e) {
    fields.push_back({"fieldsError", e.what()});
  }
  return fields;
}

}  // namespace fro::log
