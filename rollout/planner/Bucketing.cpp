#include "rollout/planner/Bucketing.h"

#include <cstring>
#include <string>

namespace fro::rollout {

namespace {
inline std::uint32_t rotl32(std::uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
}  // namespace

std::uint32_t Bucketing::murmur3_32(std::string_view data, std::uint32_t seed) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const size_t len = data.size();
  const size_t nblocks = len / 4;
  constexpr std::uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  std::uint32_t h = seed;
  for (size_t i = 0; i < nblocks; ++i) {
    // Little-endian block read, independent of the host's byte order.
    std::uint32_t k = std::uint32_t(bytes[4 * i]) | std::uint32_t(bytes[4 * i + 1]) << 8 |
                      std::uint32_t(bytes[4 * i + 2]) << 16 | std::uint32_t(bytes[4 * i + 3]) << 24;
    k *= c1;
    k = rotl32(k, 15);
    k *= c2;
    h ^= k;
    h = rotl32(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const unsigned char* tail = bytes + nblocks * 4;
  std::uint32_t k = 0;
  switch (len & 3) {
    case 3: k ^= std::uint32_t(tail[2]) << 16; [[fallthrough]];
    case 2: k ^= std::uint32_t(tail[1]) << 8; [[fallthrough]];
    case 1:
      k ^= tail[0];
      k *= c1;
      k = rotl32(k, 15);
      k *= c2;
      h ^= k;
  }
  h ^= static_cast<std::uint32_t>(len);
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

int Bucketing::bucket(std::string_view flagKey, std::string_view userKey) {
  std::string key;
  key.reserve(flagKey.size() + userKey.size());
  key.append(flagKey).append(userKey);
  return static_cast<int>((std::uint64_t(murmur3_32(key)) * 100) >> 32);
}

bool Bucketing::inRollout(std::string_view flagKey, std::string_view userKey, int percent) {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return bucket(flagKey, userKey) < percent;
}

}  // namespace fro::rollout
