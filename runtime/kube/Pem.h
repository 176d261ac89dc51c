#pragma once
// Checks on PEM material from a kubeconfig or service account, with OpenSSL, so that a bad or
// stale certificate is reported at startup with its subject and dates instead of as an opaque TLS
// failure on the first request. Messages never contain key material.
#include <string>
#include <string_view>

#include "runtime/common/Clock.h"
#include "runtime/common/Result.h"

namespace fro::kube {

class Pem {
 public:
  struct CertificateInfo {
    std::string subject;    // RFC 2253, e.g. "CN=admin,O=system:masters"
    std::string notBefore;  // ISO 8601 UTC, e.g. "2025-01-31T12:00:00Z"
    std::string notAfter;
  };

  // A bundle of trusted CAs: at least one CERTIFICATE block, every block parseable.
  // Returns how many certificates it holds.
  static Result<int> checkCaBundle(std::string_view pem);

  // The first certificate of `pem` (a client certificate), valid at `now`: errors say
  // "expired on <notAfter> (subject ...)" or "not valid before <notBefore> (subject ...)".
  static Result<CertificateInfo> checkCertificate(std::string_view pem, Clock::time_point now);

  // An unencrypted PEM private key (PKCS#1, SEC1 or PKCS#8) that belongs to the certificate.
  static Status checkKeyPair(std::string_view certPem, std::string_view keyPem);
};

}  // namespace fro::kube
