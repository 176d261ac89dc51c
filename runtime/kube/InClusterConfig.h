#pragma once
// Configuration from inside a pod: the API server from the KUBERNETES_SERVICE_HOST/PORT
// environment, credentials from the mounted service account directory.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runtime/common/Clock.h"
#include "runtime/common/Result.h"
#include "runtime/kube/ClusterConfig.h"

namespace fro::kube {

// Looks up an environment variable; std::nullopt when unset. Tests inject a map.
using Getenv = std::function<std::optional<std::string>(const std::string& name)>;

class InClusterConfig {
 public:
  static constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

  struct Options {
    std::string serviceAccountDir = kServiceAccountDir;  // holds token, ca.crt, namespace
    Getenv getenv;                                        // empty: the process environment
  };

  // True when KUBERNETES_SERVICE_HOST is set (we run in a pod, or someone pretends to).
  static bool detected(const Getenv& getenv = {});

  // server = https://<host>:<port> (IPv6 host bracketed); tls.caPem = <dir>/ca.crt (must be a
  // PEM CA bundle); tokenFile = <dir>/token (must be readable now; re-read later through
  // TokenSource), bearerToken = its current value; namespace from <dir>/namespace, else
  // "default". Errors name the missing variable or file.
  static Result<ClusterConfig> load(const Options& options);

  // "host:port" with brackets around an IPv6 literal (like Go's net.JoinHostPort).
  static std::string joinHostPort(const std::string& host, const std::string& port);

  // The process environment as a Getenv.
  static std::optional<std::string> processEnv(const std::string& name);
};

}  // namespace fro::kube
