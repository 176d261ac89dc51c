#pragma once
// How many synthetic requests are due at a given time for a steady rate. Time is passed in, so
// the pacing is tested without sleeping. After a stall (the process was stopped, the machine
// was busy) at most one second of backlog is sent, instead of a burst.
#include <chrono>

namespace fro::demo {

class LoadPacer {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  LoadPacer(double ratePerSecond, time_point start) : rate_(ratePerSecond), start_(start) {}

  // Requests to send now; the caller sends exactly that many.
  long due(time_point now);

 private:
  double rate_;
  time_point start_;
  long sent_ = 0;
};

}  // namespace fro::demo
