#pragma once
// One problem `kubectl featurerollout lint` reports: the field it is in, what is wrong with the
// value, a hint on how to fix it (may be empty), and how bad it is:
//   Error    the API server or the operator would refuse the document (lint exits 1);
//   Warning  it would be accepted, but is likely not what you mean (printed as "warning: ...";
//            the exit status stays 0 unless there are errors too).
#include <string>

namespace fro::plugin {

enum class Severity { Error, Warning };

struct LintProblem {
  std::string field;  // spec.phases[1].steps[0].percent; "" for the document as a whole
  std::string message;
  std::string hint;
  Severity severity = Severity::Error;
};

}  // namespace fro::plugin
