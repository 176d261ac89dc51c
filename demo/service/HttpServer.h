#pragma once
// A tiny HTTP/1.1 server for the control endpoint: one thread, one request per connection
// (Connection: close), request heads up to 16 KiB, bodies read and ignored. Enough for curl and
// scripts; not a general web server.
#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "demo/service/Endpoint.h"
#include "demo/service/HttpReply.h"
#include "runtime/common/Result.h"

namespace fro::demo {

struct RequestLine {
  std::string method;
  std::string target;
  std::size_t contentLength = 0;
};

class HttpServer {
 public:
  using Handler = std::function<HttpReply(std::string_view method, std::string_view target)>;
  static constexpr std::size_t kMaxHead = 16 * 1024;
  static constexpr std::size_t kMaxBody = 64 * 1024;

  explicit HttpServer(Handler handler) : handler_(std::move(handler)) {}
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving; returns the bound port (useful with port 0).
  Result<int> start(const Endpoint& at);
  void stop();

  // Parses a request head (everything before the blank line): request line and Content-Length.
  static Result<RequestLine> parseHead(std::string_view head);
  static std::string format(const HttpReply& r);

 private:
  void serve();
  void handleConnection(int fd);

  Handler handler_;
  int listenFd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace fro::demo
