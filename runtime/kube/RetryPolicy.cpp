#include "runtime/kube/RetryPolicy.h"

#include <algorithm>
#include <charconv>

namespace fro::kube {

std::chrono::milliseconds RetryPolicy::backoff(int attempt) const {
  auto d = opts_.initialBackoff;
  for (int i = 0; i < attempt && d < opts_.maxBackoff; ++i) d *= 2;
  return std::min(d, opts_.maxBackoff);
}

std::optional<std::chrono::milliseconds> RetryPolicy::next(int attempt,
                                                           const Result<http::HttpResponse>& outcome) const {
  if (attempt >= opts_.maxRetries) return std::nullopt;
  if (!outcome.ok()) {
    // A cancelled request is the caller giving up; TLS failures do not heal by retrying.
    int c = outcome.error().code;
    if (c == http::kCancelled || c == http::kTlsFailed) return std::nullopt;
    return backoff(attempt);
  }
  int s = outcome->status;
  if (s == 429 || (s >= 500 && s != 501)) {
    if (auto ra = outcome->header("retry-after")) {
      long secs = -1;
      auto [p, ec] = std::from_chars(ra->data(), ra->data() + ra->size(), secs);
      if (ec == std::errc() && secs >= 0)
        return std::min<std::chrono::milliseconds>(std::chrono::seconds(secs), opts_.maxRetryAfter);
    }
    return backoff(attempt);
  }
  return std::nullopt;
}

}  // namespace fro::kube
