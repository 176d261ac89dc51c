#include "operator/health/HealthServer.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fro::health {

namespace {

constexpr std::size_t kMaxHead = 8 * 1024;
constexpr std::size_t kMaxTarget = 2 * 1024;

const char* reasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
  }
  return "Error";
}

std::string errnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Binds host:port; an empty host listens on every interface, IPv6 dual-stack when available.
Result<int> bindListen(const process::BindAddress& at) {
  std::vector<std::pair<std::string, bool>> attempts;  // host, passive
  if (at.host.empty()) attempts = {{"::", true}, {"0.0.0.0", true}};
  else attempts = {{at.host, false}};
  std::string lastError = "no address";
  for (const auto& [host, passive] : attempts) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE | AI_NUMERICHOST : 0;
    addrinfo* res = nullptr;
    auto port = std::to_string(at.port);
    int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) {
      lastError = std::string("cannot resolve ") + host + ": " + ::gai_strerror(rc);
      continue;
    }
    for (auto* ai = res; ai; ai = ai->ai_next) {
      // Non-blocking: the event loop accepts until EAGAIN.
      int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
      if (fd < 0) {
        lastError = errnoText("socket");
        continue;
      }
      int one = 1, zero = 0;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (ai->ai_family == AF_INET6 && passive) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
      if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 128) == 0) {
        ::freeaddrinfo(res);
        return fd;
      }
      lastError = errnoText("bind");
      ::close(fd);
    }
    ::freeaddrinfo(res);
  }
  return Error::of("health server: cannot listen on " + at.str() + ": " + lastError);
}

}  // namespace

HealthServer::HealthServer(Options options) : opts_(options) {}

HealthServer::~HealthServer() { stop(); }

Result<int> HealthServer::start(std::string_view bindAddress) {
  auto at = process::BindAddress::parse(bindAddress);
  if (!at) return Error::of("health server: invalid bind address \"" + std::string(bindAddress) + "\": " + at.error().message);
  return start(*at);
}

Result<int> HealthServer::start(const process::BindAddress& at) {
  {
    std::lock_guard l(mu_);
    if (started_ || stopping_) return Error::of("health server: already started or stopped");
  }
  if (at.disabled) return 0;
  auto fd = bindListen(at);
  if (!fd) return fd.error();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    ::close(*fd);
    return Error::of("health server: " + errnoText("pipe"));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(*fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                     : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  listenFd_ = *fd;
  wakeRead_ = fds[0];
  wakeWrite_ = fds[1];
  {
    std::lock_guard l(mu_);
    started_ = true;
  }
  acceptor_ = std::thread([this] { eventLoop(); });
  for (std::size_t i = 0; i < std::max<std::size_t>(1, opts_.workers); ++i)
    workers_.emplace_back([this] { workLoop(); });
  return port_;
}

void HealthServer::stop() {
  {
    std::lock_guard l(mu_);
    if (stopping_ || !started_) {
      stopping_ = true;
      return;
    }
    stopping_ = true;
  }
  // The pipe stays readable from now on, so every poll() in every thread returns.
  char byte = 1;
  [[maybe_unused]] auto n = ::write(wakeWrite_, &byte, 1);
  cv_.notify_all();
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  for (const auto& job : pending_) ::close(job.fd);
  pending_.clear();
  ::close(listenFd_);
  ::close(wakeRead_);
  ::close(wakeWrite_);
  listenFd_ = wakeRead_ = wakeWrite_ = -1;
}

void HealthServer::eventLoop() {
  struct Conn {
    int fd;
    std::string buf;
    std::chrono::steady_clock::time_point deadline;
  };
  std::vector<Conn> conns;
  std::vector<pollfd> pfds;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    // Expired heads: 408 if the client started a request, else just close.
    for (auto it = conns.begin(); it != conns.end();) {
      if (it->deadline > now) {
        ++it;
        continue;
      }
      if (it->buf.empty()) ::close(it->fd);
      else dispatch({it->fd, {}, 408});
      it = conns.erase(it);
    }
    int timeout = -1;
    for (const auto& c : conns) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c.deadline - now).count() + 1;
      timeout = timeout < 0 ? static_cast<int>(left) : std::min(timeout, static_cast<int>(left));
    }
    pfds.assign({{wakeRead_, POLLIN, 0}, {listenFd_, POLLIN, 0}});
    for (const auto& c : conns) pfds.push_back({c.fd, POLLIN, 0});
    int n = ::poll(pfds.data(), pfds.size(), timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (pfds[0].revents & POLLIN)) break;
    // Read first (indexes match conns), accept afterwards.
    std::vector<Conn> still;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      auto& c = conns[i];
      if (!(pfds[i + 2].revents & (POLLIN | POLLHUP | POLLERR))) {
        still.push_back(std::move(c));
        continue;
      }
      char chunk[2048];
      auto got = ::recv(c.fd, chunk, sizeof chunk, MSG_DONTWAIT);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
        still.push_back(std::move(c));
        continue;
      }
      if (got <= 0) {  // client went away before finishing its request
        ::close(c.fd);
        continue;
      }
      c.buf.append(chunk, static_cast<std::size_t>(got));
      auto end = c.buf.find("\r\n\r\n");
      if (end == std::string::npos) end = c.buf.find("\n\n");  // tolerate bare LF (nc, scripts)
      if (end != std::string::npos && end <= kMaxHead) dispatch({c.fd, c.buf.substr(0, end), 0});
      else if (c.buf.size() > kMaxHead) dispatch({c.fd, {}, 431});
      else still.push_back(std::move(c));
    }
    conns = std::move(still);
    if (pfds[1].revents & POLLIN) {
      for (;;) {
        // Only accept what is pending: seen in the operator process, the listening socket had
        // lost O_NONBLOCK, and a blocking accept4() here froze every probe.
        pollfd ready{listenFd_, POLLIN, 0};
        if (::poll(&ready, 1, 0) <= 0 || !(ready.revents & POLLIN)) break;
        int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;  // EAGAIN: all taken; ECONNABORTED, EMFILE: serve the others
        if (conns.size() >= opts_.maxConnections) {
          respond(fd, 503, "busy\n");
          ::close(fd);
          continue;
        }
        conns.push_back({fd, {}, std::chrono::steady_clock::now() + opts_.readTimeout});
      }
    }
  }
  for (auto& c : conns) ::close(c.fd);
}

void HealthServer::dispatch(Job job) {
  std::unique_lock l(mu_);
  if (pending_.size() >= opts_.maxPending) {
    l.unlock();
    // Overloaded: a quick refusal is a better probe answer than a timeout.
    respond(job.fd, 503, "busy\n");
    ::close(job.fd);
    return;
  }
  pending_.push_back(std::move(job));
  l.unlock();
  cv_.notify_one();
}

void HealthServer::workLoop() {
  for (;;) {
    Job job;
    {
      std::unique_lock l(mu_);
      cv_.wait(l, [&] { return stopping_ || !pending_.empty(); });
      if (stopping_) return;
      job = std::move(pending_.front());
      pending_.pop_front();
    }
    if (job.errorStatus == 408) respond(job.fd, 408, "request not received in time\n");
    else if (job.errorStatus == 431) respond(job.fd, 431, "request head larger than 8 KiB\n");
    else serve(job.fd, job.head);
    lingerClose(job.fd);
  }
}

void HealthServer::lingerClose(int fd) {
  // Closing with unread input makes the kernel send RST, which can destroy the answer before the
  // client reads it (e.g. a 431 for a huge head). Half-close, then drain briefly.
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  std::size_t drained = 0;
  for (int round = 0; round < 10 && drained < 64 * 1024; ++round) {
    pollfd p[2] = {{fd, POLLIN, 0}, {wakeRead_, POLLIN, 0}};
    if (::poll(p, 2, 20) <= 0 || (p[1].revents & POLLIN)) break;
    auto n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
    if (n <= 0) break;
    drained += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

void HealthServer::serve(int fd, const std::string& head) {
  auto eol = head.find('\n');
  std::string_view line(head.data(), eol == std::string::npos ? head.size() : eol);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return respond(fd, 400, "malformed request line\n");
  auto method = line.substr(0, sp1);
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto version = line.substr(sp2 + 1);
  if (version.substr(0, 5) != "HTTP/") return respond(fd, 400, "malformed request line\n");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return respond(fd, 505, "HTTP/1.0 and HTTP/1.1 only\n");
  if (target.size() > kMaxTarget) return respond(fd, 414, "request target too long\n");
  if (target.empty() || target.front() != '/') return respond(fd, 400, "request target must be a path\n");
  bool isHead = method == "HEAD";
  if (method != "GET" && !isHead) return respond(fd, 405, "GET or HEAD only\n", false, "Allow: GET, HEAD\r\n");
  auto reply = checks_.handle(target);
  respond(fd, reply.status, reply.body, isHead);
}

bool HealthServer::sendAll(int fd, std::string_view data) {
  auto deadline = std::chrono::steady_clock::now() + opts_.readTimeout;
  while (!data.empty()) {
    auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p[2] = {{fd, POLLOUT, 0}, {wakeRead_, POLLIN, 0}};
      if (::poll(p, 2, static_cast<int>(left.count())) <= 0 || (p[1].revents & POLLIN)) return false;
      continue;
    }
    return false;  // peer gone (EPIPE, ECONNRESET): nothing to do
  }
  return true;
}

void HealthServer::respond(int fd, int status, std::string_view body, bool head, std::string_view extraHeaders) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) +
                    "\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
                    "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n" + std::string(extraHeaders) + "\r\n";
  if (!head) out += body;
  sendAll(fd, out);
}

}  // namespace fro::health
