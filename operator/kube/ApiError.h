#pragma once
// Kubernetes API failures as values: Error.code is the HTTP status (or a transport error code
// below 100), Error.reason the Status reason (NotFound, Conflict, Forbidden, Invalid, Gone, ...).
#include <string>

#include "operator/common/Result.h"
#include "operator/http/HttpTransport.h"

namespace fro::kube {

class ApiError {
 public:
  // Builds an Error from a non-2xx response, using its Status object when there is one.
  static Error fromResponse(const std::string& verb, const std::string& path, const http::HttpResponse& resp);
  // Wraps a transport failure (connect, TLS, timeout) with what was being done.
  static Error fromTransport(const std::string& verb, const std::string& path, const Error& err);

  static bool isNotFound(const Error& e) { return e.code == 404; }
  static bool isConflict(const Error& e) { return e.code == 409 && e.reason != "AlreadyExists"; }
  static bool isAlreadyExists(const Error& e) { return e.reason == "AlreadyExists"; }
  static bool isGone(const Error& e) { return e.code == 410 || e.reason == "Expired" || e.reason == "Gone"; }
  static bool isForbidden(const Error& e) { return e.code == 403; }
  static bool isUnauthorized(const Error& e) { return e.code == 401; }
  static bool isInvalid(const Error& e) { return e.code == 422; }
  static bool isTransport(const Error& e) { return e.code > 0 && e.code < 100; }
};

}  // namespace fro::kube
