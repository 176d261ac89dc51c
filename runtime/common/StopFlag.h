#pragma once
// A one-way flag that threads can wait on with a bound: set once the process stops (a signal, a
// lost lease), so a wait (e.g. for the informer caches) gives up at once instead of running out.
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace fro {

class StopFlag {
 public:
  void set() {
    {
      std::lock_guard l(mu_);
      set_ = true;
    }
    cv_.notify_all();
  }
  bool isSet() const {
    std::lock_guard l(mu_);
    return set_;
  }
  // true when set within `d`.
  bool waitFor(std::chrono::milliseconds d) const {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, d, [&] { return set_; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool set_ = false;
};

}  // namespace fro
