#include <algorithm>
#include <cctype>

#include "runtime/http/HttpTransport.h"

namespace fro::http {

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  auto eq = [&](const std::string& k) {
    return k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  };
  for (const auto& [k, v] : headers)
    if (eq(k)) return v;
  return std::nullopt;
}

}  // namespace fro::http
