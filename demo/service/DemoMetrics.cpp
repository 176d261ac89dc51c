#include "demo/service/DemoMetrics.h"

namespace fro::demo {

DemoMetrics::DemoMetrics(prometheus::Registry& r)
    : requests_(prometheus::BuildCounter()
                    .Name("http_requests_total")
                    .Help("Synthetic requests by status code and the faulty flag path taken (\"none\": no fault)")
                    .Register(r)),
      duration_(prometheus::BuildHistogram()
                    .Name("http_request_duration_seconds")
                    .Help("Synthetic request latency by the faulty flag path taken (\"none\": no fault)")
                    .Register(r)),
      flagRequests_(prometheus::BuildCounter()
                        .Name("demo_flag_requests_total")
                        .Help("Requests of users who have the flag, by flag and status code")
                        .Register(r)),
      flagPercent_(prometheus::BuildGauge()
                       .Name("demo_flag_percent")
                       .Help("Share of users the flag is on for, as last read from the ConfigMap")
                       .Register(r)),
      usersWithFlag_(prometheus::BuildGauge()
                         .Name("demo_users_with_flag")
                         .Help("Simulated users who have the flag (bucketing rule of docs/DESIGN.md section 4)")
                         .Register(r)),
      users_(prometheus::BuildGauge().Name("demo_users").Help("Simulated users").Register(r).Add({})) {}

const prometheus::Histogram::BucketBoundaries& DemoMetrics::latencyBuckets() {
  // Baseline 30..70 ms; injected latencies of 1.5 s and 3 s get narrow buckets just above them so
  // histogram_quantile reports them closely (linear interpolation within a bucket).
  static const prometheus::Histogram::BucketBoundaries b{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5,
                                                         0.75,  1,    1.25,  1.5,  1.6,   2,   2.5,  3,
                                                         3.1,   3.5,  4,     5};
  return b;
}

void DemoMetrics::observe(const RequestOutcome& o) {
  const std::string code = std::to_string(o.code);
  requests_.Add({{"code", code}, {"flag", o.faultFlag}}).Increment();
  prometheus::Histogram* h = nullptr;
  {
    std::lock_guard l(mu_);
    auto& slot = histograms_[o.faultFlag];
    if (!slot) slot = &duration_.Add({{"flag", o.faultFlag}}, latencyBuckets());
    h = slot;
  }
  h->Observe(o.seconds);
  for (const auto& f : o.flags) flagRequests_.Add({{"flag", f}, {"code", code}}).Increment();
}

void DemoMetrics::setFlag(const std::string& flag, int percent, int users) {
  flagPercent_.Add({{"flag", flag}}).Set(percent);
  usersWithFlag_.Add({{"flag", flag}}).Set(users);
}

void DemoMetrics::setUsers(int users) { users_.Set(users); }

}  // namespace fro::demo
