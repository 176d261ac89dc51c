#include "runtime/process/BindAddress.h"

#include <charconv>

#include <fmt/format.h>

namespace fro::process {

Result<BindAddress> BindAddress::parse(std::string_view text) {
  BindAddress a;
  if (text == "0") {
    a.disabled = true;
    return a;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return Error::of("expected host:port, :port or 0");
  auto host = text.substr(0, colon);
  auto port = text.substr(colon + 1);
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return Error::of("malformed IPv6 address (expected [addr]:port)");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Error::of("IPv6 addresses need brackets, e.g. [::1]:8080");
  }
  for (char c : host) {
    bool okChar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '-' || c == ':' || c == '%';
    if (!okChar) return Error::of("invalid character in host");
  }
  int p = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p < 0 || p > 65535)
    return Error::of("port must be a number from 0 to 65535");
  a.host = std::string(host);
  a.port = p;
  return a;
}

std::string BindAddress::str() const {
  if (disabled) return "0";
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

}  // namespace fro::process
