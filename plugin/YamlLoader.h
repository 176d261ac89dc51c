#pragma once
// YAML to JSON the way kubectl reads manifests (sigs.k8s.io/yaml on go-yaml v2): plain scalars
// resolve with YAML 1.1 rules (yes/no/on/off are booleans, 0x1F and 017 are integers, ~ is
// null), quoted scalars stay strings, a key set twice keeps its last value (and is reported).
// Several documents per file ("---"); empty documents are dropped.
// Hostile input is an Error, never a crash: bytes that are not UTF-8 or control characters (with
// their line and column), aliases that refer to themselves or expand beyond a budget, nesting
// beyond a depth, files larger than kMaxBytes (YamlTreeBuilder.h has the bounds). yaml-cpp
// exceptions stop here.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/Result.h"

namespace fro::plugin {

struct YamlProblem {
  std::string field;    // e.g. spec.phases[0].steps[0].percent
  std::string message;  // names the value and the line
  bool refused = true;  // kubectl refuses the document; false: kubectl accepts it, reading it as we do
};

struct YamlDocument {
  int index = 0;  // 1-based position among the file's documents (empty ones count too)
  nlohmann::json value;
  // Problems found while converting (duplicate keys, values JSON cannot hold).
  std::vector<YamlProblem> problems;
};

class YamlLoader {
 public:
  static constexpr std::size_t kMaxBytes = 64u << 20;

  // Every non-empty document of `text`; a syntax error is an Error naming the line and column.
  static Result<std::vector<YamlDocument>> load(const std::string& text);
};

}  // namespace fro::plugin
