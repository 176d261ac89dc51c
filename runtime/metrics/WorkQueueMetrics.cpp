#include "runtime/metrics/WorkQueueMetrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace fro::metrics {

namespace {
double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

WorkQueueMetrics::WorkQueueMetrics(std::shared_ptr<prometheus::Registry> registry, prometheus::Gauge& depth,
                                   prometheus::Counter& adds, prometheus::Counter& retries,
                                   prometheus::Histogram& queueLatency, prometheus::Histogram& workDuration)
    : registry_(std::move(registry)),
      depth_(depth),
      adds_(adds),
      retries_(retries),
      queueLatency_(queueLatency),
      workDuration_(workDuration) {}

void WorkQueueMetrics::onAdd(const std::string&) { adds_.Increment(); }
void WorkQueueMetrics::onGet(const std::string&, std::chrono::nanoseconds queued) { queueLatency_.Observe(seconds(queued)); }
void WorkQueueMetrics::onDone(const std::string&, std::chrono::nanoseconds processing) {
  workDuration_.Observe(seconds(processing));
}
void WorkQueueMetrics::onDepth(std::size_t depth) { depth_.Set(static_cast<double>(depth)); }
void WorkQueueMetrics::onRetry(const std::string&) { retries_.Increment(); }

}  // namespace fro::metrics
