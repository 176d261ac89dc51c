#pragma once
// Decides whether a Kubernetes API call is retried and after how long. Pure, so it is tested
// with tables: 429 honours Retry-After, 5xx and transport failures back off exponentially,
// other 4xx are final.
#include <chrono>
#include <optional>

#include "runtime/common/Result.h"
#include "runtime/http/HttpTransport.h"

namespace fro::kube {

class RetryPolicy {
 public:
  struct Options {
    int maxRetries = 5;
    std::chrono::milliseconds initialBackoff{100};
    std::chrono::milliseconds maxBackoff{10000};
    std::chrono::milliseconds maxRetryAfter{60000};  // never trust a server to park us forever
  };
  RetryPolicy() = default;
  explicit RetryPolicy(Options o) : opts_(o) {}

  // attempt: 0 for the first try. Returns the delay before the next attempt, or nullopt to stop.
  std::optional<std::chrono::milliseconds> next(int attempt, const Result<http::HttpResponse>& outcome) const;

  const Options& options() const { return opts_; }

 private:
  std::chrono::milliseconds backoff(int attempt) const;
  Options opts_;
};

}  // namespace fro::kube
