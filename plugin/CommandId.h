#pragma once
// Request ids of imperative commands: RFC 3339 UTC time with milliseconds, '-', four random
// characters [a-z0-9] (e.g. 2026-03-01T12:00:00.123Z-k3x9). The operator acts on a command once
// and acknowledges it by copying "<verb> <id>" to status.lastCommand, so two commands given in the
// same millisecond, from two terminals, still differ.
#include <chrono>
#include <string>

namespace fro::plugin {

class CommandId {
 public:
  static std::string make(std::chrono::system_clock::time_point now);
  // The time part alone, e.g. 2026-03-01T12:00:00.123Z.
  static std::string timestamp(std::chrono::system_clock::time_point now);
};

}  // namespace fro::plugin
