#pragma once
// The seam between the planner and gate evaluation. The planner never talks to Prometheus: it
// tells a GateProvider which gates the current step needs (and since when), and reads back the
// latest results. Evaluation runs asynchronously elsewhere, so a slow Prometheus never blocks a
// reconcile; a provider with no results simply makes the step wait.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rollout/planner/RolloutSpec.h"

namespace fro::rollout {

enum class GateResult { Passed, Warning, Critical, NoData, Error };

const char* toString(GateResult r);
// nullopt for any other text (status written before a gate was evaluated has none).
std::optional<GateResult> parseGateResult(std::string_view text);

// What the current step needs evaluated. Re-sent on every reconcile; identical requests are no-ops.
struct GateRequest {
  std::string nameSpace;  // the FeatureRollout's namespace (Secrets are read from it)
  std::vector<Gate> gates;  // the current phase's gates, resolved from spec.analysis.gates
  PrometheusSpec prometheus;
  std::chrono::milliseconds interval{60000};
  // Only evaluations started at or after this count (the step's activation time). A request with
  // a different `since` starts a new series: consecutive counts restart from zero.
  std::chrono::system_clock::time_point since{};
};

struct GateObservation {
  std::string name;
  std::string query;
  GateResult result = GateResult::NoData;
  std::optional<double> value;  // absent for NoData and Error
  std::string threshold;        // the threshold that decided, e.g. "warning above 0.02"; empty when Passed
  std::string message;          // human-readable, names value and threshold or the error text
  std::chrono::system_clock::time_point evaluatedAt{};
  // Consecutive evaluations since `since` that the gate's policy counts as a pass (Passed, or
  // NoData with onNoData=pass); reset by any other result.
  int consecutivePasses = 0;
  // Consecutive Error results since `since`; reset by any non-error result.
  int consecutiveErrors = 0;
  // A configuration fault that retrying will not fix (a missing Secret or key, a bad address):
  // the planner reports Stalled at once instead of waiting for maxConsecutiveErrors.
  bool permanent = false;
};

class GateProvider {
 public:
  virtual ~GateProvider() = default;
  // Keyed by "namespace/name" of the FeatureRollout.
  virtual void want(const std::string& key, const GateRequest& request) = 0;
  // Stop evaluating for key (rollout finished, paused, rolled back or deleted).
  virtual void forget(const std::string& key) = 0;
  // Latest observation per gate for the current request of key (only those evaluated since
  // request.since); empty when none yet.
  virtual std::vector<GateObservation> observe(const std::string& key) const = 0;
};

}  // namespace fro::rollout
