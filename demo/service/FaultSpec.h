#pragma once
// A fault injected into one flag's code path: requests of users who have the flag fail with 500 at
// errorRate and take latencyMs longer.
namespace fro::demo {

struct FaultSpec {
  double errorRate = 0;  // 0..1
  int latencyMs = 0;     // extra latency, >= 0

  bool operator==(const FaultSpec&) const = default;
};

}  // namespace fro::demo
