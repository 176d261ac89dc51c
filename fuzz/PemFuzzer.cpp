// fro::kube::Pem on any bytes (CA bundles, client certificates and keys from kubeconfig data
// fields and Secrets). The first byte picks the check; for the key pair the rest is split at the
// first NUL into certificate and key. Nothing may crash or leak; answers are values.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/FuzzCheck.h"
#include "runtime/kube/Pem.h"

using fro::kube::Pem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  // 2026-12-01T00:00:00Z: a fixed "now", so validity answers do not depend on the day of the run.
  const fro::Clock::time_point now = std::chrono::system_clock::from_time_t(1796083200);
  switch (data[0] % 3) {
    case 0: {
      auto n = Pem::checkCaBundle(in);
      if (n.ok()) FRO_FUZZ_CHECK(*n >= 1, "a CA bundle was accepted with no certificate");
      break;
    }
    case 1: (void)Pem::checkCertificate(in, now); break;
    default: {
      const auto nul = in.find('\0');
      const std::string_view cert = in.substr(0, nul), key = nul == std::string_view::npos ? "" : in.substr(nul + 1);
      (void)Pem::checkKeyPair(cert, key);
      break;
    }
  }
  return 0;
}
