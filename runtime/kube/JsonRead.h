#pragma once
// Typed reads of JSON from outside (API server answers, watch lines, Status objects) that never
// throw: a field that is missing, null or of another type reads as the default. nlohmann's value()
// throws type_error for a wrong type, and no exception may cross our API (nor unwind through
// libcurl's callbacks, where watch lines are decoded).
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fro::kube {

class JsonRead {
 public:
  // obj[key] when obj is an object and the field a string, else def.
  static std::string text(const nlohmann::json& obj, std::string_view key, std::string def = {});
  // obj[key] when obj is an object and the field an integer that fits in int, else def (a
  // fraction, a string or 1e300 is not a Status code).
  static int integer(const nlohmann::json& obj, std::string_view key, int def = 0);
};

}  // namespace fro::kube
