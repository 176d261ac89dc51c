#pragma once
// `kubectl featurerollout bucket`: which bucket (0-99) a user falls in for a flag, and whether
// they have it at a percent, by fro::rollout::Bucketing (flagd's "fractional" rule, docs/DESIGN.md
// section 4), the rule the demo service and OpenFeature flagd providers apply. Pure.
#include <optional>
#include <string>

namespace fro::plugin {

class BucketView {
 public:
  static std::string render(const std::string& flag, const std::string& user, std::optional<int> percent);
};

}  // namespace fro::plugin
