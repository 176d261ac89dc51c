#pragma once
// Waits for SIGTERM or SIGINT (the kubelet stops a pod with SIGTERM; a terminal sends SIGINT).
//
// Self-pipe: while a SignalWaiter exists, the handlers of SIGTERM and SIGINT write the signal number
// into a pipe that wait() polls, so it works whatever the signal masks of other threads are, and a
// raise() in a test is seen like a real signal. A second signal after the first one was delivered
// by wait() terminates the process at once with 128+signal (like controller-runtime: a user who
// presses Ctrl-C twice does not want to wait for the graceful shutdown).
//
// At most one SignalWaiter may exist at a time; the constructor fails loudly otherwise (create() is
// the non-throwing form). The destructor restores the previous handlers.
#include <chrono>
#include <memory>
#include <optional>

#include "runtime/common/Result.h"

namespace fro::process {

class SignalWaiter {
 public:
  struct Options {
    // After wait() has returned a signal, the next SIGTERM/SIGINT calls _exit(128 + signal).
    bool exitOnSecondSignal = true;
  };

  static Result<std::unique_ptr<SignalWaiter>> create(Options options);
  static Result<std::unique_ptr<SignalWaiter>> create() { return create(Options{}); }
  ~SignalWaiter();
  SignalWaiter(const SignalWaiter&) = delete;
  SignalWaiter& operator=(const SignalWaiter&) = delete;

  // Blocks until SIGTERM or SIGINT arrives (returns it) or notify() is called (returns 0).
  int wait();
  // Same with a bound: nullopt when nothing arrived within `timeout`.
  std::optional<int> waitFor(std::chrono::milliseconds timeout);
  // Wakes wait() from another thread without a signal (e.g. leadership lost: shut down too).
  // Async-signal-safe and callable from any thread.
  void notify();

 private:
  SignalWaiter() = default;
  std::optional<int> waitImpl(int timeoutMs);
};

}  // namespace fro::process
