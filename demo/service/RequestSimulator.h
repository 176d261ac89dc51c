#pragma once
// What one synthetic request does, as a pure function of the user, the flags, the injected faults
// and the random draws. Every flag the user has (Bucketing, docs/DESIGN.md section 4) is a code path
// the request takes; a fault on such a flag adds its latency and fails the request at its rate.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "demo/service/DemoFlag.h"
#include "demo/service/FaultSpec.h"
#include "demo/service/RandomSource.h"

namespace fro::demo {

struct RequestOutcome {
  int code = 200;
  double seconds = 0;
  // The first flag (by name) whose fault the request went through, "none" otherwise: the `flag`
  // label of http_requests_total, so a bad flag's share of the traffic is visible.
  std::string faultFlag = "none";
  std::vector<std::string> flags;  // the flags the user has, by name
};

class RequestSimulator {
 public:
  struct Baseline {
    double errorRate = 0.005;      // healthy service: 0.5% errors
    double minLatencySeconds = 0.03;  // uniform 30..70 ms: mean 50 ms
    double maxLatencySeconds = 0.07;
  };

  RequestSimulator() = default;
  explicit RequestSimulator(Baseline b) : baseline_(b) {}

  // Draws, in this order: baseline latency, baseline error, then one error draw per faulty flag the
  // user has (only when that fault's errorRate > 0).
  RequestOutcome simulate(std::string_view user, const std::vector<DemoFlag>& flags,
                          const std::map<std::string, FaultSpec>& faults, RandomSource& random) const;

  // user-0001 .. user-NNNN (at least four digits, zero padded to the width of `count`): stable ids.
  static std::string userId(int index, int count);
  // How many of users 1..count have the flag.
  static int usersWithFlag(const DemoFlag& flag, int count);

 private:
  Baseline baseline_;
};

}  // namespace fro::demo
