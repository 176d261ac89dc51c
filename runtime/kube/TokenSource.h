#pragma once
// The bearer token for the next request. Service account tokens are projected and rotated by the
// kubelet (and kubeconfig `tokenFile` points at files refreshed by other tools), so the file is
// re-read when the cached copy is older than a refresh period. Thread-safe.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runtime/common/Clock.h"
#include "runtime/common/Result.h"
#include "runtime/common/ThreadSafety.h"
#include "runtime/kube/ClusterConfig.h"

namespace fro::kube {

class TokenSource {
 public:
  static constexpr std::chrono::seconds kDefaultRefresh{60};

  // path: token file; empty means "always the fallback token". fallbackToken: returned when the
  // file was never readable (a kubeconfig `token` next to `tokenFile`). Nothing is read until the
  // first token() call.
  TokenSource(std::string path, std::shared_ptr<const Clock> clock,
              std::chrono::nanoseconds refresh = kDefaultRefresh, std::string fallbackToken = {});

  // The current token. Re-reads the file when the cached token is older than the refresh period
  // (measured on the clock's steady time). When a re-read fails after an earlier success, the
  // last good token is kept (and the file is retried on the next call): a rotation in progress
  // must not fail requests. Errors name the file, never the token; an empty file is an error.
  Result<std::string> token() FRO_EXCLUDES(mu_);

  const std::string& path() const { return path_; }

  // For KubeClient::Options::bearerToken: a provider that reads cfg.tokenFile through a
  // TokenSource (falling back to cfg.bearerToken), or returns cfg.bearerToken when there is no
  // file. Empty std::function when the config has no token at all (client certificates). If the
  // token cannot be read the provider returns "" and the request goes out unauthenticated (the
  // API server answers 401, which the caller sees).
  static std::function<std::string()> bearerProvider(const ClusterConfig& cfg,
                                                     std::shared_ptr<const Clock> clock,
                                                     std::chrono::nanoseconds refresh = kDefaultRefresh);

  // Reads and trims one token file (used for the load-time check, too).
  static Result<std::string> readTokenFile(const std::string& path);

 private:
  std::string path_;
  std::shared_ptr<const Clock> clock_;
  std::chrono::nanoseconds refresh_;
  std::string fallback_;

  Mutex mu_;
  std::optional<std::string> cached_ FRO_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point readAt_ FRO_GUARDED_BY(mu_) = {};
};

}  // namespace fro::kube
