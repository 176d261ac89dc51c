#pragma once
// The flags the service currently applies and what changed with each read of the ConfigMap.
// A flag once seen stays known: when it disappears (or the whole ConfigMap does) it is at 0%,
// so its gauges drop to 0 instead of vanishing. Not thread-safe (the poll thread owns it).
#include <map>
#include <string>
#include <vector>

#include "demo/service/DemoFlag.h"

namespace fro::demo {

class FlagState {
 public:
  struct Change {
    std::string flag;
    int from = -1;  // -1: first seen
    int to = 0;
    bool operator==(const Change&) const = default;
  };

  // The flags just read (an empty list: no ConfigMap). Returns the changes, by flag name.
  std::vector<Change> update(const std::vector<DemoFlag>& read);
  // Every known flag with its percent, sorted by name.
  std::vector<DemoFlag> current() const;

  static std::string describe(const Change& c);

 private:
  std::map<std::string, int> percent_;
};

}  // namespace fro::demo
