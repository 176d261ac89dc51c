#include "plugin/BucketView.h"

#include <fmt/format.h>

#include "rollout/planner/Bucketing.h"

namespace fro::plugin {

using rollout::Bucketing;

std::string BucketView::render(const std::string& flag, const std::string& user, std::optional<int> percent) {
  std::uint32_t h = Bucketing::murmur3_32(flag + user, 0);
  int b = Bucketing::bucket(flag, user);
  std::string out = fmt::format("flag {}, user {}: bucket {}\n", flag, user, b);
  out += fmt::format("  MurmurHash3_x86_32(\"{}{}\", seed 0) = {}, bucket = ({} * 100) >> 32 = {}\n", flag, user, h, h, b);
  out += fmt::format("  has the flag from {}% up (a user has it when bucket < percent)\n", b + 1);
  if (percent) {
    bool in = Bucketing::inRollout(flag, user, *percent);
    out += fmt::format("  at {}%: {}\n", *percent, in ? "yes, has the flag" : "no, does not have the flag");
  }
  return out;
}

}  // namespace fro::plugin
