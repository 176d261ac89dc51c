#pragma once
// Serves HealthChecks (/healthz, /livez, /readyz) over HTTP/1.1 for the kubelet's probes, on
// civetweb: the server prometheus-cpp already loads into the process for /metrics.
//
// civetweb gives each open connection one of its threads, which reads the request head (8 KiB at
// most, within Options::readTimeout). So it runs maxConnections + 1 threads: clients that connect
// and send nothing hold up no probe until maxConnections of them are open, and the spare thread
// answers 503 beyond that. At most `workers` requests run checks at once and maxPending more wait
// for one; beyond that, 503 at once. Each connection carries one request (Connection: close). GET
// and HEAD only; bad requests get 400/405/408/414/431/505 and never reach a check. stop() returns
// promptly even with silent clients connected.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <string>
#include <string_view>

#include "runtime/common/Result.h"
#include "runtime/common/ThreadSafety.h"
#include "runtime/health/HealthChecks.h"
#include "runtime/process/BindAddress.h"

struct mg_context;
struct mg_connection;

namespace fro::health {

class HealthServer {
 public:
  struct Options {
    std::size_t workers = 4;          // requests running checks at once
    std::size_t maxPending = 64;      // complete requests waiting for a worker
    std::size_t maxConnections = 8;   // open connections (each holds one civetweb thread)
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
  Result<int> start(const process::BindAddress& at) FRO_EXCLUDES(mu_);
  Result<int> start(std::string_view bindAddress) FRO_EXCLUDES(mu_);
  void stop() FRO_EXCLUDES(mu_);

  int port() const { return port_; }

  // What the server holds right now (tests wait on it instead of sleeping).
  struct Load {
    std::size_t open = 0;     // connections civetweb's threads hold
    std::size_t running = 0;  // requests running checks
    std::size_t waiting = 0;  // requests waiting for a worker
  };
  Load load() const FRO_EXCLUDES(mu_);

 private:
  // civetweb's callbacks (C, on its threads): they catch everything.
  static int onConnectionOpen(const mg_connection* conn, void** connData);
  static void onConnectionClosed(const mg_connection* conn);
  static int onRequest(mg_connection* conn);
  static int onHttpError(mg_connection* conn, int status, const char* message);
  static int onLog(const mg_connection* conn, const char* message);

  int serve(mg_connection* conn) FRO_EXCLUDES(mu_);
  int refuse(mg_connection* conn, int status, const char* message);
  bool acquireWorker() FRO_EXCLUDES(mu_);
  void releaseWorker() FRO_EXCLUDES(mu_);

  const Options opts_;
  HealthChecks checks_;
  int port_ = 0;

  mutable Mutex mu_;
  std::condition_variable cv_;  // a worker slot came free, or stop()
  mg_context* ctx_ FRO_GUARDED_BY(mu_) = nullptr;
  bool started_ FRO_GUARDED_BY(mu_) = false;
  bool stopping_ FRO_GUARDED_BY(mu_) = false;
  std::size_t open_ FRO_GUARDED_BY(mu_) = 0;     // connections civetweb's threads hold
  std::size_t running_ FRO_GUARDED_BY(mu_) = 0;  // requests running checks
  std::size_t waiting_ FRO_GUARDED_BY(mu_) = 0;  // requests waiting for a worker
};

}  // namespace fro::health
