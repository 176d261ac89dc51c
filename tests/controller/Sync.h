#pragma once
// Hand-off helpers for the controller tests: every wait is bounded so a bug fails, never hangs.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <utility>

namespace fro::testing {

constexpr std::chrono::seconds kHandOff{10};  // generous bound; reached only on failure

// A test thread's body: an exception fails the test instead of terminating the test binary.
template <class F>
auto threadBody(F f) {
  return [f = std::move(f)]() mutable {
    try {
      f();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "a test thread threw: " << e.what();
    } catch (...) {
      ADD_FAILURE() << "a test thread threw a non-standard exception";
    }
  };
}

// A one-shot gate threads wait at until the test opens it.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::nanoseconds bound = kHandOff) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A counter a test can wait on.
class Counter {
 public:
  void inc() {
    std::lock_guard lock(mu_);
    ++n_;
    cv_.notify_all();
  }
  std::size_t value() {
    std::lock_guard lock(mu_);
    return n_;
  }
  bool waitFor(std::size_t n, std::chrono::nanoseconds bound = kHandOff) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [&] { return n_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t n_ = 0;
};

}  // namespace fro::testing
