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

  // For Error events: the Status code (410 means the resourceVersion is too old: relist).
  int errorCode() const { return object.value("code", 0); }
  std::string resourceVersion() const;

  // Parses one line; garbage or an unknown type is an Error value naming what was wrong.
  static Result<WatchEvent> parse(std::string_view line);
};

}  // namespace fro::kube
