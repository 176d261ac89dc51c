#pragma once
// The percent-of-users rule shared by the operator, the demo service and the kubectl plugin.
// It is flagd's "fractional" rule, so OpenFeature SDKs with a flagd provider bucket users exactly
// as we do: h = MurmurHash3_x86_32(flagKey + userKey, seed 0), bucket = (h * 100) >> 32,
// and a user has the flag when bucket < percent. Raising the percent only ever adds users.
#include <cstdint>
#include <string_view>

namespace fro::rollout {

class Bucketing {
 public:
  static std::uint32_t murmur3_32(std::string_view data, std::uint32_t seed = 0);
  // 0..99
  static int bucket(std::string_view flagKey, std::string_view userKey);
  static bool inRollout(std::string_view flagKey, std::string_view userKey, int percent);
};

}  // namespace fro::rollout
