#pragma once
// Everything a REST client needs to reach one API server, whichever way it was found
// (kubeconfig or in-cluster service account).
#include <string>

#include "runtime/http/TlsConfig.h"

namespace fro::kube {

struct ClusterConfig {
  // Base URL of the API server: "https://host:port" (or http://), optionally with a path prefix,
  // never with a trailing slash. IPv6 literals are bracketed.
  std::string server;
  // Server verification and client certificate. Verification is on unless the kubeconfig cluster
  // says insecure-skip-tls-verify: true. Empty caPem means the system trust store.
  http::TlsConfig tls;
  // Static bearer token (kubeconfig user `token`). Secret: never log it.
  std::string bearerToken;
  // File holding a bearer token that rotates (in-cluster service account token, kubeconfig user
  // `tokenFile`), as an absolute path. When set, it takes precedence over bearerToken: read it
  // through TokenSource before each request. bearerToken is then the value read at load time.
  std::string tokenFile;
  // Default namespace: the kubeconfig context's namespace, the service account's namespace file,
  // or "default".
  std::string namespace_ = "default";
  // Name of the kubeconfig context used; empty in-cluster.
  std::string contextName;
  // Where it came from, for messages: kubeconfig file(s) (':'-joined) or the service account dir.
  std::string source;
  // True when built from the in-cluster service account environment.
  bool inCluster = false;
};

}  // namespace fro::kube
