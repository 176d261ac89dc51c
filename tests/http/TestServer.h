#pragma once
// Runs tests/http/test_server.py (a loopback HTTP/HTTPS server with a throwaway PKI) as a child
// process for as long as this object lives. The child exits when our end of its stdin closes, so it
// also goes away if the test process dies.
#include <sys/types.h>

#include <string>

namespace fro::testing {

class TestServer {
 public:
  // Starts the server and waits (polling its stdout, at most `startTimeoutMs`) until it is ready.
  // Aborts the test program with a message if it cannot start.
  explicit TestServer(const std::string& script, int startTimeoutMs = 20000);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int httpPort = 0;     // plain HTTP
  int httpsPort = 0;    // HTTPS, cert for localhost and 127.0.0.1
  int mtlsPort = 0;     // HTTPS (TLS <= 1.2) requiring a client certificate signed by the CA
  int mtls13Port = 0;   // the same over TLS 1.3 (certificate checked after the client's handshake)
  int namedPort = 0;    // HTTPS, cert only for apiserver.fro.test
  std::string caPem, otherCaPem, clientCertPem, clientKeyPem;

  std::string http(const std::string& path) const { return url("http", "127.0.0.1", httpPort, path); }
  std::string https(const std::string& path, const std::string& host = "127.0.0.1") const {
    return url("https", host, httpsPort, path);
  }
  static std::string url(const std::string& scheme, const std::string& host, int port, const std::string& path) {
    return scheme + "://" + host + ":" + std::to_string(port) + path;
  }

 private:
  pid_t pid_ = -1;
  int stdinFd_ = -1;
  int stdoutFd_ = -1;
};

// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
int unusedPort();

}  // namespace fro::testing
