#pragma once
// Reads the flags out of the ConfigMap the operator writes (docs/DESIGN.md section 3).
//
// Rule: flags.flagd.json is the source of truth, because only it carries the flag NAMES, and the
// name is the key users are bucketed on (an env var name would bucket users differently from the
// operator's flagd document and from OpenFeature SDKs). Per flag:
//   state DISABLED                     -> 0%
//   targeting {"fractional": [...]}    -> share of the weight on variants whose value is true
//                                         (an optional leading bucketing expression is skipped;
//                                         a bucket without a weight weighs 1, as in flagd)
//   no targeting                       -> 100% when the defaultVariant's value is true, else 0%
//   any other targeting rule           -> error (the operator never writes one)
// Without flags.flagd.json (a hand-written ConfigMap), every "<ENV>_PERCENT" key is a flag named
// <ENV> with that percent. The <ENV> "true"/"false" keys carry nothing the percents do not.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "demo/service/DemoFlag.h"
#include "runtime/common/Result.h"

namespace fro::demo {

class FlagConfig {
 public:
  static constexpr const char* kFlagdKey = "flags.flagd.json";
  static constexpr const char* kPercentSuffix = "_PERCENT";

  // Flags sorted by name. Errors name the key or flag at fault.
  static Result<std::vector<DemoFlag>> parse(const std::map<std::string, std::string>& data);
  // A ConfigMap object as the API returns it (missing or empty data: no flags).
  static Result<std::vector<DemoFlag>> fromConfigMap(const nlohmann::json& configMap);

  // One flagd flag definition.
  static Result<int> percentOf(const std::string& name, const nlohmann::json& definition);
};

}  // namespace fro::demo
