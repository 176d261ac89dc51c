#include "demo/service/Endpoint.h"

#include <arpa/inet.h>

#include <charconv>

namespace fro::demo {

Result<Endpoint> Endpoint::parse(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return Error::of("address \"" + s + "\" is not host:port");
  Endpoint e;
  e.host = s.substr(0, colon);
  if (e.host == "localhost") e.host = "127.0.0.1";
  in_addr a{};
  if (inet_pton(AF_INET, e.host.c_str(), &a) != 1)
    return Error::of("address \"" + s + "\": host must be an IPv4 address or localhost");
  std::string port = s.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), e.port);
  if (ec != std::errc() || ptr != port.data() + port.size() || e.port < 0 || e.port > 65535)
    return Error::of("address \"" + s + "\": port must be 0..65535");
  return e;
}

}  // namespace fro::demo
