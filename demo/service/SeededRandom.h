#pragma once
// The production RandomSource: a seeded Mersenne Twister, so a run can be repeated (--seed).
// Not thread-safe: one per thread.
#include <cstdint>
#include <random>

#include "demo/service/RandomSource.h"

namespace fro::demo {

class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}
  double uniform() override { return dist_(engine_); }
  std::uint64_t next() { return engine_(); }

 private:
  std::mt19937_64 engine_;
  std::uniform_real_distribution<double> dist_{0.0, 1.0};
};

}  // namespace fro::demo
