#pragma once
// Errors are values at our boundaries: every adapter returns Result<T> instead of throwing.
#include <string>
#include <utility>
#include <variant>

namespace fro {

// What went wrong, for callers that branch on it. `code` keeps the raw number; the kind says
// what that number means, so nobody has to guess from its range.
enum class ErrorKind {
  Unspecified,  // Error::of: code is whatever its maker put there
  Http,         // a server answered with an error status: code is that status
  Transport,    // no usable answer (connect, TLS, timeout, cancel, size limit): code is an http::k* code
  System,       // a system call failed: code is the errno
  NotFound,     // what was asked for does not exist (an API 404 keeps code 404; a missing key has 0)
  Invalid,      // input refused as malformed (a file, a setting, an API 422 keeping code 422)
};

struct Error {
  std::string message;
  // Optional machine-readable detail: an HTTP status, an errno, a Kubernetes reason.
  int code = 0;
  std::string reason;
  ErrorKind kind = ErrorKind::Unspecified;

  static Error of(std::string msg, int code = 0, std::string reason = {}) {
    return Error{std::move(msg), code, std::move(reason)};
  }
  static Error http(int status, std::string msg, std::string reason = {}) {
    return Error{std::move(msg), status, std::move(reason), ErrorKind::Http};
  }
  static Error transport(int code, std::string msg, std::string reason = "TransportError") {
    return Error{std::move(msg), code, std::move(reason), ErrorKind::Transport};
  }
  static Error system(int err, std::string msg) { return Error{std::move(msg), err, {}, ErrorKind::System}; }
  static Error notFound(std::string msg, std::string reason = "NotFound") {
    return Error{std::move(msg), 0, std::move(reason), ErrorKind::NotFound};
  }
  static Error invalid(std::string msg, std::string reason = {}) {
    return Error{std::move(msg), 0, std::move(reason), ErrorKind::Invalid};
  }

  bool is(ErrorKind k) const { return kind == k; }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error err) : v_(std::move(err)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
struct Ok {};
using Status = Result<Ok>;
inline Status ok() { return Ok{}; }

}  // namespace fro
