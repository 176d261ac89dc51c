#pragma once
#include <string>

namespace fro::http {

// How a transport authenticates the server and itself. Verification is on unless explicitly
// disabled (kubeconfig insecure-skip-tls-verify).
struct TlsConfig {
  std::string caPem;          // PEM bundle of trusted CAs; empty = system trust store
  std::string clientCertPem;  // client certificate (mTLS), PEM
  std::string clientKeyPem;   // its private key, PEM
  bool insecureSkipVerify = false;
  std::string serverName;     // override for SNI / verification (kubeconfig tls-server-name)
};

}  // namespace fro::http
