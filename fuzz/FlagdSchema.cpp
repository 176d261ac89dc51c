#include "fuzz/FlagdSchema.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "fuzz/FuzzCheck.h"
#include "runtime/common/Utf8.h"

namespace fro::fuzz {

using nlohmann::json;

bool FlagdSchema::validKey(std::string_view key) {
  if (key.empty() || !Utf8::valid(key)) return false;
  for (std::string_view bad : {"\n", "\r", "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9"})
    if (key.find(bad) != std::string_view::npos) return false;
  return true;
}

namespace {

bool only(const json& obj, std::initializer_list<const char*> keys) {
  for (const auto& item : obj.items()) {
    const std::string& k = item.key();
    if (std::none_of(keys.begin(), keys.end(), [&](const char* want) { return k == want; })) return false;
  }
  return true;
}

// One flag definition: a boolean flag with variants on/off, the default and the fractional rule
// its percent calls for.
void checkFlag(const std::string& name, const json& def, int percent) {
  const std::string at = "flag \"" + Utf8::sanitize(name) + "\": ";
  FRO_FUZZ_CHECK(def.is_object() && only(def, {"state", "variants", "defaultVariant", "targeting", "metadata"}),
                 at + "not an object of the schema's fields");
  FRO_FUZZ_CHECK(def.contains("state") && def["state"].is_string() &&
                     (def["state"] == "ENABLED" || def["state"] == "DISABLED"),
                 at + "state is not ENABLED or DISABLED");
  FRO_FUZZ_CHECK(def.contains("variants") && def["variants"].is_object() && !def["variants"].empty(),
                 at + "variants is not a non-empty object");
  for (const auto& [k, v] : def["variants"].items()) {
    FRO_FUZZ_CHECK(FlagdSchema::validKey(k), at + "a variant key the schema refuses");
    FRO_FUZZ_CHECK(v.is_boolean(), at + "a boolean flag's variant is not a boolean");
  }
  FRO_FUZZ_CHECK(def["variants"] == json({{"on", true}, {"off", false}}), at + "variants are not on: true, off: false");
  FRO_FUZZ_CHECK(def.contains("defaultVariant") && def["defaultVariant"].is_string() &&
                     def["variants"].contains(def["defaultVariant"].get<std::string>()),
                 at + "defaultVariant is not a key of variants");
  FRO_FUZZ_CHECK(def["defaultVariant"] == (percent >= 100 ? "on" : "off"), at + "defaultVariant disagrees with the percent");

  const bool partial = percent > 0 && percent < 100;
  FRO_FUZZ_CHECK(def.contains("targeting") == partial, at + "targeting present for a percent of 0 or 100, or missing");
  if (!partial) return;
  const json& t = def["targeting"];
  FRO_FUZZ_CHECK(t.is_object() && t.size() == 1 && t.contains("fractional"), at + "targeting is not one fractional rule");
  const json& f = t["fractional"];
  // fractionalShorthandOp: at least two [variant, weight] pairs.
  FRO_FUZZ_CHECK(f.is_array() && f.size() >= 2, at + "fractional is not an array of at least two buckets");
  double total = 0;
  for (const json& bucket : f) {
    FRO_FUZZ_CHECK(bucket.is_array() && bucket.size() == 2 && bucket[0].is_string() && bucket[1].is_number(),
                   at + "a fractional bucket is not [variant, weight]");
    FRO_FUZZ_CHECK(def["variants"].contains(bucket[0].get<std::string>()), at + "a fractional bucket names no variant");
    FRO_FUZZ_CHECK(bucket[1].get<double>() >= 0, at + "a negative fractional weight");
    total += bucket[1].get<double>();
  }
  FRO_FUZZ_CHECK(total == 100, at + "fractional weights do not add up to 100");
  FRO_FUZZ_CHECK(f[0] == json::array({"on", percent}), at + "the first bucket is not [\"on\", percent]");
}

}  // namespace

void FlagdSchema::checkConfigMap(const std::map<std::string, std::string>& data,
                                 const std::vector<rollout::FlagValue>& flags, const rollout::DocumentMetadata& meta) {
  auto text = data.find(rollout::FlagDocument::kFlagdKey);
  FRO_FUZZ_CHECK(text != data.end(), "no flags.flagd.json key");
  const json doc = json::parse(text->second, nullptr, /*allow_exceptions=*/false);
  FRO_FUZZ_CHECK(!doc.is_discarded(), "flags.flagd.json does not parse as JSON");
  FRO_FUZZ_CHECK(doc.is_object() && only(doc, {"$schema", "flags", "metadata", "$evaluators"}),
                 "the document is not an object of the schema's fields");
  FRO_FUZZ_CHECK(doc.value("$schema", json()) == "https://flagd.dev/schema/v0/flags.json", "$schema is not flagd's");
  FRO_FUZZ_CHECK(doc.contains("flags") && doc["flags"].is_object(), "flags is not an object");

  // The last definition of a name wins, as in a JSON object.
  std::map<std::string, int> want;
  for (const auto& f : flags)
    if (validKey(f.name)) want[f.name] = std::clamp(f.percent, 0, 100);
  std::set<std::string> got, expected;
  for (const auto& [k, v] : doc["flags"].items()) got.insert(k);
  for (const auto& [k, p] : want) expected.insert(k);
  FRO_FUZZ_CHECK(got == expected, "the document's flag keys are not the names flagd can key");
  for (const auto& [name, percent] : want) checkFlag(name, doc["flags"][name], percent);

  if (meta.revision > 0) {
    FRO_FUZZ_CHECK(doc.contains("metadata") && doc["metadata"].is_object(), "metadata missing for a revision");
    for (const auto& [k, v] : doc["metadata"].items())
      FRO_FUZZ_CHECK(v.is_string() || v.is_number() || v.is_boolean(), "a metadata value that is not a string, number or boolean");
    FRO_FUZZ_CHECK(doc["metadata"].value("revision", json()) == meta.revision, "metadata.revision is not the revision");
    FRO_FUZZ_CHECK(doc["metadata"].value("rollout", json()) == Utf8::sanitize(meta.rollout), "metadata.rollout is not the rollout");
  } else {
    FRO_FUZZ_CHECK(!doc.contains("metadata"), "metadata without a revision");
  }

  // <ENV> and <ENV>_PERCENT of every flag that is alone in writing them.
  std::map<std::string, int> writers;
  for (const auto& f : flags) ++writers[f.envVar], ++writers[f.envVar + "_PERCENT"];
  for (const auto& f : flags) {
    const std::string pct = f.envVar + "_PERCENT";
    if (writers[f.envVar] != 1 || writers[pct] != 1 || f.envVar == rollout::FlagDocument::kFlagdKey ||
        pct == rollout::FlagDocument::kFlagdKey)
      continue;
    const int p = std::clamp(f.percent, 0, 100);
    FRO_FUZZ_CHECK(data.count(f.envVar) && data.at(f.envVar) == (p >= 100 ? "true" : "false"), "<ENV> disagrees with the percent");
    FRO_FUZZ_CHECK(data.count(pct) && data.at(pct) == std::to_string(p), "<ENV>_PERCENT disagrees with the percent");
  }
}

}  // namespace fro::fuzz
