#pragma once
// The FeatureRollout spec as the reconciler uses it: parsed from the resource's JSON and checked
// for everything the CRD schema and CEL rules say (plus what they cannot), so a resource that got
// past an older or edited CRD is still refused with an InvalidSpec condition naming the field.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/Result.h"
#include "rollout/planner/RolloutVocabulary.h"

namespace fro::rollout {

struct Target {
  std::string kind;  // Deployment | StatefulSet | DaemonSet
  std::string name;
  std::vector<std::string> containers;  // empty = every container
};

struct Flag {
  std::string name;
  std::string envVar;
  bool defaultValue = false;
  std::string description;
};

struct Threshold {
  std::optional<double> above;
  std::optional<double> below;
  bool set() const { return above || below; }
  bool breached(double v) const { return (above && v > *above) || (below && v < *below); }
};

struct Gate {
  std::string name;
  std::string query;
  Threshold warning;
  Threshold critical;
  OnNoData onNoData = OnNoData::Hold;
};

struct SecretKeyRef {
  std::string name;
  std::string key;
};

struct PrometheusSpec {
  std::string address;  // empty: the operator's --default-prometheus-address
  std::chrono::milliseconds timeout{5000};
  std::optional<SecretKeyRef> bearerTokenSecretRef;
  std::optional<SecretKeyRef> caSecretRef;
};

struct Step {
  int percent = 100;
  std::chrono::milliseconds pause{0};
};

struct FailureAction {
  std::vector<std::string> disable;
  std::vector<std::string> enable;
};

struct Phase {
  std::string name;
  std::vector<std::string> enable;
  std::vector<std::string> disable;
  std::vector<Step> steps;
  std::vector<std::string> gates;
  std::optional<FailureAction> onFailure;  // default: disable what the phase enabled
};

// spec.delivery: how the values reach the pods (docs/DESIGN.md section 3).
struct Delivery {
  bool file = true;                        // the ConfigMap mounted as a directory, flagd env vars set
  std::string mountPath = "/etc/feature-flags";
  std::string volumeName = "feature-flags";
  RestartOn restartOn = RestartOn::BooleanChange;  // Never: no envFrom
  // File delivery: a step counts as active only this long after the ConfigMap was seen holding its
  // values (kubelet's 1m sync period plus the flagd providers' 5s file poll, with a margin).
  std::chrono::milliseconds allowance{90000};
  std::string exposureQuery;  // "": none; else active once its value >= status.delivery.revision

  bool env() const { return restartOn != RestartOn::Never; }
  std::string flagFilePath() const;  // <mountPath>/flags.flagd.json
};

struct FieldError {
  std::string field;    // e.g. spec.phases[1].steps[0].percent
  std::string message;  // names the value
};

struct RolloutSpec {
  std::vector<Target> targets;
  std::string configMapName;  // filled with <name>-flags when empty
  std::vector<Flag> flags;
  PrometheusSpec prometheus;
  std::chrono::milliseconds analysisInterval{60000};
  int consecutiveSuccesses = 1;
  int maxConsecutiveErrors = 5;
  std::vector<Gate> gates;
  std::vector<Phase> phases;
  RollbackPolicy rollback = RollbackPolicy::Automatic;
  bool paused = false;
  std::chrono::milliseconds progressDeadline{600000};
  Delivery delivery;

  const Flag* flag(const std::string& name) const;
  const Gate* gate(const std::string& name) const;
  int phaseIndex(const std::string& name) const;  // -1 when absent

  // spec.configMapName, or "<name>-flags" when it is unset: the one place that default is made.
  static std::string configMapNameOf(const nlohmann::json& spec, const std::string& name);

  // Parses spec (the resource's .spec) for the resource named `name`. Every problem found is
  // returned, not only the first, each naming its field and value.
  static Result<RolloutSpec> parse(const nlohmann::json& spec, const std::string& name,
                                   std::vector<FieldError>* errors = nullptr);
};

}  // namespace fro::rollout
