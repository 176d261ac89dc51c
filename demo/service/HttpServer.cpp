#include "demo/service/HttpServer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace fro::demo {

namespace {

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    default: return "Unknown";
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

void sendAll(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client went away: nothing to do
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

HttpServer::~HttpServer() { stop(); }

Result<RequestLine> HttpServer::parseHead(std::string_view head) {
  auto eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return Error::of("malformed request line");
  RequestLine r{std::string(line.substr(0, sp1)), std::string(line.substr(sp1 + 1, sp2 - sp1 - 1))};
  std::string_view version = line.substr(sp2 + 1);
  if (r.method.empty() || r.target.empty() || r.target[0] != '/') return Error::of("malformed request line");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return Error::of("unsupported protocol version");
  std::string_view rest = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
  while (!rest.empty()) {
    auto e = rest.find("\r\n");
    std::string_view h = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view{} : rest.substr(e + 2);
    auto colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    if (iequals(trim(h.substr(0, colon)), "content-length")) {
      std::string_view v = trim(h.substr(colon + 1));
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), r.contentLength);
      if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) return Error::of("bad Content-Length");
    } else if (iequals(trim(h.substr(0, colon)), "transfer-encoding")) {
      return Error::of("chunked request bodies are not supported");
    }
  }
  return r;
}

std::string HttpServer::format(const HttpReply& r) {
  return "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\nContent-Type: " + r.contentType +
         "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n" + r.body;
}

Result<int> HttpServer::start(const Endpoint& at) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::of(std::string("socket: ") + std::strerror(errno), errno);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(at.port));
  if (inet_pton(AF_INET, at.host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return Error::of("control address " + at.str() + ": not an IPv4 address");
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    int err = errno;
    ::close(fd);
    return Error::of("control address " + at.str() + ": " + std::strerror(err), err);
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  listenFd_ = fd;
  stopping_ = false;
  thread_ = std::thread([this] { serve(); });
  return static_cast<int>(ntohs(addr.sin_port));
}

void HttpServer::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listenFd_ >= 0) ::close(listenFd_);
  listenFd_ = -1;
}

void HttpServer::serve() {
  while (!stopping_) {
    pollfd p{listenFd_, POLLIN, 0};
    // A short poll so stop() is noticed promptly without a wake-up pipe.
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    handleConnection(fd);
    ::close(fd);
  }
}

void HttpServer::handleConnection(int fd) {
  // A stalled client must not block the endpoint for long.
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string buf;
  char chunk[4096];
  std::size_t headEnd = std::string::npos;
  while ((headEnd = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > kMaxHead) return sendAll(fd, format({431, "{\"error\":\"request head too large\"}\n"}));
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  auto req = parseHead(std::string_view(buf).substr(0, headEnd));
  // parseHead's messages are fixed texts without quotes: safe inside a JSON string.
  if (!req) return sendAll(fd, format({400, "{\"error\":\"" + req.error().message + "\"}\n"}));
  if (req->contentLength > kMaxBody) return sendAll(fd, format({413, "{\"error\":\"request body too large\"}\n"}));
  // Read the (ignored) body so the client never sees a reset before our reply.
  std::size_t have = buf.size() - headEnd - 4;
  while (have < req->contentLength) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    have += static_cast<std::size_t>(n);
  }
  HttpReply reply;
  try {
    reply = handler_(req->method, req->target);
  } catch (const std::exception&) {  // a handler bug must not take the service down
    reply = {500, std::string("{\"error\":\"internal error\"}\n")};
  }
  if (req->method == "HEAD") reply.body.clear();
  sendAll(fd, format(reply));
}

}  // namespace fro::demo
