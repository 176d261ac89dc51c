#pragma once
// The faults currently injected, by flag name. Thread-safe: the control endpoint writes, the load
// loop reads a snapshot per batch of requests.
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include "demo/service/FaultSpec.h"

namespace fro::demo {

class FaultRegistry {
 public:
  void set(const std::string& flag, FaultSpec spec);
  bool clear(const std::string& flag);  // false: there was none
  std::size_t clearAll();
  std::map<std::string, FaultSpec> snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, FaultSpec> faults_;
};

}  // namespace fro::demo
