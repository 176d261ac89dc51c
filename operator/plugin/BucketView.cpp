#include "operator/plugin/BucketView.h"

#include "reconcilers/featurerollout/Bucketing.h"

namespace fro::plugin {

using rollout::Bucketing;

std::string BucketView::render(const std::string& flag, const std::string& user, std::optional<int> percent) {
  std::uint32_t h = Bucketing::murmur3_32(flag + user, 0);
  int b = Bucketing::bucket(flag, user);
  std::string out;
  out += "flag " + flag + ", user " + user + ": bucket " + std::to_string(b) + "\n";
  out += "  MurmurHash3_x86_32(\"" + flag + user + "\", seed 0) = " + std::to_string(h) + ", bucket = (" +
         std::to_string(h) + " * 100) >> 32 = " + std::to_string(b) + "\n";
  out += "  has the flag from " + std::to_string(b + 1) + "% up (a user has it when bucket < percent)\n";
  if (percent) {
    bool in = Bucketing::inRollout(flag, user, *percent);
    out += "  at " + std::to_string(*percent) + "%: " + (in ? "yes, has the flag" : "no, does not have the flag") + "\n";
  }
  return out;
}

}  // namespace fro::plugin
