#include "rollout/planner/Bucketing.h"

#include <cstring>

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

std::optional<Bucketing::Engine> Bucketing::parseEngine(std::string_view name) {
  if (name == "murmur3") return Engine::Murmur3;
  if (name == "cbor") return Engine::Cbor;
  return std::nullopt;
}

const char* Bucketing::toString(Engine e) { return e == Engine::Cbor ? "cbor" : "murmur3"; }

std::string Bucketing::cborPair(std::string_view a, std::string_view b) {
  std::string out(1, char(0x82));  // major type 4 (array), 2 items
  for (std::string_view s : {a, b}) {
    // Major type 3 (text string) with the shortest length form, as canonical CBOR requires.
    const std::uint64_t n = s.size();
    if (n < 24) {
      out += char(0x60 | n);
    } else {
      int bytes = n <= 0xff ? 1 : n <= 0xffff ? 2 : n <= 0xffffffffu ? 4 : 8;
      out += char(bytes == 1 ? 0x78 : bytes == 2 ? 0x79 : bytes == 4 ? 0x7a : 0x7b);
      for (int i = bytes - 1; i >= 0; --i) out += char((n >> (8 * i)) & 0xff);
    }
    out.append(s);
  }
  return out;
}

std::string Bucketing::hashInput(std::string_view flagKey, std::string_view userKey, Engine e) {
  if (e == Engine::Cbor) return cborPair(flagKey, userKey);
  std::string key;
  key.reserve(flagKey.size() + userKey.size());
  key.append(flagKey).append(userKey);
  return key;
}

int Bucketing::bucket(std::string_view flagKey, std::string_view userKey, Engine e) {
  return static_cast<int>((std::uint64_t(murmur3_32(hashInput(flagKey, userKey, e))) * 100) >> 32);
}

bool Bucketing::inRollout(std::string_view flagKey, std::string_view userKey, int percent, Engine e) {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  // flagd's fractional needs a targeting key; without one the flag's default variant ("off") is served.
  if (userKey.empty()) return false;
  return bucket(flagKey, userKey, e) < percent;
}

}  // namespace fro::rollout
