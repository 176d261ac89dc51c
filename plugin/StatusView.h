#pragma once
// What `kubectl featurerollout status` and `list` print: pure functions of the resource JSON
// (spec for the phase timeline, status for progress), the current time (for ages and the time
// left in a pause) and the Style (colours). Golden-tested.
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "plugin/Style.h"

namespace fro::plugin {

class StatusView {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // One FeatureRollout in detail: state, phases as a timeline, flags, gates vs thresholds,
  // conditions, rollback, recent history.
  static std::string render(const nlohmann::json& rollout, TimePoint now, const Style& style);
  // A table of FeatureRollouts (the items of a list), with a NAMESPACE column when allNamespaces.
  static std::string renderList(const nlohmann::json& items, TimePoint now, const Style& style, bool allNamespaces);
  // "3d", "5h", "12m", "40s" (kubectl's age style); "" for an unparsable timestamp.
  static std::string age(const std::string& rfc3339, TimePoint now);
  // One line: "state Progressing, phase core (2/5), step 2/3 at 50%".
  static std::string summary(const nlohmann::json& rollout);
};

}  // namespace fro::plugin
