#pragma once
// A small Kubernetes REST client over HttpTransport: typed paths for any group/version/resource,
// JSON bodies (nlohmann::json), API errors as values, client-side rate limit and retries.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/common/Clock.h"
#include "runtime/common/Result.h"
#include "runtime/common/TokenBucket.h"
#include "runtime/http/HttpTransport.h"
#include "runtime/kube/ObjectWriter.h"
#include "runtime/kube/Resource.h"
#include "runtime/kube/RetryPolicy.h"
#include "runtime/kube/WatchEvent.h"

namespace fro::kube {

using json = nlohmann::json;

struct ListOptions {
  std::string labelSelector;
  std::string fieldSelector;
  int limit = 0;              // page size; 0 = server default (everything)
  std::string continueToken;
  std::string resourceVersion;
};

struct WatchOptions {
  std::string resourceVersion;
  std::string labelSelector;
  std::string fieldSelector;
  int timeoutSeconds = 300;          // server closes the watch after this; we then resume
  bool allowBookmarks = true;
  std::chrono::milliseconds idleTimeout{0};  // 0 = timeoutSeconds + 30 s
  const std::atomic<bool>* cancel = nullptr;
};

struct DeleteOptions {
  std::string propagationPolicy;   // Foreground | Background | Orphan ("" = server default)
  std::string preconditionUid;
  std::string preconditionResourceVersion;
};

// Why a watch call returned without a transport or API error.
struct WatchEnd {
  enum class Reason { Closed, StoppedByHandler, Expired };  // Expired: 410, the caller must relist
  Reason reason = Reason::Closed;
  std::string lastResourceVersion;  // from the last event or bookmark seen
};

// Observes every API request (metrics: verb, code, latency).
using RequestObserver = std::function<void(const std::string& verb, int code, std::chrono::nanoseconds latency)>;

class KubeClient final : public ObjectWriter {
 public:
  struct Options {
    std::string server;                              // https://host:port, no trailing slash
    std::function<std::string()> bearerToken;        // may be empty (client certificates)
    double qps = 0;                                  // <= 0: no client-side limit (the server paces)
    int burst = 100;
    RetryPolicy::Options retry;
    std::chrono::milliseconds timeout{30000};
    std::string userAgent = "feature-rollout-operator";
    RequestObserver observer;
  };
  using Sleeper = std::function<void(std::chrono::nanoseconds)>;

  KubeClient(std::shared_ptr<http::HttpTransport> transport, Options options,
             std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>(), Sleeper sleeper = {});

  Result<json> get(const Resource& r, const std::string& ns, const std::string& name) override;
  Result<json> list(const Resource& r, const std::string& ns, const ListOptions& opts = {});
  // Follows `continue` tokens; the result holds every item and the first page's resourceVersion.
  Result<json> listAll(const Resource& r, const std::string& ns, ListOptions opts = {});
  Result<json> create(const Resource& r, const std::string& ns, const json& obj) override;
  Result<json> update(const Resource& r, const json& obj);        // PUT; namespace/name from metadata
  Result<json> updateStatus(const Resource& r, const json& obj) override;  // PUT .../status
  Result<json> patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                     const json& body, const PatchOptions& opts = {}) override;
  // Server-side apply of a partial object under a field manager.
  Result<json> apply(const Resource& r, const json& obj, const std::string& fieldManager, bool force = true,
                     const std::string& subresource = {}) override;
  Status remove(const Resource& r, const std::string& ns, const std::string& name, const DeleteOptions& opts = {});

  // Streams watch events to onEvent (return false to stop). Returns when the server closes the
  // watch, the handler stops, or the resourceVersion expired (410: relist).
  Result<WatchEnd> watch(const Resource& r, const std::string& ns, const WatchOptions& opts,
                         const std::function<bool(const WatchEvent&)>& onEvent);

  // data[key] of a Secret, decoded. A missing Secret or key is kind NotFound (the key's error carries
  // no HTTP status: the server answered 200); a value that is not base64 is Invalid. Messages never
  // quote the value.
  Result<std::string> secretValue(const std::string& ns, const std::string& name, const std::string& key);

  // Any path (e.g. /metrics, /readyz, /version): the raw response, API errors as values.
  Result<http::HttpResponse> raw(const std::string& method, const std::string& path, const std::string& body = {},
                                 const std::string& contentType = {});

  const Options& options() const { return opts_; }

 private:
  Result<http::HttpResponse> call(const std::string& verb, const std::string& method, const std::string& path,
                                  const std::string& body, const std::string& contentType);
  Result<json> callJson(const std::string& verb, const std::string& method, const std::string& path,
                        const std::string& body = {}, const std::string& contentType = "application/json");
  http::HttpRequest makeRequest(const std::string& method, const std::string& pathAndQuery, const std::string& body,
                                const std::string& contentType) const;
  void throttle();

  std::shared_ptr<http::HttpTransport> transport_;
  Options opts_;
  std::shared_ptr<const Clock> clock_;
  Sleeper sleep_;
  TokenBucket limiter_;
  RetryPolicy retry_;
};

}  // namespace fro::kube
