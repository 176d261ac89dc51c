#include "plugin/BucketView.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace fro::plugin {

using rollout::Bucketing;

namespace {

std::string atPercent(int percent, bool in) {
  return fmt::format("  at {}%: {}\n", percent, in ? "yes, has the flag" : "no, does not have the flag");
}

std::string hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{}{:02x}", out.empty() ? "" : " ", c);
  return out;
}

// A user key that is not valid UTF-8 is shown with U+FFFD rather than thrown on.
std::string quoted(const std::string& s) { return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

std::string BucketView::render(const std::string& flag, const std::string& user, std::optional<int> percent,
                               Bucketing::Engine engine) {
  if (user.empty()) {
    // flagd's fractional needs a targeting key; without one it serves the default variant.
    std::string out = fmt::format("flag {}, user \"\": no bucket (an empty user key is not bucketed)\n", flag);
    out += "  gets the flag's default: off below 100%, on at 100% (flagd's fractional needs a targeting key)\n";
    if (percent) out += atPercent(*percent, Bucketing::inRollout(flag, user, *percent, engine));
    return out;
  }
  const std::string input = Bucketing::hashInput(flag, user, engine);
  const std::uint32_t h = Bucketing::murmur3_32(input, 0);
  const int b = Bucketing::bucket(flag, user, engine);
  std::string out = fmt::format("flag {}, user {}: bucket {}\n", flag, user, b);
  if (engine == Bucketing::Engine::Cbor) {
    // JSON string syntax is how CBOR's diagnostic notation writes text strings.
    out += fmt::format("  CBOR [{}, {}] = {}\n", quoted(flag), quoted(user), hex(input));
    out += fmt::format("  MurmurHash3_x86_32(those {} bytes, seed 0) = {}, bucket = ({} * 100) >> 32 = {}\n", input.size(), h, h, b);
  } else {
    out += fmt::format("  MurmurHash3_x86_32(\"{}{}\", seed 0) = {}, bucket = ({} * 100) >> 32 = {}\n", flag, user, h, h, b);
  }
  out += fmt::format("  has the flag from {}% up (a user has it when bucket < percent)\n", b + 1);
  if (percent) out += atPercent(*percent, Bucketing::inRollout(flag, user, *percent, engine));
  return out;
}

}  // namespace fro::plugin
