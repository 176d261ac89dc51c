#pragma once
// One problem `kubectl featurerollout lint` reports: the field it is in, what is wrong with the
// value, and a hint on how to fix it (may be empty).
#include <string>

namespace fro::plugin {

struct LintProblem {
  std::string field;  // spec.phases[1].steps[0].percent; "" for the document as a whole
  std::string message;
  std::string hint;
};

}  // namespace fro::plugin
