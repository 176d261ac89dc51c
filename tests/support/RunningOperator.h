#pragma once
// One operator process (build-*/bin/feature-rollout-operator) started by a test: its ports and its
// JSON log (one object per line), which is what the tests read to see what it did.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/http/HttpTransport.h"
#include "tests/support/ChildProcess.h"

namespace fro::testing {

struct RunningOperator {
  using json = nlohmann::json;
  using Clock = std::chrono::steady_clock;
  using Predicate = std::function<bool(const json&)>;

  std::string label;
  int metricsPort = 0, healthPort = 0;
  Clock::time_point started;
  std::unique_ptr<ChildProcess> proc;

  // Runs the operator on `kubeconfig`, watching only `watchNamespace`, on free loopback ports.
  static std::unique_ptr<RunningOperator> start(const std::string& label, const std::string& kubeconfig,
                                                const std::string& watchNamespace, const std::string& logPath,
                                                const std::string& shutdownTimeout,
                                                const std::vector<std::string>& extra = {}) {
    auto op = std::make_unique<RunningOperator>();
    op->label = label;
    op->metricsPort = freePort();
    op->healthPort = freePort();
    std::vector<std::string> args{FRO_OPERATOR_BIN,
                                  "--kubeconfig", kubeconfig,
                                  "--watch-namespaces", watchNamespace,
                                  "--metrics-bind-address", "127.0.0.1:" + std::to_string(op->metricsPort),
                                  "--health-probe-bind-address", "127.0.0.1:" + std::to_string(op->healthPort),
                                  "--log-format", "json",
                                  "--shutdown-timeout", shutdownTimeout};
    args.insert(args.end(), extra.begin(), extra.end());
    op->started = Clock::now();
    op->proc = std::make_unique<ChildProcess>(args, logPath);
    return op;
  }

  std::vector<json> records() const {
    std::vector<json> out;
    std::istringstream in(proc->log());
    std::string line;
    while (std::getline(in, line)) {
      auto j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object()) out.push_back(std::move(j));
    }
    return out;
  }
  std::optional<json> find(const Predicate& pred) const {
    for (auto& r : records())
      if (pred(r)) return r;
    return std::nullopt;
  }
  // Polls the log until a record matches, looking once more at `limit`.
  std::optional<json> waitFor(const Predicate& pred, std::chrono::milliseconds limit) const {
    auto deadline = Clock::now() + limit;
    do {
      if (auto r = find(pred)) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (Clock::now() < deadline);
    return std::nullopt;
  }
  static Predicate msg(const std::string& m) {
    return [m](const json& r) { return r.value("msg", "") == m; };
  }
  bool logged(const std::string& m) const { return find(msg(m)).has_value(); }
  std::string identity() const {
    auto r = find(msg("running"));
    return r ? r->value("identity", "") : "";
  }
  bool becameLeader() const { return logged("became the leader; starting workers"); }
  // GET of a health probe path (/readyz, /healthz, /readyz?verbose) on its probe port.
  Result<http::HttpResponse> probe(http::HttpTransport& transport, const std::string& path) const {
    http::HttpRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(healthPort) + path;
    req.timeout = std::chrono::seconds(3);
    return transport.send(req);
  }
  // The last `n` lines of its log, for failure messages.
  std::string tail(size_t n = 40) const {
    std::istringstream in(proc->log());
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    std::string out;
    for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out += lines[i] + "\n";
    return out;
  }
};

// SIGTERM to each that still runs, waiting up to `limit` for each.
inline void terminateAll(const std::vector<std::unique_ptr<RunningOperator>>& operators, std::chrono::milliseconds limit) {
  for (auto& op : operators)
    if (op->proc->running()) (void)op->proc->terminate(limit);
}

}  // namespace fro::testing
