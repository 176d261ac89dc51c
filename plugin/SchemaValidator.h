#pragma once
// The structural part of the FeatureRollout CRD's openAPIV3Schema, checked the way the API server
// does: types, required fields, fields the schema does not declare, enum, pattern, min/max,
// minLength/maxLength (characters), minItems/maxItems, and duplicates in `set` and `map` lists.
// The schema is data (the CRD itself), so the plugin never drifts from what the server enforces.
// CEL rules (x-kubernetes-validations) are not interpreted: RolloutSpec::parse covers them.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/Result.h"
#include "plugin/LintProblem.h"

namespace fro::plugin {

class SchemaValidator {
 public:
  // schema: an openAPIV3Schema object.
  explicit SchemaValidator(nlohmann::json schema);

  // The schema of the CRD compiled into the plugin (crds/featurerollouts...yaml, v1alpha1).
  static Result<SchemaValidator> builtin();
  // The served version's schema from a CRD document (JSON form of the YAML).
  static Result<SchemaValidator> fromCrd(const nlohmann::json& crd, const std::string& version);

  // Checks `value` against the schema at `path` ("spec" checks against properties.spec).
  std::vector<LintProblem> validate(const nlohmann::json& value, const std::string& path) const;

  // First sentence of the description of the field at `path` (indices allowed), "" if unknown.
  std::string describe(const std::string& path) const;
  // The schema node at `path`, or null.
  const nlohmann::json* at(const std::string& path) const;

 private:
  void walk(const nlohmann::json& v, const nlohmann::json& s, const std::string& path,
            std::vector<LintProblem>& out) const;

  nlohmann::json schema_;
};

}  // namespace fro::plugin
