#pragma once
// Errors are values at our boundaries: every adapter returns Result<T> instead of throwing.
#include <string>
#include <utility>
#include <variant>

namespace fro {

struct Error {
  std::string message;
  // Optional machine-readable detail: an HTTP status, an errno, a Kubernetes reason.
  int code = 0;
  std::string reason;

  static Error of(std::string msg, int code = 0, std::string reason = {}) {
    return Error{std::move(msg), code, std::move(reason)};
  }
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
