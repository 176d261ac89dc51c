#pragma once
// What flagd's flag-definition schema (https://flagd.dev/schema/v0/flags.json, with
// targeting.json) requires of the documents FlagDocument writes, checked structurally for the
// fuzz targets: a violation traps (FuzzCheck.h). Shared by flag_document and rollout_spec.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rollout/planner/FlagDocument.h"

namespace fro::fuzz {

class FlagdSchema {
 public:
  // A key of "flags" or "variants": the schema's patternProperties "^.{1,}$" with
  // additionalProperties false. ECMAScript's (and Java's) '.' matches no line terminator, so the
  // key is valid UTF-8 of at least one character and holds none of \n, \r, U+0085, U+2028, U+2029.
  static bool validKey(std::string_view key);

  // Checks the ConfigMap data FlagDocument::configMapData wrote for `flags` and `meta`: the flagd
  // document parses, has the schema's structure and exactly the flags it can key, each with the
  // value its percent says; the <ENV> and <ENV>_PERCENT keys agree with it.
  static void checkConfigMap(const std::map<std::string, std::string>& data, const std::vector<rollout::FlagValue>& flags,
                             const rollout::DocumentMetadata& meta);
};

}  // namespace fro::fuzz
