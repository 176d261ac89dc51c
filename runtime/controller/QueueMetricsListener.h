#pragma once
// Observation hooks of a WorkQueue, shaped after client-go's workqueue metrics so a Prometheus
// adapter can be wired in later without this library depending on prometheus-cpp.
//
// Every hook is called with the queue's lock held, in the order the events happen: implementations
// must be cheap (bump a counter, observe a histogram), must not block, and must not call back
// into the queue.
#include <chrono>
#include <cstddef>
#include <string>

namespace fro::controller {

class QueueMetricsListener {
 public:
  virtual ~QueueMetricsListener() = default;
  // A key entered the queue (not counted when it was already pending: deduplicated adds).
  virtual void onAdd(const std::string& /*key*/) {}
  // A worker took `key`; `queued` is how long it was ready and waiting for a worker.
  virtual void onGet(const std::string& /*key*/, std::chrono::nanoseconds /*queued*/) {}
  // done(key): `processing` is how long the worker held it.
  virtual void onDone(const std::string& /*key*/, std::chrono::nanoseconds /*processing*/) {}
  // The number of ready keys changed (WorkQueue::len()).
  virtual void onDepth(std::size_t /*depth*/) {}
  // addRateLimited(key) was called (a retry after a failure).
  virtual void onRetry(const std::string& /*key*/) {}
};

}  // namespace fro::controller
