#include "demo/service/FlagConfig.h"

#include <charconv>
#include <cmath>
#include <set>

namespace fro::demo {

using nlohmann::json;

namespace {

Result<int> parsePercent(const std::string& key, const std::string& value) {
  int p = -1;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
  if (ec != std::errc() || ptr != value.data() + value.size() || p < 0 || p > 100)
    return Error::of(key + ": \"" + value + "\" is not a whole percent 0..100");
  return p;
}

Result<std::vector<DemoFlag>> fromPercentKeys(const std::map<std::string, std::string>& data) {
  std::vector<DemoFlag> flags;
  const std::string suffix = FlagConfig::kPercentSuffix;
  for (const auto& [k, v] : data) {
    if (k.size() <= suffix.size() || k.compare(k.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    auto p = parsePercent(k, v);
    if (!p) return p.error();
    flags.push_back({k.substr(0, k.size() - suffix.size()), *p});
  }
  return flags;
}

}  // namespace

Result<int> FlagConfig::percentOf(const std::string& name, const json& def) {
  const std::string where = std::string(kFlagdKey) + ": flag \"" + name + "\"";
  if (!def.is_object()) return Error::of(where + " is not an object");
  if (def.contains("state")) {
    if (!def["state"].is_string()) return Error::of(where + ": state is not a string");
    if (def["state"] == "DISABLED") return 0;
    if (def["state"] != "ENABLED") return Error::of(where + ": unknown state " + def["state"].dump());
  }
  if (!def.contains("variants") || !def["variants"].is_object() || def["variants"].empty())
    return Error::of(where + ": variants missing or empty");
  std::set<std::string> onVariants;
  for (const auto& [variant, value] : def["variants"].items())
    if (value == true) onVariants.insert(variant);

  if (def.contains("targeting") && !(def["targeting"].is_object() && def["targeting"].empty())) {
    const json& t = def["targeting"];
    if (!t.is_object() || t.size() != 1 || !t.contains("fractional") || !t["fractional"].is_array())
      return Error::of(where + ": only a \"fractional\" targeting rule is supported, got " + t.dump());
    double on = 0, total = 0;
    for (const json& bucket : t["fractional"]) {
      if (!bucket.is_array()) continue;  // the optional bucketing-key expression
      if (bucket.empty() || !bucket[0].is_string() || bucket.size() > 2 || (bucket.size() == 2 && !bucket[1].is_number()))
        return Error::of(where + ": fractional bucket " + bucket.dump() + " is not [variant, weight]");
      double w = bucket.size() == 2 ? bucket[1].get<double>() : 1.0;
      if (w < 0) return Error::of(where + ": negative weight in " + bucket.dump());
      total += w;
      if (onVariants.count(bucket[0].get<std::string>())) on += w;
    }
    if (total <= 0) return Error::of(where + ": fractional weights add up to 0");
    return static_cast<int>(std::lround(100.0 * on / total));
  }
  if (!def.contains("defaultVariant") || !def["defaultVariant"].is_string())
    return Error::of(where + ": defaultVariant missing");
  const std::string dv = def["defaultVariant"].get<std::string>();
  if (!def["variants"].contains(dv)) return Error::of(where + ": defaultVariant \"" + dv + "\" is not a variant");
  return onVariants.count(dv) ? 100 : 0;
}

Result<std::vector<DemoFlag>> FlagConfig::parse(const std::map<std::string, std::string>& data) {
  auto it = data.find(kFlagdKey);
  if (it == data.end()) return fromPercentKeys(data);
  json doc = json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error::of(std::string(kFlagdKey) + ": not valid JSON");
  if (!doc.is_object() || !doc.contains("flags") || !doc["flags"].is_object())
    return Error::of(std::string(kFlagdKey) + ": no \"flags\" object");
  std::vector<DemoFlag> flags;
  for (const auto& [name, def] : doc["flags"].items()) {  // nlohmann::json objects iterate sorted
    auto p = percentOf(name, def);
    if (!p) return p.error();
    flags.push_back({name, *p});
  }
  return flags;
}

Result<std::vector<DemoFlag>> FlagConfig::fromConfigMap(const json& cm) {
  std::map<std::string, std::string> data;
  if (cm.is_object() && cm.contains("data") && cm["data"].is_object()) {
    for (const auto& [k, v] : cm["data"].items()) {
      if (!v.is_string()) return Error::of("data." + k + " is not a string");
      data[k] = v.get<std::string>();
    }
  }
  return parse(data);
}

}  // namespace fro::demo
