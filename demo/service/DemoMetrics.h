#pragma once
// The demo service's Prometheus metrics:
//   http_requests_total{code, flag}            every request once; flag = the faulty flag whose path
//                                              it took, "none" otherwise
//   http_request_duration_seconds{flag}        histogram, 5 ms .. 5 s (fine around 1.5 s and 3 s)
//   demo_flag_requests_total{flag, code}       requests of users who have the flag (a request counts
//                                              once per flag the user has): per-flag error ratios
//   demo_flag_percent{flag}                    the flag's percent as last read
//   demo_users_with_flag{flag}                 how many of the simulated users have it
//   demo_users                                 simulated users
// Thread-safe (prometheus-cpp metrics are).
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "demo/service/RequestSimulator.h"

namespace fro::demo {

class DemoMetrics {
 public:
  explicit DemoMetrics(prometheus::Registry& registry);

  void observe(const RequestOutcome& outcome);
  void setFlag(const std::string& flag, int percent, int users);
  void setUsers(int users);

  static const prometheus::Histogram::BucketBoundaries& latencyBuckets();

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& flagRequests_;
  prometheus::Family<prometheus::Gauge>& flagPercent_;
  prometheus::Family<prometheus::Gauge>& usersWithFlag_;
  prometheus::Gauge& users_;
  // Histograms by flag label: Family::Add with buckets copies them every call, so keep the refs.
  std::mutex mu_;
  std::map<std::string, prometheus::Histogram*> histograms_;
};

}  // namespace fro::demo
