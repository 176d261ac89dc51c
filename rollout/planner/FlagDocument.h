#pragma once
// What the operator writes for a set of effective flag values (docs/DESIGN.md section 3):
//   <ENV>            "true" only when the flag is on for 100% of users, else "false", so an app
//                    that ignores percentages is never exposed early;
//   <ENV>_PERCENT    "0".."100", for apps that bucket users themselves;
//   flags.flagd.json a flagd flag-definition document; a partial percent becomes a "fractional"
//                    rule with "on" first, so with any flagd provider a higher percent only
//                    adds users; which users depends on the SDK's hash (docs/SDK-COMPATIBILITY.md:
//                    flagd and the JS core hash like Bucketing's murmur3 engine, Python like cbor).
//                    Only names flagd's schema can key are in it (not empty, valid UTF-8, no line
//                    break); RolloutSpec admits no others. metadata.rollout is made valid UTF-8.
// Pure functions of the values: same input, byte-identical output, so "nothing changed" is a
// string comparison and the checksum annotation only moves when a value does.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollout/planner/RolloutVocabulary.h"

namespace fro::rollout {

struct FlagValue {
  std::string name;
  std::string envVar;
  int percent = 0;  // share of users who have the flag on, 0..100
};

// The document's top-level flagd "metadata" (flag-set metadata, which flagd providers merge into
// every evaluation's flagMetadata): an app's OpenFeature hook can export the revision it serves.
struct DocumentMetadata {
  std::string rollout;         // "<namespace>/<name>"
  std::int64_t revision = 0;   // 0: no metadata object
};

class FlagDocument {
 public:
  static constexpr const char* kFlagdKey = "flags.flagd.json";
  // The API server refuses a ConfigMap whose keys and values add up to more than 1 MiB.
  static constexpr std::size_t kMaxDataBytes = 1024 * 1024;

  static nlohmann::json flagd(const std::vector<FlagValue>& flags, const DocumentMetadata& meta = {});
  // The ConfigMap's data (sorted keys).
  static std::map<std::string, std::string> configMapData(const std::vector<FlagValue>& flags,
                                                          const DocumentMetadata& meta = {});
  // SHA-256 (hex) of the data: the pod-template annotation that rolls pods when a value changes.
  static std::string checksum(const std::map<std::string, std::string>& data);
  // The pod-template annotation for a restart policy: of every key (EveryChange), of the <ENV>
  // booleans only (BooleanChange: percent changes reach pods through the file), "" for Never.
  static std::string restartChecksum(const std::vector<FlagValue>& flags, const std::map<std::string, std::string>& data,
                                     RestartOn restartOn);
  // What the API server counts against kMaxDataBytes.
  static std::size_t dataBytes(const std::map<std::string, std::string>& data);
};

}  // namespace fro::rollout
