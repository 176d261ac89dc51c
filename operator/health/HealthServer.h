#pragma once
// Serves HealthChecks (/healthz, /livez, /readyz) over HTTP/1.1 for the kubelet's probes.
//
// A small socket server, not a web framework. One event-loop thread accepts connections and reads
// request heads from all of them at once (poll), so clients that connect and send nothing cannot
// hold up probes; complete requests go to a fixed pool of workers that run the checks and answer.
// Each connection carries one request and is closed after the answer (Connection: close). GET and
// HEAD only; request heads are limited to 8 KiB and must arrive within Options::readTimeout.
// Bad requests get 400/405/408/414/431/505 and never reach a check. Beyond maxConnections open
// connections, or maxPending requests waiting for a worker, new ones get 503 at once.
// stop() returns promptly: every thread is woken through a pipe.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "operator/common/Result.h"
#include "operator/health/HealthChecks.h"
#include "operator/process/BindAddress.h"

namespace fro::health {

class HealthServer {
 public:
  struct Options {
    std::size_t workers = 4;
    std::size_t maxPending = 64;       // complete requests waiting for a worker
    std::size_t maxConnections = 256;  // connections still sending their request head
    std::chrono::milliseconds readTimeout{5000};
  };

  HealthServer() : HealthServer(Options{}) {}
  explicit HealthServer(Options options);
  ~HealthServer();  // stop()
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // Checks may be added before or after start().
  Status addLivenessCheck(std::string name, Check check) { return checks_.addLiveness(std::move(name), std::move(check)); }
  Status addReadinessCheck(std::string name, Check check, Detail detail = {}) {
    return checks_.addReadiness(std::move(name), std::move(check), std::move(detail));
  }
  const HealthChecks& checks() const { return checks_; }

  // Binds and starts serving; returns the bound port (the kernel's choice for port 0). A disabled
  // address ("0") starts nothing and returns 0. Only once per server.
  Result<int> start(const process::BindAddress& at);
  Result<int> start(std::string_view bindAddress);
  void stop();

  int port() const { return port_; }

 private:
  // A complete request head, or the error status to answer instead (408, 431).
  struct Job {
    int fd = -1;
    std::string head;
    int errorStatus = 0;
  };
  void eventLoop();
  void workLoop();
  void dispatch(Job job);
  void serve(int fd, const std::string& head);
  bool sendAll(int fd, std::string_view data);
  void lingerClose(int fd);
  void respond(int fd, int status, std::string_view body, bool head = false, std::string_view extraHeaders = {});

  const Options opts_;
  HealthChecks checks_;
  int listenFd_ = -1;
  int wakeRead_ = -1;
  int wakeWrite_ = -1;
  int port_ = 0;
  bool started_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> pending_;
  bool stopping_ = false;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

}  // namespace fro::health
