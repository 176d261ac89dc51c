#pragma once
// `kubectl featurerollout lint`: the checks the API server and the operator would apply to a
// FeatureRollout manifest, offline. Three layers, deduplicated (one problem per field):
//   1. apiVersion, kind and metadata (name a DNS subdomain of at most 63 characters: it is also a
//      label value on the ConfigMap);
//   2. the CRD's structural schema (SchemaValidator: unknown fields, types, enum, patterns,
//      bounds, duplicates in set/map lists);
//   3. fro::rollout::RolloutSpec::parse, the operator's own validation, which also covers the
//      CRD's CEL rules (references between phases, flags and gates, step order, env var clashes).
// A problem found by an earlier layer hides what a later layer says about the same field, an
// enclosing one or one inside it (a wrongly typed threshold is not reported again as "must set
// above or below", a duplicate flag not again as a duplicate name).
// Across documents and files (WorkloadClaims): two rollouts in one namespace that target the same
// workload are an error on the later one.
// Severities (LintProblem.h): errors are what would be refused; warnings ("FILE:DOC: warning:
// FIELD: ...") are accepted but likely wrong, and do not change the exit status. The one warning
// today: phases are gated but spec.prometheus.address is empty, so the gates depend on the
// operator's --default-prometheus-address (which the Helm chart leaves unset by default).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin/LintProblem.h"
#include "plugin/SchemaValidator.h"
#include "plugin/WorkloadClaims.h"

namespace fro::plugin {

struct LintReport {
  std::vector<std::string> problems;  // "FILE:DOC: [warning: ]FIELD: MESSAGE (hint: ...)", for stdout
  std::vector<std::string> notes;     // skipped documents and summaries, for stderr
  int errors = 0;
  int warnings = 0;
  int featureRollouts = 0;  // documents checked
};

class Linter {
 public:
  explicit Linter(SchemaValidator schema);

  // Problems of one object that claims to be a FeatureRollout.
  std::vector<LintProblem> lintObject(const nlohmann::json& obj) const;
  // Every document of a YAML text; `file` names it in the output ("-" for stdin). Each
  // FeatureRollout document is also added to `claims`, when given, for the check across files.
  LintReport lintText(const std::string& text, const std::string& file, WorkloadClaims* claims = nullptr) const;

  static std::string format(const std::string& file, int doc, const LintProblem& p);

 private:
  SchemaValidator schema_;
};

}  // namespace fro::plugin
