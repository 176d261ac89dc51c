#include "runtime/health/HealthServer.h"

#include <civetweb.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>

#include "runtime/process/Logger.h"

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
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
  }
  return "Error";
}

// Writes the whole answer; returns its status (civetweb's access-log code).
int respond(mg_connection* conn, int status, std::string_view body, bool head = false,
            std::string_view extraHeaders = {}) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
      "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: {}\r\n{}\r\n",
      status, reasonPhrase(status), body.size(), extraHeaders);
  if (!head) out += body;
  mg_write(conn, out.data(), out.size());
  return status;
}

HealthServer* serverOf(const mg_connection* conn) {
  return static_cast<HealthServer*>(mg_get_user_data(mg_get_context(conn)));
}

using SteadyMs = std::chrono::milliseconds;
SteadyMs steadyNow() {
  return std::chrono::duration_cast<SteadyMs>(std::chrono::steady_clock::now().time_since_epoch());
}

// What civetweb logs while start() binds, read on the thread that calls mg_start2.
thread_local std::string* startLog = nullptr;

// "cannot bind to 127.0.0.1:8081: 98 (Address already in use)" -> errno 98.
int bindErrno(const std::string& log) {
  auto at = log.find("cannot bind to ");
  if (at == std::string::npos) return 0;
  auto open = log.rfind(" (");
  auto colon = log.rfind(": ", open);
  if (open == std::string::npos || colon == std::string::npos || colon < at) return 0;
  return std::atoi(log.c_str() + colon + 2);
}

// civetweb's threads look at its stop flag only between polls of up to 2 s (or the read timeout),
// so stop() would wait that long for a silent client or an idle listener. Shutting down every
// socket of this process bound to our port (the listener and what it accepted; never a client's
// socket, whose local port is another) wakes them at once. Linux only, like the operator.
void shutDownSocketsOn(int port) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const std::string name = entry.path().filename().string();
    char* end = nullptr;
    long fd = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || *end != '\0') continue;
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;
    int bound = addr.ss_family == AF_INET    ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                : addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                             : -1;
    int type = 0;
    socklen_t typeLen = sizeof type;
    if (bound != port || ::getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type, &typeLen) != 0 ||
        type != SOCK_STREAM)
      continue;
    ::shutdown(static_cast<int>(fd), SHUT_RDWR);
  }
}

std::string listeningPorts(const process::BindAddress& at) {
  // civetweb syntax: "+port" is every interface (dual-stack when IPv6 works, IPv4 otherwise).
  if (at.host.empty()) return fmt::format("+{}", at.port);
  if (at.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", at.host, at.port);
  return fmt::format("{}:{}", at.host, at.port);
}

}  // namespace

HealthServer::HealthServer(Options options) : opts_(options) {}

HealthServer::~HealthServer() { stop(); }

Result<int> HealthServer::start(std::string_view bindAddress) {
  auto at = process::BindAddress::parse(bindAddress);
  if (!at)
    return Error::invalid(
        fmt::format("health server: invalid bind address \"{}\": {}", bindAddress, at.error().message));
  return start(*at);
}

Result<int> HealthServer::start(const process::BindAddress& at) {
  {
    MutexLock l(mu_);
    if (started_ || stopping_) return Error::of("health server: already started or stopped");
  }
  if (at.disabled) return 0;
  static std::once_flag library;
  std::call_once(library, [] { mg_init_library(0); });

  const std::string ports = listeningPorts(at);
  const std::string threads = fmt::to_string(std::max<std::size_t>(1, opts_.maxConnections) + 1);
  const std::string timeout = fmt::to_string(opts_.readTimeout.count());
  const std::string maxHead = fmt::to_string(kMaxHead);
  const char* options[] = {"listening_ports", ports.c_str(),   "num_threads",      threads.c_str(),
                           "request_timeout_ms", timeout.c_str(), "max_request_size", maxHead.c_str(),
                           "enable_keep_alive", "no",          nullptr};
  mg_callbacks callbacks{};
  callbacks.begin_request = &HealthServer::onRequest;
  callbacks.http_error = &HealthServer::onHttpError;
  callbacks.log_message = &HealthServer::onLog;
  callbacks.init_connection = &HealthServer::onConnectionOpen;
  callbacks.connection_closed = &HealthServer::onConnectionClosed;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = this;
  init.configuration_options = options;
  char text[256] = {};
  mg_error_data error{};
  error.text = text;
  error.text_buffer_size = sizeof text;

  std::string log;
  startLog = &log;
  mg_context* ctx = mg_start2(&init, &error);
  startLog = nullptr;
  if (ctx == nullptr) {
    if (int err = bindErrno(log); err != 0)
      return Error::system(err, fmt::format("health server: cannot listen on {}: bind: {}", at.str(), std::strerror(err)));
    return Error::of(fmt::format("health server: cannot listen on {}: {}", at.str(), log.empty() ? text : log));
  }
  mg_server_port bound{};
  port_ = mg_get_server_ports(ctx, 1, &bound) == 1 ? bound.port : at.port;
  MutexLock l(mu_);
  ctx_ = ctx;
  started_ = true;
  return port_;
}

void HealthServer::stop() {
  mg_context* ctx = nullptr;
  {
    MutexLock l(mu_);
    const bool running = started_ && !stopping_;
    stopping_ = true;
    if (!running) return;
    ctx = ctx_;
  }
  cv_.notify_all();  // requests waiting for a worker give up
  shutDownSocketsOn(port_);
  mg_stop(ctx);  // joins civetweb's threads: nothing runs a callback afterwards
  MutexLock l(mu_);
  ctx_ = nullptr;
}

HealthServer::Load HealthServer::load() const {
  MutexLock l(mu_);
  return {open_, running_, waiting_};
}

int HealthServer::onConnectionOpen(const mg_connection* conn, void** connData) {
  // When the connection began, for onHttpError's 408 (a steady-clock count fits a pointer).
  *connData = reinterpret_cast<void*>(static_cast<std::uintptr_t>(steadyNow().count()));
  try {
    HealthServer* self = serverOf(conn);
    MutexLock l(self->mu_);
    ++self->open_;
  } catch (...) {  // a lock that throws: count nothing rather than let it into civetweb
  }
  return 0;
}

void HealthServer::onConnectionClosed(const mg_connection* conn) {
  try {
    HealthServer* self = serverOf(conn);
    MutexLock l(self->mu_);
    if (self->open_ > 0) --self->open_;
  } catch (...) {
  }
}

int HealthServer::onLog(const mg_connection*, const char* message) {
  try {
    if (startLog != nullptr) {
      if (startLog->empty()) *startLog = message;  // the first says why start() failed
    } else {
      log::debug("health server: civetweb says", {{"message", message}});
    }
  } catch (...) {
  }
  return 1;  // never civetweb's own stderr
}

int HealthServer::onRequest(mg_connection* conn) {
  try {
    return serverOf(conn)->serve(conn);
  } catch (const std::exception& e) {
    log::warn("health server: request failed", {{"error", e.what()}});
  } catch (...) {
    log::warn("health server: request failed", {{"error", "unknown exception"}});
  }
  return respond(conn, 500, "internal error\n");
}

int HealthServer::onHttpError(mg_connection* conn, int status, const char* message) {
  try {
    return serverOf(conn)->refuse(conn, status, message);
  } catch (...) {
    return 1;  // civetweb's own error page then
  }
}

int HealthServer::refuse(mg_connection* conn, int status, const char* message) {
  const std::string_view what = message != nullptr ? message : "";
  if (status == 400 && what == "Malformed message") {
    // civetweb says this of a head that did not arrive in time and of one past max_request_size.
    auto began = SteadyMs(reinterpret_cast<std::uintptr_t>(mg_get_user_connection_data(conn)));
    if (steadyNow() - began >= opts_.readTimeout) respond(conn, 408, "request not received in time\n");
    else respond(conn, 431, "request head larger than 8 KiB\n");
  } else if (status == 413) {
    respond(conn, 431, "request head larger than 8 KiB\n");
  } else if (status == 505) {
    respond(conn, 505, "HTTP/1.0 and HTTP/1.1 only\n");
  } else {
    respond(conn, status, fmt::format("{}\n", what));
  }
  return 0;
}

bool HealthServer::acquireWorker() {
  MutexLock l(mu_);
  if (running_ >= opts_.workers) {
    if (waiting_ >= opts_.maxPending) return false;  // a quick refusal beats a probe timeout
    ++waiting_;
    cv_.wait(l.native(), [&]() FRO_REQUIRES(mu_) { return stopping_ || running_ < opts_.workers; });
    --waiting_;
    if (stopping_) return false;
  }
  ++running_;
  return true;
}

void HealthServer::releaseWorker() {
  {
    MutexLock l(mu_);
    --running_;
  }
  cv_.notify_one();
}

int HealthServer::serve(mg_connection* conn) {
  const mg_request_info* req = mg_get_request_info(conn);
  bool crowded = false;
  {
    MutexLock l(mu_);
    crowded = open_ > opts_.maxConnections;
  }
  if (crowded) return respond(conn, 503, "busy\n");
  std::string target = req->request_uri != nullptr ? req->request_uri : "";
  if (req->query_string != nullptr) target += fmt::format("?{}", req->query_string);
  const std::string_view method = req->request_method != nullptr ? req->request_method : "";
  if (target.size() > kMaxTarget) return respond(conn, 414, "request target too long\n");
  if (target.empty() || target.front() != '/') return respond(conn, 400, "request target must be a path\n");
  const bool head = method == "HEAD";
  if (method != "GET" && !head) return respond(conn, 405, "GET or HEAD only\n", false, "Allow: GET, HEAD\r\n");
  if (!acquireWorker()) return respond(conn, 503, "busy\n");
  struct Slot {
    HealthServer* server;
    ~Slot() { server->releaseWorker(); }
  } slot{this};
  const Reply reply = checks_.handle(target);
  return respond(conn, reply.status, reply.body, head);
}

}  // namespace fro::health
