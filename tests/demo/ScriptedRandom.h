#pragma once
// A RandomSource that returns the draws a test chose, in order, then `rest` forever.
#include <deque>

#include "demo/service/RandomSource.h"

namespace fro::demo::testing {

class ScriptedRandom final : public RandomSource {
 public:
  ScriptedRandom(std::initializer_list<double> draws, double rest = 0.5) : draws_(draws), rest_(rest) {}
  double uniform() override {
    ++used;
    if (draws_.empty()) return rest_;
    double d = draws_.front();
    draws_.pop_front();
    return d;
  }
  int used = 0;

 private:
  std::deque<double> draws_;
  double rest_;
};

}  // namespace fro::demo::testing
