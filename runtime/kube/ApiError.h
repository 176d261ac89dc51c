#pragma once
// Kubernetes API failures as values: Error.kind says what happened (NotFound for a 404, Invalid
// for a 422, Http for any other status, Transport when no answer came), Error.code keeps the HTTP
// status (or the transport's http::k* code), Error.reason the Status reason (NotFound, Conflict,
// Forbidden, Invalid, Gone, ...).
#include <string>

#include "runtime/common/Result.h"
#include "runtime/http/HttpTransport.h"

namespace fro::kube {

class ApiError {
 public:
  // Builds an Error from a non-2xx response, using its Status object when there is one.
  static Error fromResponse(const std::string& verb, const std::string& path, const http::HttpResponse& resp);
  // Wraps a transport failure (connect, TLS, timeout) with what was being done.
  static Error fromTransport(const std::string& verb, const std::string& path, const Error& err);
  // An error status the server reported some other way (a watch's Error event).
  static Error fromStatus(int status, std::string message, std::string reason);

  // Kind NotFound: an API 404, or an answer that lacks what was asked for (a Secret without the key).
  static bool isNotFound(const Error& e) { return e.kind == ErrorKind::NotFound; }
  static bool isConflict(const Error& e) { return e.code == 409 && e.reason != "AlreadyExists"; }
  static bool isAlreadyExists(const Error& e) { return e.reason == "AlreadyExists"; }
  static bool isGone(const Error& e) { return e.code == 410 || e.reason == "Expired" || e.reason == "Gone"; }
  static bool isForbidden(const Error& e) { return e.code == 403; }
  // NamespaceLifecycle's refusal of anything new in a namespace that is being deleted.
  static bool isNamespaceTerminating(const Error& e) {
    return e.code == 403 && e.message.find("because it is being terminated") != std::string::npos;
  }
  static bool isUnauthorized(const Error& e) { return e.code == 401; }
  static bool isInvalid(const Error& e) { return e.kind == ErrorKind::Invalid && e.code == 422; }
  static bool isTransport(const Error& e) { return e.kind == ErrorKind::Transport; }
};

}  // namespace fro::kube
