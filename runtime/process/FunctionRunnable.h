#pragma once
// A Runnable made of functions, so main.cpp assembles the process without an adapter class per
// part. Empty functions do nothing (start and stop succeed, always synced).
#include <functional>
#include <utility>

#include "runtime/process/Runnable.h"

namespace fro::process {

class FunctionRunnable final : public Runnable {
 public:
  struct Functions {
    std::function<Status()> start;
    std::function<bool(std::chrono::milliseconds grace)> stop;
    std::function<bool()> synced;
    std::function<std::vector<std::string>()> pending;
  };

  FunctionRunnable(std::string name, bool needsLeadership, Functions f)
      : name_(std::move(name)), needsLeadership_(needsLeadership), f_(std::move(f)) {}

  std::string name() const override { return name_; }
  bool needsLeadership() const override { return needsLeadership_; }
  Status start() override { return f_.start ? f_.start() : ok(); }
  bool synced() const override { return f_.synced ? f_.synced() : true; }
  std::vector<std::string> pending() const override { return f_.pending ? f_.pending() : std::vector<std::string>{}; }
  bool stop(std::chrono::milliseconds grace) override { return f_.stop ? f_.stop(grace) : true; }

 private:
  std::string name_;
  bool needsLeadership_;
  Functions f_;
};

}  // namespace fro::process
