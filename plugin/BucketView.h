#pragma once
// `kubectl featurerollout bucket`: which bucket (0-99) a user falls in for a flag, and whether
// they have it at a percent, by fro::rollout::Bucketing (flagd's "fractional" rule, docs/DESIGN.md
// section 4) with the engine an SDK uses (docs/SDK-COMPATIBILITY.md): murmur3 hashes
// flagKey + userKey, cbor the CBOR array [flagKey, userKey]. An empty user key has no bucket and
// gets the flag's default, as flagd serves it. Pure.
#include <optional>
#include <string>

#include "rollout/planner/Bucketing.h"

namespace fro::plugin {

class BucketView {
 public:
  static std::string render(const std::string& flag, const std::string& user, std::optional<int> percent,
                            rollout::Bucketing::Engine engine = rollout::Bucketing::Engine::Murmur3);
};

}  // namespace fro::plugin
