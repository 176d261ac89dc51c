#pragma once
// The percent-of-users rule shared by the operator, the demo service and the kubectl plugin.
// It is flagd's "fractional" rule, so OpenFeature SDKs with a flagd provider bucket users as we
// do: h = MurmurHash3_x86_32(input, seed 0), bucket = (h * 100) >> 32, and a user has the flag
// when bucket < percent. Raising the percent only ever adds users. What is hashed depends on the
// engine (docs/SDK-COMPATIBILITY.md says which SDK uses which):
//   Murmur3  flagKey + userKey, concatenated UTF-8 bytes (flagd today, the JS and Go providers);
//   Cbor     the canonical CBOR encoding of the array [flagKey, userKey] (the Python provider
//            0.6.x, through openfeature-flagd-core 2.x; flagd's announced next rule).
// An empty user key has no bucket: flagd's fractional rule then falls back to the flag's default
// variant, which in our document is "on" only at 100%.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fro::rollout {

class Bucketing {
 public:
  enum class Engine { Murmur3, Cbor };
  static std::optional<Engine> parseEngine(std::string_view name);  // "murmur3" or "cbor"
  static const char* toString(Engine e);

  static std::uint32_t murmur3_32(std::string_view data, std::uint32_t seed = 0);
  // Canonical CBOR of [a, b] as two text strings: 0x82, then each string's header and bytes.
  static std::string cborPair(std::string_view a, std::string_view b);
  // The bytes the engine hashes for this flag and user.
  static std::string hashInput(std::string_view flagKey, std::string_view userKey, Engine e = Engine::Murmur3);
  // 0..99, the bucket of a non-empty user key.
  static int bucket(std::string_view flagKey, std::string_view userKey, Engine e = Engine::Murmur3);
  static bool inRollout(std::string_view flagKey, std::string_view userKey, int percent, Engine e = Engine::Murmur3);
};

}  // namespace fro::rollout
