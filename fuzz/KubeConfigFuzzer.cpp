// fro::kube::KubeConfig::parse on any document (kubeconfig files and their inline *-data fields:
// base64, then PEM). Relative file paths resolve against an empty private directory. Every
// problem is an Error value; a configuration it accepts has a usable server URL and a TLS setup
// that is not contradictory.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "fuzz/FuzzCheck.h"
#include "runtime/kube/KubeConfig.h"

namespace {

class FixedClock final : public fro::Clock {
 public:
  // 2026-12-01T00:00:00Z, so certificate validity does not depend on the day of the run.
  time_point now() const override { return std::chrono::system_clock::from_time_t(1796083200); }
  std::chrono::steady_clock::time_point steadyNow() const override { return std::chrono::steady_clock::now(); }
};

const std::string& baseDir() {
  static const std::string dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/fro-fuzz-kubeconfig-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) __builtin_trap();
    return tmpl;
  }();
  return dir;
}

struct RemoveAtExit {
  ~RemoveAtExit() { rmdir(baseDir().c_str()); }
} removeAtExit;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  fro::kube::KubeConfig::LoadOptions options;
  options.getenv = [](const std::string&) { return std::optional<std::string>(); };
  options.clock = std::make_shared<FixedClock>();
  options.serviceAccountDir = baseDir();
  auto cfg = fro::kube::KubeConfig::parse(yaml, "fuzz.kubeconfig", baseDir(), options);
  if (!cfg.ok()) {
    FRO_FUZZ_CHECK(!cfg.error().message.empty(), "an Error without a message");
    return 0;
  }
  const std::string& server = cfg->server;
  FRO_FUZZ_CHECK(server.rfind("https://", 0) == 0 || server.rfind("http://", 0) == 0, "a server that is not an http(s) URL");
  FRO_FUZZ_CHECK(server.back() != '/', "a server with a trailing slash");
  FRO_FUZZ_CHECK(!(cfg->tls.insecureSkipVerify && !cfg->tls.caPem.empty()), "a CA together with insecure-skip-tls-verify");
  FRO_FUZZ_CHECK(cfg->tls.clientCertPem.empty() == cfg->tls.clientKeyPem.empty(), "a client certificate without its key");
  return 0;
}
