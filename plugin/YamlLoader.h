#pragma once
// YAML to JSON the way kubectl reads manifests (sigs.k8s.io/yaml on go-yaml v2): plain scalars
// resolve with YAML 1.1 rules (yes/no/on/off are booleans, 0x1F and 017 are integers, ~ is
// null), quoted scalars stay strings, a key set twice in one mapping is an error. Several
// documents per file ("---"); empty documents are dropped. yaml-cpp exceptions stop here.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/Result.h"

namespace fro::plugin {

struct YamlDocument {
  int index = 0;  // 1-based position among the file's documents (empty ones count too)
  nlohmann::json value;
  // Problems found while converting (duplicate keys, values JSON cannot hold): "path: message".
  std::vector<std::pair<std::string, std::string>> problems;
};

class YamlLoader {
 public:
  // Every non-empty document of `text`; a syntax error is an Error naming the line and column.
  static Result<std::vector<YamlDocument>> load(const std::string& text);
};

}  // namespace fro::plugin
