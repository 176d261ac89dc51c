#include "demo/service/RequestSimulator.h"

#include <algorithm>

#include "rollout/planner/Bucketing.h"

namespace fro::demo {

RequestOutcome RequestSimulator::simulate(std::string_view user, const std::vector<DemoFlag>& flags,
                                          const std::map<std::string, FaultSpec>& faults,
                                          RandomSource& random) const {
  RequestOutcome out;
  out.seconds = baseline_.minLatencySeconds +
                (baseline_.maxLatencySeconds - baseline_.minLatencySeconds) * random.uniform();
  if (random.uniform() < baseline_.errorRate) out.code = 500;

  std::vector<const DemoFlag*> sorted;
  for (const auto& f : flags) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const DemoFlag* f : sorted) {
    if (!rollout::Bucketing::inRollout(f->name, user, f->percent)) continue;
    out.flags.push_back(f->name);
    auto it = faults.find(f->name);
    if (it == faults.end()) continue;
    if (out.faultFlag == "none") out.faultFlag = f->name;
    out.seconds += it->second.latencyMs / 1000.0;
    if (it->second.errorRate > 0 && random.uniform() < it->second.errorRate) out.code = 500;
  }
  return out;
}

std::string RequestSimulator::userId(int index, int count) {
  std::string digits = std::to_string(index);
  std::size_t width = std::max<std::size_t>(4, std::to_string(count).size());
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return "user-" + digits;
}

int RequestSimulator::usersWithFlag(const DemoFlag& flag, int count) {
  int n = 0;
  for (int i = 1; i <= count; ++i)
    if (rollout::Bucketing::inRollout(flag.name, userId(i, count), flag.percent)) ++n;
  return n;
}

}  // namespace fro::demo
