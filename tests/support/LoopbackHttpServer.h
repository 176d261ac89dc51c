#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 for tests and benchmarks that need a real socket (a fake
// Prometheus behind CurlTransport). One thread accepts; each connection is answered on its own
// thread, one request per connection (Connection: close). The handler sees the request target
// (path and query) and returns status, content type and body. Bodies are written in 64 KiB pieces;
// a client that hangs up (a size limit) just ends the write. Every socket has a send/receive timeout,
// so nothing here outlives the object by more than that.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace fro::testing {

class LoopbackHttpServer {
 public:
  struct Response {
    int status = 200;
    std::string contentType = "application/json";
    std::shared_ptr<const std::string> body;  // shared: large bodies are built once
    bool contentLength = true;                // false: the body ends when the connection closes
  };
  using Handler = std::function<Response(const std::string& target)>;

  explicit LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0) return;
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    std::list<std::thread> conns;
    {
      std::lock_guard l(mu_);
      conns.swap(conns_);
    }
    for (auto& t : conns) t.join();
    if (fd_ >= 0) ::close(fd_);
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  int port() const { return port_; }  // 0 if it could not listen
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

  static Response json(std::string body, int status = 200) {
    return Response{status, "application/json", std::make_shared<const std::string>(std::move(body)), true};
  }

 private:
  void acceptLoop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{5, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      std::lock_guard l(mu_);
      conns_.emplace_back([this, c] { serve(c); });
    }
  }

  void serve(int c) {
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos && req.size() < 65536 && !stop_) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      req.append(buf, static_cast<std::size_t>(n));
    }
    auto sp1 = req.find(' ');
    auto sp2 = sp1 == std::string::npos ? std::string::npos : req.find(' ', sp1 + 1);
    if (sp2 != std::string::npos) {
      ++requests_;
      Response r = handler_(req.substr(sp1 + 1, sp2 - sp1 - 1));
      static const std::string kEmpty;
      const std::string& body = r.body ? *r.body : kEmpty;
      std::string head = "HTTP/1.1 " + std::to_string(r.status) + " X\r\nContent-Type: " + r.contentType +
                         "\r\nConnection: close\r\n";
      if (r.contentLength) head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
      head += "\r\n";
      if (writeAll(c, head.data(), head.size()))
        for (std::size_t off = 0; off < body.size() && !stop_;) {
          const std::size_t n = std::min<std::size_t>(65536, body.size() - off);
          if (!writeAll(c, body.data() + off, n)) break;  // the client hung up
          off += n;
        }
    }
    ::shutdown(c, SHUT_WR);
    ::close(c);
  }

  static bool writeAll(int c, const char* p, std::size_t n) {
    while (n > 0) {
      ssize_t w = ::send(c, p, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::list<std::thread> conns_;
};

}  // namespace fro::testing
