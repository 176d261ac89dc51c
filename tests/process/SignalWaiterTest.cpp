// SIGTERM/SIGINT end the wait the way the kubelet and a terminal deliver them; raise() stands in.
#include "runtime/process/SignalWaiter.h"

#include <gtest/gtest.h>

#include <csignal>
#include <thread>

namespace fro::process {
namespace {

using namespace std::chrono_literals;

TEST(SignalWaiterTest, SigtermEndsTheWait) {
  auto w = SignalWaiter::create();
  ASSERT_TRUE(w.ok()) << w.error().message;
  std::raise(SIGTERM);
  EXPECT_EQ((*w)->wait(), SIGTERM);
}

TEST(SignalWaiterTest, SigintFromAnotherThreadEndsTheWait) {
  auto w = SignalWaiter::create({.exitOnSecondSignal = false});
  ASSERT_TRUE(w.ok());
  std::thread t([] { std::raise(SIGINT); });
  EXPECT_EQ((*w)->waitFor(10s), SIGINT);
  t.join();
}

TEST(SignalWaiterTest, NothingArrivedMeansTimeout) {
  auto w = SignalWaiter::create();
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->waitFor(20ms), std::nullopt);
}

TEST(SignalWaiterTest, NotifyWakesWithoutASignal) {
  auto w = SignalWaiter::create();
  ASSERT_TRUE(w.ok());
  std::thread t([&] { (*w)->notify(); });
  EXPECT_EQ((*w)->waitFor(10s), 0);
  t.join();
}

TEST(SignalWaiterTest, OnlyOneAtATime) {
  auto first = SignalWaiter::create();
  ASSERT_TRUE(first.ok());
  auto second = SignalWaiter::create();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message, "signal waiter: another SignalWaiter is active");
  first->reset();
  EXPECT_TRUE(SignalWaiter::create().ok());
}

TEST(SignalWaiterTest, DestructorRestoresThePreviousHandler) {
  static volatile std::sig_atomic_t seen = 0;
  auto previous = std::signal(SIGTERM, [](int) { seen = 1; });
  { auto w = SignalWaiter::create(); ASSERT_TRUE(w.ok()); }
  std::raise(SIGTERM);
  EXPECT_EQ(seen, 1);
  std::signal(SIGTERM, previous);
}

TEST(SignalWaiterDeathTest, SecondSignalExitsAtOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        auto w = SignalWaiter::create();
        std::raise(SIGTERM);
        if ((*w)->wait() == SIGTERM) std::raise(SIGTERM);  // graceful shutdown "hangs"; the user insists
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(128 + SIGTERM), "");
}

}  // namespace
}  // namespace fro::process
