#pragma once
// Randomness is injected so request outcomes can be tested with chosen draws.
namespace fro::demo {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Uniform in [0, 1).
  virtual double uniform() = 0;
};

}  // namespace fro::demo
