#include "runtime/process/SignalWaiter.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace fro::process {

namespace {

// Handler state must be reachable from a plain signal handler: globals, lock-free atomics only.
std::atomic<int> gWriteFd{-1};
std::atomic<int> gReadFd{-1};
std::atomic<bool> gDelivered{false};   // wait() has returned a signal
std::atomic<bool> gExitOnSecond{true};
std::atomic<bool> gInstance{false};
struct sigaction gOldTerm {};
struct sigaction gOldInt {};

void onSignal(int sig) {
  int saved = errno;
  if (gDelivered.load() && gExitOnSecond.load()) _exit(128 + sig);
  int fd = gWriteFd.load();
  if (fd >= 0) {
    auto byte = static_cast<unsigned char>(sig);
    // Non-blocking: if the pipe is full, a wake-up is already pending.
    [[maybe_unused]] auto n = ::write(fd, &byte, 1);
  }
  errno = saved;
}

}  // namespace

Result<std::unique_ptr<SignalWaiter>> SignalWaiter::create(Options options) {
  bool expected = false;
  if (!gInstance.compare_exchange_strong(expected, true))
    return Error::of("signal waiter: another SignalWaiter is active");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    gInstance = false;
    return Error::of(std::string("signal waiter: pipe: ") + std::strerror(errno), errno);
  }
  gReadFd = fds[0];
  gWriteFd = fds[1];
  gDelivered = false;
  gExitOnSecond = options.exitOnSecondSignal;
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (::sigaction(SIGTERM, &sa, &gOldTerm) != 0 || ::sigaction(SIGINT, &sa, &gOldInt) != 0) {
    int err = errno;
    ::sigaction(SIGTERM, &gOldTerm, nullptr);
    ::close(fds[0]);
    ::close(fds[1]);
    gReadFd = gWriteFd = -1;
    gInstance = false;
    return Error::of(std::string("signal waiter: sigaction: ") + std::strerror(err), err);
  }
  // Handlers only fire while the signals are unblocked in some thread; make sure ours is not
  // blocking them (a parent may have started us with a blocked mask).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  return std::unique_ptr<SignalWaiter>(new SignalWaiter());
}

SignalWaiter::~SignalWaiter() {
  ::sigaction(SIGTERM, &gOldTerm, nullptr);
  ::sigaction(SIGINT, &gOldInt, nullptr);
  int r = gReadFd.exchange(-1), w = gWriteFd.exchange(-1);
  if (r >= 0) ::close(r);
  if (w >= 0) ::close(w);
  gDelivered = false;
  gInstance = false;
}

std::optional<int> SignalWaiter::waitImpl(int timeoutMs) {
  int fd = gReadFd.load();
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeoutMs);
    if (n < 0 && errno == EINTR) continue;  // our own handler interrupted poll: read the pipe now
    if (n <= 0) return std::nullopt;
    unsigned char byte = 0;
    auto got = ::read(fd, &byte, 1);
    if (got == 1) {
      // 0 is notify(): not a signal, so a later signal is still a "first" one.
      if (byte != 0) gDelivered = true;
      return static_cast<int>(byte);
    }
    if (got < 0 && errno != EAGAIN && errno != EINTR) return std::nullopt;
  }
}

int SignalWaiter::wait() {
  for (;;)
    if (auto sig = waitImpl(-1)) return *sig;
}

std::optional<int> SignalWaiter::waitFor(std::chrono::milliseconds timeout) {
  return waitImpl(static_cast<int>(std::max<long long>(0, timeout.count())));
}

void SignalWaiter::notify() {
  int fd = gWriteFd.load();
  if (fd < 0) return;
  unsigned char zero = 0;
  [[maybe_unused]] auto n = ::write(fd, &zero, 1);
}

}  // namespace fro::process
