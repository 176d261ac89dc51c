// fro::kube::TokenSource::readTokenFile (the in-cluster service account token, kubeconfig
// tokenFile): any file content. The token is the content without surrounding blanks; a file of
// blanks is an error, and an error never carries the content.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz/FuzzCheck.h"
#include "runtime/kube/TokenSource.h"

namespace {

// One file per process, rewritten for every input; in RAM when there is a tmpfs (on disk this
// target runs 50 times slower).
const std::string& tokenPath() {
  static const std::string path = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = tmp && *tmp ? tmp : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string tmpl = base + "/fro-fuzz-token-XXXXXX";
    int fd = mkstemp(tmpl.data());
    if (fd < 0) __builtin_trap();
    close(fd);
    return tmpl;
  }();
  return path;
}

struct RemoveAtExit {
  ~RemoveAtExit() { unlink(tokenPath().c_str()); }
} removeAtExit;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  {
    std::ofstream out(tokenPath(), std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) __builtin_trap();  // the harness, not the code under test
  }
  auto token = fro::kube::TokenSource::readTokenFile(tokenPath());

  const char* blanks = " \t\r\n";
  const auto b = content.find_first_not_of(blanks);
  if (b == std::string_view::npos) {
    FRO_FUZZ_CHECK(!token.ok(), "a file of blanks gave a token");
    return 0;
  }
  const std::string_view want = content.substr(b, content.find_last_not_of(blanks) - b + 1);
  FRO_FUZZ_CHECK(token.ok(), "a readable token file was refused: " + (token.ok() ? std::string() : token.error().message));
  FRO_FUZZ_CHECK(*token == want, "the token is not the content without surrounding blanks");
  return 0;
}
