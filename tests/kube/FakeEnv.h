#pragma once
// An environment for code that takes a fro::kube::Getenv, so tests never read or change the
// process environment.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "runtime/kube/InClusterConfig.h"

namespace fro::testing {

class FakeEnv {
 public:
  void set(const std::string& name, const std::string& value) { (*vars_)[name] = value; }
  void unset(const std::string& name) { vars_->erase(name); }

  kube::Getenv getenv() const {
    return [vars = vars_](const std::string& name) -> std::optional<std::string> {
      auto it = vars->find(name);
      if (it == vars->end()) return std::nullopt;
      return it->second;
    };
  }

 private:
  std::shared_ptr<std::map<std::string, std::string>> vars_ = std::make_shared<std::map<std::string, std::string>>();
};

}  // namespace fro::testing
