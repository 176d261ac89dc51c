#pragma once
// client-go's workqueue metrics for one queue, as a QueueMetricsListener (see OperatorMetrics).
// Every hook only bumps an atomic metric: cheap and non-blocking, as the queue requires.
#include <memory>
#include <string>

#include "runtime/controller/QueueMetricsListener.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace fro::metrics {

class WorkQueueMetrics final : public controller::QueueMetricsListener {
 public:
  // The metrics belong to `registry`, which this listener keeps alive.
  WorkQueueMetrics(std::shared_ptr<prometheus::Registry> registry, prometheus::Gauge& depth,
                   prometheus::Counter& adds, prometheus::Counter& retries, prometheus::Histogram& queueLatency,
                   prometheus::Histogram& workDuration);

  void onAdd(const std::string& key) override;
  void onGet(const std::string& key, std::chrono::nanoseconds queued) override;
  void onDone(const std::string& key, std::chrono::nanoseconds processing) override;
  void onDepth(std::size_t depth) override;
  void onRetry(const std::string& key) override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge& depth_;
  prometheus::Counter& adds_;
  prometheus::Counter& retries_;
  prometheus::Histogram& queueLatency_;
  prometheus::Histogram& workDuration_;
};

}  // namespace fro::metrics
