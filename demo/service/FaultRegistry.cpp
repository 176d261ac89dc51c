#include "demo/service/FaultRegistry.h"

namespace fro::demo {

void FaultRegistry::set(const std::string& flag, FaultSpec spec) {
  std::lock_guard l(mu_);
  faults_[flag] = spec;
}

bool FaultRegistry::clear(const std::string& flag) {
  std::lock_guard l(mu_);
  return faults_.erase(flag) > 0;
}

std::size_t FaultRegistry::clearAll() {
  std::lock_guard l(mu_);
  std::size_t n = faults_.size();
  faults_.clear();
  return n;
}

std::map<std::string, FaultSpec> FaultRegistry::snapshot() const {
  std::lock_guard l(mu_);
  return faults_;
}

}  // namespace fro::demo
