#pragma once
// One line of a Kubernetes watch stream: {"type": "...", "object": {...}}.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/common/Result.h"

namespace fro::kube {

struct WatchEvent {
  enum class Type { Added, Modified, Deleted, Bookmark, Error };
  Type type = Type::Added;
  nlohmann::json object;

  // For Error events: the Status code (410 means the resourceVersion is too old: relist); 0 when
  // it is missing or not an int. resourceVersion(): metadata.resourceVersion, "" when it is
  // missing or not a string. Neither throws: the line came from outside.
  int errorCode() const;
  std::string resourceVersion() const;

  // Parses one line; garbage or an unknown type is an Error value naming what was wrong.
  static Result<WatchEvent> parse(std::string_view line);
};

}  // namespace fro::kube
