#pragma once
// What the reconciler reports about one FeatureRollout after a reconcile, in plain values so the
// metrics library does not depend on reconciler headers.
#include <optional>
#include <string>
#include <vector>

namespace fro::metrics {

struct FlagMetric {
  std::string name;
  double percent = 0;  // 0..100; the flag counts as enabled at 100
};

struct GateMetric {
  std::string name;
  std::optional<double> value;  // absent: no data or a query error (the fro_gate_value series goes away)
  std::string result;           // Passed | Warning | Critical | NoData | Error (others are exported as given)
};

struct ConditionMetric {
  std::string type;    // Ready, Progressing, Stalled, ...
  std::string status;  // True | False | Unknown
};

struct RolloutMetricsSnapshot {
  std::string nameSpace;
  std::string name;
  std::string phase;  // the current phase's name ("" before the first)
  int phaseIndex = 0;
  int step = 0;
  std::string state;  // Pending | Progressing | Holding | Paused | Succeeded | RolledBack | Invalid
  std::vector<FlagMetric> flags;  // every flag of the spec
  std::vector<GateMetric> gates;  // the gates evaluated for the current step (others are dropped)
  std::vector<ConditionMetric> conditions;  // status.conditions
};

}  // namespace fro::metrics
