// Probes over real HTTP on a loopback port, as the kubelet sends them, plus the requests a
// probe server meets in the wild (garbage, huge heads, silent clients). Waits are bounded.
#include "runtime/health/HealthServer.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "runtime/http/CurlTransport.h"

namespace fro::health {
namespace {

using namespace std::chrono_literals;

http::HttpResponse get(int port, const std::string& target, const std::string& method = "GET") {
  static http::CurlTransport transport(http::TlsConfig{});
  http::HttpRequest req;
  req.method = method;
  req.url = "http://127.0.0.1:" + std::to_string(port) + target;
  req.timeout = 10s;
  auto r = transport.send(req);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : http::HttpResponse{};
}

int connectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

// Sends raw bytes and reads until the server closes (bounded by 10 s).
std::string raw(int port, const std::string& bytes) {
  int fd = connectTo(port);
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  std::string out;
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// Waits (bounded) until the server holds what a test needs, e.g. silent connections on its threads.
bool waitUntil(const HealthServer& server, const std::function<bool(const HealthServer::Load&)>& pred) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!pred(server.load())) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

class HealthServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server.addReadinessCheck("informers-synced", [this]() -> Status {
                         if (!synced) return Error::of("1 of 2 informers not synced");
                         return ok();
                       }).ok());
    auto p = server.start("127.0.0.1:0");
    ASSERT_TRUE(p.ok()) << p.error().message;
    port = *p;
  }
  HealthServer server{{.workers = 4, .maxPending = 64, .maxConnections = 256, .readTimeout = 1s}};
  std::atomic<bool> synced{false};
  int port = 0;
};

TEST_F(HealthServerTest, HealthzOkReadyzFailsUntilReady) {
  auto h = get(port, "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok");
  EXPECT_EQ(h.header("content-type"), "text/plain; charset=utf-8");
  auto r = get(port, "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "[+]ping ok\n[-]informers-synced failed: 1 of 2 informers not synced\nreadyz check failed\n");
  synced = true;
  r = get(port, "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(get(port, "/readyz?verbose").body, "[+]ping ok\n[+]informers-synced ok\nreadyz check passed\n");
}

TEST_F(HealthServerTest, ChecksAddedAfterStartCount) {
  synced = true;
  ASSERT_TRUE(server.addLivenessCheck("workers", [] { return Status(Error::of("no worker alive")); }).ok());
  auto h = get(port, "/healthz");
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(h.body, "[+]ping ok\n[-]workers failed: no worker alive\nhealthz check failed\n");
}

TEST_F(HealthServerTest, HeadGetsStatusWithoutBody) {
  auto r = raw(port, "HEAD /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << r;
  EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "");
}

TEST_F(HealthServerTest, BadRequestsAreRefusedWithTheRightStatus) {
  EXPECT_EQ(get(port, "/readyz", "POST").status, 405);
  auto post = raw(port, "POST /readyz HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_NE(post.find("Allow: GET, HEAD\r\n"), std::string::npos) << post;
  EXPECT_EQ(raw(port, "garbage\r\n\r\n").rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_EQ(raw(port, "GET /healthz\r\n\r\n").rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_EQ(raw(port, "GET healthz HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_EQ(raw(port, "GET /healthz HTTP/2.0\r\n\r\n").rfind("HTTP/1.1 505 ", 0), 0u);
  EXPECT_EQ(raw(port, "GET /" + std::string(3000, 'a') + " HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 414 ", 0), 0u);
  EXPECT_EQ(raw(port, "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n").rfind("HTTP/1.1 431 ", 0),
            0u);
  EXPECT_EQ(get(port, "/nope").status, 404);
  // Bare LF line ends (nc, shell scripts) are accepted.
  EXPECT_EQ(raw(port, "GET /healthz HTTP/1.0\n\n").rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  // And the server still answers afterwards.
  EXPECT_EQ(get(port, "/healthz").status, 200);
}

TEST_F(HealthServerTest, SilentClientsTimeOutAndDoNotStarveProbes) {
  std::vector<int> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(connectTo(port));  // more than the 4 workers
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(get(port, "/healthz").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms) << "the kubelet's default probe timeout is 1 s";
  // A half-sent request gets 408 after the read timeout (1 s here).
  auto r = raw(port, "GET /healthz HTTP/1.1\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 408 ", 0), 0u) << r;
  for (int fd : idle) ::close(fd);
}

TEST_F(HealthServerTest, ConcurrentProbes) {
  std::atomic<int> ok200{0}, ok503{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        auto r = get(port, t % 2 ? "/healthz" : "/readyz");
        (r.status == 200 ? ok200 : r.status == 503 ? ok503 : other)++;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok200, 160);  // every /healthz
  EXPECT_EQ(ok503, 160);  // every /readyz (not synced)
  EXPECT_EQ(other, 0);
}

TEST_F(HealthServerTest, StopIsPromptEvenWithSilentClientsConnected) {
  std::vector<int> idle;
  for (int i = 0; i < 6; ++i) idle.push_back(connectTo(port));
  // Each silent client holds one of civetweb's threads, waiting for a request head.
  ASSERT_TRUE(waitUntil(server, [](const HealthServer::Load& l) { return l.open >= 6; }));
  EXPECT_EQ(get(port, "/healthz").status, 200);
  auto t0 = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  for (int fd : idle) ::close(fd);
  // Nothing listens any more.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::close(fd);
  server.stop();  // idempotent
}

TEST(HealthServerLimitsTest, OverloadIsRefusedAtOnceWith503) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int entered = 0;
  HealthServer server({.workers = 1, .maxPending = 1, .maxConnections = 256, .readTimeout = 5s});
  ASSERT_TRUE(server.addReadinessCheck("slow", [&] {
                      std::unique_lock l(mu);
                      ++entered;
                      cv.notify_all();
                      cv.wait_for(l, 10s, [&] { return release; });
                      return ok();
                    }).ok());
  auto port = *server.start("127.0.0.1:0");
  std::thread a([&] { EXPECT_EQ(get(port, "/readyz").status, 200); });  // holds the only worker
  {
    std::unique_lock l(mu);
    ASSERT_TRUE(cv.wait_for(l, 10s, [&] { return entered == 1; }));
  }
  int waiting = connectTo(port);  // fills the one pending slot
  ASSERT_EQ(::send(waiting, "GET /healthz HTTP/1.1\r\n\r\n", 25, MSG_NOSIGNAL), 25);
  // Once that request waits for the worker, the pending slot is taken: a third request is refused.
  ASSERT_TRUE(waitUntil(server, [](const HealthServer::Load& l) { return l.waiting == 1; }));
  auto third = raw(port, "GET /livez HTTP/1.1\r\n\r\n");
  EXPECT_EQ(third.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << third;
  EXPECT_EQ(third.substr(third.find("\r\n\r\n") + 4), "busy\n");
  {
    std::lock_guard l(mu);
    release = true;
  }
  cv.notify_all();
  a.join();
  ::close(waiting);
}

TEST(HealthServerLimitsTest, TooManyOpenConnectionsAreRefused) {
  HealthServer server({.workers = 1, .maxPending = 8, .maxConnections = 2, .readTimeout = 5s});
  auto port = *server.start("127.0.0.1:0");
  int a = connectTo(port), b = connectTo(port);
  ASSERT_TRUE(waitUntil(server, [](const HealthServer::Load& l) { return l.open == 2; }));
  EXPECT_EQ(raw(port, "GET /healthz HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 503 ", 0), 0u);
  ::close(a);
  ::close(b);
}

TEST(HealthServerStartTest, DisabledPortInUseAndAllInterfaces) {
  HealthServer disabled;
  EXPECT_EQ(*disabled.start("0"), 0);

  HealthServer all;
  auto p = all.start(":0");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(get(*p, "/livez").status, 200) << "':port' answers on IPv4 loopback";

  HealthServer clash;
  auto c = clash.start("127.0.0.1:" + std::to_string(*p));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "health server: cannot listen on 127.0.0.1:" + std::to_string(*p) + ": bind: Address already in use");
  EXPECT_EQ(c.error().kind, ErrorKind::System);
  EXPECT_EQ(c.error().code, EADDRINUSE);
  EXPECT_EQ(all.start(":0").error().message, "health server: already started or stopped");
  EXPECT_EQ(clash.start("x").error().message,
            "health server: invalid bind address \"x\": expected host:port, :port or 0");
}

}  // namespace
}  // namespace fro::health
