#pragma once
// A listen address as controller-runtime's --metrics-bind-address / --health-probe-bind-address
// take it: "host:port", ":port" (all interfaces), "[::1]:port", or "0" (the server is disabled).
// Port 0 asks the kernel for a free port (tests).
#include <string>
#include <string_view>

#include "runtime/common/Result.h"

namespace fro::process {

struct BindAddress {
  bool disabled = false;
  std::string host;  // "" = all interfaces; IPv6 literals without brackets
  int port = 0;

  // The error message says what is wrong without naming the flag (the caller adds it).
  static Result<BindAddress> parse(std::string_view text);
  // Back to the flag syntax: "0", ":8080", "127.0.0.1:8080", "[::1]:8080".
  std::string str() const;
};

}  // namespace fro::process
