#pragma once
// An HTTP response to write back: status and body.
#include <string>

namespace fro::demo {

struct HttpReply {
  int status = 200;
  std::string body;
  std::string contentType = "application/json";
};

}  // namespace fro::demo
