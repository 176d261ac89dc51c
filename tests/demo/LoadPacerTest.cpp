#include "demo/service/LoadPacer.h"

#include <gtest/gtest.h>

namespace fro::demo {
namespace {

using namespace std::chrono_literals;

TEST(LoadPacer, SendsTheRateOverTimeWhateverTheTickLength) {
  auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  LoadPacer p(50, t0);
  long total = 0;
  for (int i = 1; i <= 100; ++i) total += p.due(t0 + i * 17ms);  // odd ticks: 1.7 s
  EXPECT_EQ(total, 85);
  EXPECT_EQ(p.due(t0 + 1700ms), 0) << "nothing more at the same instant";
}

TEST(LoadPacer, FractionalRatesAccumulate) {
  auto t0 = std::chrono::steady_clock::time_point{};
  LoadPacer p(0.5, t0);
  EXPECT_EQ(p.due(t0 + 1s), 0);
  EXPECT_EQ(p.due(t0 + 2s), 1);
  EXPECT_EQ(p.due(t0 + 3s), 0);
  EXPECT_EQ(p.due(t0 + 4s), 1);
}

TEST(LoadPacer, AfterAStallSendsAtMostOneSecondOfBacklog) {
  auto t0 = std::chrono::steady_clock::time_point{};
  LoadPacer p(50, t0);
  EXPECT_EQ(p.due(t0 + 1s), 50);
  EXPECT_EQ(p.due(t0 + 11s), 50) << "ten seconds lost, one second sent";
  EXPECT_EQ(p.due(t0 + 12s), 50) << "then the steady rate again";
  EXPECT_EQ(p.due(t0 - 1s), 0) << "time never runs backwards on a steady clock; if it did, nothing is sent";
}

}  // namespace
}  // namespace fro::demo
