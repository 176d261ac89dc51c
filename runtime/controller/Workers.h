#pragma once
// N threads that take keys from a WorkQueue and reconcile them (controller-runtime's workers).
//
// For each key: outcome success -> forget(key); error -> addRateLimited(key);
// requeueAfter(d) -> forget(key) + addAfter(key, d); then done(key). A reconcile that throws
// counts as an error (retried with backoff), so a worker never dies and a key is never left held;
// and since the caller's own reporting around its reconcile was skipped by the throw, the
// OnThrow hook gets the key, the error and how long it took, to log and count it.
//
// Graceful shutdown: stop() shuts the queue down, so no worker starts another key (queued keys
// are dropped, see WorkQueue) while in-flight reconciles run to completion; join(timeout) waits
// for them (real time, since it bounds how long the process takes to exit). If join() returns
// false the threads are still running a reconcile: the caller can join again or exit the process;
// the destructor always waits for them.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/common/ThreadSafety.h"
#include "runtime/controller/ReconcileOutcome.h"
#include "runtime/controller/WorkQueue.h"

namespace fro::controller {

class Workers {
 public:
  using Reconcile = std::function<ReconcileOutcome(const std::string& key)>;
  // A reconcile threw: `outcome` is the error it was turned into. Runs on the worker's thread;
  // an exception it throws is swallowed.
  using OnThrow = std::function<void(const std::string& key, const ReconcileOutcome& outcome,
                                     std::chrono::nanoseconds took)>;

  // `queue` must outlive this object; `count` < 1 is taken as 1.
  Workers(WorkQueue& queue, Reconcile reconcile, int count, OnThrow onThrow = {});
  ~Workers();  // stop(), then waits for every worker however long its reconcile takes
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  void start() FRO_EXCLUDES(joinMu_, mu_);  // once; later calls do nothing
  void stop();   // queue.shutDown(): no new keys start; in-flight reconciles continue
  // Waits up to `timeout` for every worker to exit and joins them; true when all have.
  bool join(std::chrono::nanoseconds timeout) FRO_EXCLUDES(joinMu_, mu_);
  bool shutDown(std::chrono::nanoseconds timeout) {
    stop();
    return join(timeout);
  }

  std::size_t busy() const { return busy_.load(); }  // reconciles running now

 private:
  void loop() FRO_EXCLUDES(mu_);
  void serve(const std::string& key);  // one key: reconcile, apply the outcome, done()

  WorkQueue& queue_;
  const Reconcile reconcile_;
  const int count_;
  OnThrow onThrow_;
  std::atomic<std::size_t> busy_{0};

  Mutex joinMu_;  // serialises start() / join() / ~Workers() around threads_
  std::vector<std::thread> threads_ FRO_GUARDED_BY(joinMu_);
  Mutex mu_;
  std::condition_variable exitedCv_;
  std::size_t started_ FRO_GUARDED_BY(mu_) = 0;
  std::size_t exited_ FRO_GUARDED_BY(mu_) = 0;
};

}  // namespace fro::controller
