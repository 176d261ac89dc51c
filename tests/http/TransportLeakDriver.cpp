// Drives CurlTransport over HTTPS against the loopback test server, for hack/bench/transport-leak.sh
// (run under valgrind, or alone for RSS figures). Starts tests/http/test_server.py itself.
//
//   http_transport_leak_driver requests N   N HTTPS GETs, each on a new transport (new TLS connection)
//   http_transport_leak_driver streams N    N HTTPS watch-like streams (20 chunked JSON lines each,
//                                           every line split across two chunks), each on its own connection
//   http_transport_leak_driver pooled N     N HTTPS GETs on one transport (pooled, reused connection)
//   http_transport_leak_driver aborts N     N each of: stream stopped by onLine, send cancelled in flight,
//                                           stream hitting its idle timeout, handshake failing (wrong CA)
//   http_transport_leak_driver soak N       N HTTPS requests alternating new-connection send / stream,
//                                           printing RSS at the start, every 1000 and at the end
// Exit status 0 only if every request behaved as expected.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "runtime/http/CurlTransport.h"
#include "tests/http/TestServer.h"

using namespace fro::http;
using namespace std::chrono_literals;

namespace {

long rssKiB() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

struct Driver {
  fro::testing::TestServer& srv;
  TlsConfig tls;
  long ok = 0, failed = 0;

  std::string url(const std::string& path) const {
    return fro::testing::TestServer::url("https", "localhost", srv.httpsPort, path);
  }

  void expect(bool good, const std::string& what) {
    if (good) {
      ++ok;
    } else {
      ++failed;
      if (failed <= 5) std::cerr << "unexpected: " << what << "\n";
    }
  }

  void sendNew() {
    CurlTransport t{tls};
    HttpRequest r;
    r.url = url("/echo");
    r.headers = {{"Authorization", "Bearer not-a-real-token"}};
    auto resp = t.send(r);
    expect(resp.ok() && resp->status == 200, resp.ok() ? "status " + std::to_string(resp->status) : resp.error().message);
  }

  void sendOn(CurlTransport& t) {
    HttpRequest r;
    r.url = url("/echo");
    auto resp = t.send(r);
    expect(resp.ok() && resp->status == 200, resp.ok() ? "status " + std::to_string(resp->status) : resp.error().message);
  }

  void streamOne(CurlTransport& t, int lines) {
    HttpRequest r;
    r.url = url("/watch?n=" + std::to_string(lines));
    r.idleTimeout = 10s;
    int n = 0;
    bool wellFormed = true;
    auto resp = t.stream(r, [&](std::string_view l) {
      ++n;
      wellFormed = wellFormed && !l.empty() && l.front() == '{' && l.back() == '}';
      return true;
    });
    expect(resp.ok() && resp->status == 200 && n == lines && wellFormed,
           resp.ok() ? "stream lines " + std::to_string(n) : resp.error().message);
  }

  void aborts(CurlTransport& t) {
    {  // onLine stops after 3 of 20 lines
      HttpRequest r;
      r.url = url("/watch?n=20&delay_ms=5");
      int n = 0;
      auto resp = t.stream(r, [&](std::string_view) { return ++n < 3; });
      expect(resp.ok() && n == 3, "early stop");
    }
    {  // cancelled while the server hangs
      std::atomic<bool> cancel{false};
      HttpRequest r;
      r.url = url("/hang");
      r.cancel = &cancel;
      std::thread c([&] {
        std::this_thread::sleep_for(100ms);
        cancel = true;
      });
      auto resp = t.send(r);
      c.join();
      expect(!resp.ok() && resp.error().code == kCancelled, "cancel");
    }
    {  // idle timeout on a stalled stream
      HttpRequest r;
      r.method = "POST";
      r.url = url("/chunks");
      r.body = R"({"chunks":["a\n"],"hang_after":true})";
      r.idleTimeout = 150ms;
      auto resp = t.stream(r, [](std::string_view) { return true; });
      expect(!resp.ok() && resp.error().code == kTimedOut, "idle timeout");
    }
    {  // handshake fails: wrong CA
      TlsConfig bad = tls;
      bad.caPem = srv.otherCaPem;
      CurlTransport b{bad};
      HttpRequest r;
      r.url = url("/echo");
      auto resp = b.send(r);
      expect(!resp.ok() && resp.error().code == kTlsFailed, "wrong CA");
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " requests|streams|pooled|aborts|soak N\n";
    return 2;
  }
  const std::string mode = argv[1];
  const long n = std::atol(argv[2]);
  setenv("NO_PROXY", "*", 1);
  setenv("no_proxy", "*", 1);

  int rc = 0;
  {
    fro::testing::TestServer srv(FRO_HTTP_TEST_SERVER);
    Driver d{srv, {}};
    d.tls.caPem = srv.caPem;
    auto t0 = std::chrono::steady_clock::now();
    long rssStart = rssKiB();
    if (mode == "requests") {
      for (long i = 0; i < n; ++i) d.sendNew();
    } else if (mode == "streams") {
      CurlTransport t{d.tls};
      for (long i = 0; i < n; ++i) d.streamOne(t, 20);
    } else if (mode == "pooled") {
      CurlTransport t{d.tls};
      for (long i = 0; i < n; ++i) d.sendOn(t);
    } else if (mode == "aborts") {
      CurlTransport t{d.tls};
      for (long i = 0; i < n; ++i) d.aborts(t);
    } else if (mode == "soak") {
      CurlTransport t{d.tls};
      // Warm up (first TLS connection initialises OpenSSL tables) before the first reading.
      d.sendNew();
      d.streamOne(t, 5);
      rssStart = rssKiB();
      std::cout << "soak: rss_kb start " << rssStart << std::endl;
      for (long i = 0; i < n; ++i) {
        if (i % 2 == 0)
          d.sendNew();
        else
          d.streamOne(t, 5);
        if ((i + 1) % 1000 == 0) std::cout << "soak: after " << (i + 1) << " requests rss_kb " << rssKiB() << std::endl;
      }
    } else {
      std::cerr << "unknown mode " << mode << "\n";
      return 2;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "mode=" << mode << " n=" << n << " ok=" << d.ok << " failed=" << d.failed << " seconds=" << secs
              << " rss_kb_start=" << rssStart << " rss_kb_end=" << rssKiB() << std::endl;
    rc = d.failed == 0 ? 0 : 1;
  }
  return rc;
}
