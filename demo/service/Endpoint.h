#pragma once
// A listen address "host:port" (IPv4 literal or "localhost"; port 0 = pick a free one).
#include <string>

#include "runtime/common/Result.h"

namespace fro::demo {

struct Endpoint {
  std::string host;
  int port = 0;

  std::string str() const { return host + ":" + std::to_string(port); }
  static Result<Endpoint> parse(const std::string& s);
};

}  // namespace fro::demo
