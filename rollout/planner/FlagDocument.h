#pragma once
// What the operator writes for a set of effective flag values (docs/DESIGN.md section 3):
//   <ENV>            "true" only when the flag is on for 100% of users, else "false", so an app
//                    that ignores percentages is never exposed early;
//   <ENV>_PERCENT    "0".."100", for apps that bucket users themselves;
//   flags.flagd.json a flagd flag-definition document; a partial percent becomes a "fractional"
//                    rule, so OpenFeature SDKs with a flagd provider bucket users as we do.
// Pure functions of the values: same input, byte-identical output, so "nothing changed" is a
// string comparison and the checksum annotation only moves when a value does.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fro::rollout {

struct FlagValue {
  std::string name;
  std::string envVar;
  int percent = 0;  // share of users who have the flag on, 0..100
};

class FlagDocument {
 public:
  static constexpr const char* kFlagdKey = "flags.flagd.json";

  static nlohmann::json flagd(const std::vector<FlagValue>& flags);
  // The ConfigMap's data (sorted keys).
  static std::map<std::string, std::string> configMapData(const std::vector<FlagValue>& flags);
  // SHA-256 (hex) of the data: the pod-template annotation that rolls pods when a value changes.
  static std::string checksum(const std::map<std::string, std::string>& data);
};

}  // namespace fro::rollout
