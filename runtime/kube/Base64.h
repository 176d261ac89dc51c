#pragma once
// Standard base64 (RFC 4648, '+' and '/') as kubeconfig *-data fields use it.
#include <string>
#include <string_view>

#include "runtime/common/Result.h"

namespace fro::kube {

class Base64 {
 public:
  // Strict decode: ASCII whitespace (line breaks in folded YAML) is skipped; '=' padding is
  // optional but, when present, must complete the last quantum and end the input. Any other
  // character, or a dangling single character, is an error that names the offset only (never
  // the content: the input may be key material).
  static Result<std::string> decode(std::string_view in);
  static std::string encode(std::string_view in);
};

}  // namespace fro::kube
