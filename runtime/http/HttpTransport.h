#pragma once
// The one seam through which every outgoing HTTP request goes (Kubernetes API, Prometheus).
// Implementations: CurlTransport (production); tests use in-process fakes.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/common/Result.h"

namespace fro::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  // Whole-request deadline for send(); for stream() it bounds connect + headers only. 0 = none.
  std::chrono::milliseconds timeout{30000};
  // stream(): give up when no bytes arrive for this long (a dead watch). 0 = none.
  std::chrono::milliseconds idleTimeout{0};
  // Set by another thread to abort an in-flight request promptly (shutdown).
  const std::atomic<bool>* cancel = nullptr;
  // Largest response body accepted: send()'s body, stream()'s body of a non-2xx answer. Past it the
  // transfer stops (early on a larger Content-Length) with kResponseTooLarge, and the bytes read are
  // released; the buffer never grows past the limit. 0 = unlimited.
  std::size_t maxResponseBytes = 0;
};

struct HttpResponse {
  int status = 0;
  Headers headers;  // names lower-cased
  std::string body;

  std::optional<std::string> header(std::string_view name) const;
};

// Transport-level failures (connect refused, TLS, timeout) come back as Error with one of these codes;
// an HTTP response of any status is a successful Result.
enum TransportErrorCode : int {
  kConnectFailed = 1,
  kTlsFailed = 2,
  kTimedOut = 3,
  kCancelled = 4,
  kOtherTransportError = 5,
  kResponseTooLarge = 6,  // HttpRequest::maxResponseBytes exceeded
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  virtual Result<HttpResponse> send(const HttpRequest& req) = 0;

  // Sends the request and hands each complete body line (without '\n') to onLine as it arrives,
  // joining lines split across chunks. onLine returns false to stop reading. For a non-2xx status
  // the body is not split into lines but returned whole in the response. When the stream ends
  // (server closed, onLine said stop) the response carries status and headers.
  virtual Result<HttpResponse> stream(const HttpRequest& req,
                                      const std::function<bool(std::string_view line)>& onLine) = 0;
};

}  // namespace fro::http
