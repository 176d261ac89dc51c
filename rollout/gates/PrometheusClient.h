#pragma once
// Instant queries against the Prometheus HTTP API (GET <address>/api/v1/query?query=...), for
// gates. A gate query must yield one number: a scalar, or an instant vector of exactly one
// sample (an empty vector means "no data", which is not an error). Everything else, and every
// transport or HTTP failure, comes back as an Error whose message says what happened; messages
// never carry the bearer token or credentials embedded in the address, and are valid UTF-8 (excerpts
// of a body are cut at a character boundary, invalid bytes become U+FFFD). Answers are bounded in
// bytes and in series (Config::maxResponseBytes, maxSeries) before they are parsed.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/common/Result.h"
#include "runtime/http/HttpTransport.h"

namespace fro::gates {

struct QueryValue {
  // Absent when the query matched no series (empty vector). May be NaN or +/-Inf.
  std::optional<double> value;
  std::string resultType;  // "scalar" | "vector"
};

class PrometheusClient {
 public:
  struct Config {
    std::string address;  // base URL, e.g. http://prometheus:9090 or https://host/prometheus
    std::chrono::milliseconds timeout{5000};  // whole request, and Prometheus's own query timeout
    std::string bearerToken;                  // empty: no Authorization header
    const std::atomic<bool>* cancel = nullptr;  // set to abort in-flight requests (shutdown)
    // A query without sum() against a big Prometheus can answer hundreds of MB; a gate needs one
    // sample. Larger answers are an Error naming the limit, never read past it. 0 = unlimited.
    std::size_t maxResponseBytes = 4 * 1024 * 1024;
    // Vectors with more series are an Error naming the limit; series past it are dropped while
    // parsing. 0 = unlimited. (A vector of 2..maxSeries series is an Error too: one is needed.)
    std::size_t maxSeries = 100;
  };

  PrometheusClient(std::shared_ptr<http::HttpTransport> transport, Config config);

  Result<QueryValue> query(const std::string& promql) const;

  // application/x-www-form-urlencoded value encoding (RFC 3986 unreserved kept, rest %XX).
  static std::string urlEncode(std::string_view s);
  // The address as safe to show: without user:password@ and without query or fragment.
  static std::string displayAddress(std::string_view address);

 private:
  Result<QueryValue> parse(const http::HttpResponse& resp) const;
  std::string redact(std::string s) const;

  std::shared_ptr<http::HttpTransport> transport_;
  Config config_;
  std::string display_;
};

}  // namespace fro::gates
