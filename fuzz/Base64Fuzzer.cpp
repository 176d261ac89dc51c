// fro::kube::Base64 (kubeconfig *-data fields, Secret values): decode() on any bytes never crashes
// and never returns more than the input can hold; encode() writes only the alphabet, in whole
// quanta, and decode(encode(x)) is x, also with the line breaks folded YAML puts in.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/FuzzCheck.h"
#include "runtime/kube/Base64.h"

using fro::kube::Base64;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  auto decoded = Base64::decode(in);
  if (decoded.ok()) FRO_FUZZ_CHECK(decoded->size() <= size / 4 * 3 + 2, "decode() returned more bytes than the input holds");

  const std::string encoded = Base64::encode(in);
  FRO_FUZZ_CHECK(encoded.size() == (size + 2) / 3 * 4, "encode() length is not 4 * ceil(n / 3)");
  FRO_FUZZ_CHECK(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
                     std::string::npos,
                 "encode() wrote a character outside the alphabet");
  auto back = Base64::decode(encoded);
  FRO_FUZZ_CHECK(back.ok(), "decode(encode(x)) failed: " + (back.ok() ? std::string() : back.error().message));
  FRO_FUZZ_CHECK(*back == in, "decode(encode(x)) != x");

  // kubectl and YAML editors fold long values: whitespace is skipped.
  std::string folded;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (i > 0 && i % 76 == 0) folded += i % 152 == 0 ? "\r\n" : "\n  ";
    folded += encoded[i];
  }
  auto unfolded = Base64::decode(folded);
  FRO_FUZZ_CHECK(unfolded.ok() && *unfolded == in, "decode() of the folded encoding != x");
  return 0;
}
