// RSS of a process evaluating a gate against a fake Prometheus that answers 50 MB (832,204 series),
// for hack/bench/gate-oversize.sh (issue 11, defect 9). Not a test: it prints figures.
//
//   gate_oversize_driver [--times N] [--max-bytes B] [--max-series S] [--series K]
//
// The fake Prometheus runs in a forked child (tests/support/LoopbackHttpServer.h on 127.0.0.1), so
// its 50 MB body is not in this process's RSS. Each evaluation goes through the production path:
// GateEvaluator -> PrometheusClient -> CurlTransport -> GateJudge. --max-bytes 0 --max-series 0
// turns both limits off (the behaviour before them).
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "rollout/gates/GateEvaluator.h"
#include "tests/support/LoopbackHttpServer.h"

using namespace std::chrono_literals;

namespace {

long statusKiB(const char* field) {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  return -1;
}

std::string bigAnswer(int series) {
  std::string body = R"({"status":"success","data":{"resultType":"vector","result":[)";
  body.reserve(static_cast<std::size_t>(series) * 61 + 64);
  char one[96];
  for (int i = 0; i < series; ++i) {
    int n = std::snprintf(one, sizeof one, R"(%s{"metric":{"pod":"web-%07d"},"value":[1795929885.7,"0.01"]})",
                          i == 0 ? "" : ",", i);
    body.append(one, static_cast<std::size_t>(n));
  }
  return body + "]}}";
}

// Child: serves the answer (without Content-Length, as a streaming proxy would) until the parent
// closes the pipe.
[[noreturn]] void serve(int series, int toParent, int fromParent) {
  auto body = std::make_shared<const std::string>(bigAnswer(series));
  std::fprintf(stderr, "fake Prometheus: %zu bytes, %d series\n", body->size(), series);
  fro::testing::LoopbackHttpServer srv([body](const std::string&) {
    return fro::testing::LoopbackHttpServer::Response{200, "application/json", body, false};
  });
  int port = srv.port();
  if (write(toParent, &port, sizeof port) != sizeof port) std::_Exit(1);
  char c;
  while (read(fromParent, &c, 1) > 0) {
  }
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  int times = 20, series = 832204;
  std::size_t maxBytes = 4 * 1024 * 1024, maxSeries = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--times") times = std::atoi(argv[i + 1]);
    else if (a == "--max-bytes") maxBytes = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--max-series") maxSeries = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--series") series = std::atoi(argv[i + 1]);
    else {
      std::cerr << "usage: " << argv[0] << " [--times N] [--max-bytes B] [--max-series S] [--series K]\n";
      return 2;
    }
  }
  int up[2], down[2];
  if (pipe(up) != 0 || pipe(down) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    close(up[0]);
    close(down[1]);
    serve(series, up[1], down[0]);
  }
  close(up[1]);
  close(down[0]);
  int port = 0;
  if (read(up[0], &port, sizeof port) != sizeof port || port == 0) {
    std::cerr << "fake Prometheus did not start\n";
    return 1;
  }

  fro::gates::GateEvaluator::Options o;
  o.defaultAddress = "http://127.0.0.1:" + std::to_string(port);
  o.maxResponseBytes = maxBytes;
  o.maxSeries = maxSeries;
  o.threads = 1;
  o.delayThread = false;
  fro::gates::GateEvaluator ev(o);
  fro::rollout::GateRequest req;
  req.nameSpace = "bench";
  fro::rollout::Gate g;
  g.name = "error-rate";
  g.query = "rate(http_requests_total[1m])";  // no sum(): one series per pod
  g.critical.above = 0.05;
  req.gates = {g};
  req.prometheus.timeout = 60s;

  const long before = statusKiB("VmRSS:");
  std::printf("limits: maxResponseBytes=%zu maxSeries=%zu; %d evaluations\n", maxBytes, maxSeries, times);
  std::printf("RSS before: %ld KiB\n", before);
  std::string last;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < times; ++i) {
    const std::string key = "bench/" + std::to_string(i);
    ev.want(key, req);  // a new key is due at once
    if (!ev.waitIdle(120s)) {
      std::cerr << "evaluation " << i << " did not finish\n";
      break;
    }
    auto obs = ev.observe(key);
    last = obs.empty() ? "(no observation)" : std::string(fro::rollout::toString(obs[0].result)) + ": " + obs[0].message;
    ev.forget(key);
    std::printf("  after %2d: RSS %ld KiB\n", i + 1, statusKiB("VmRSS:"));
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("RSS after: %ld KiB\nRSS peak (VmHWM): %ld KiB\n", statusKiB("VmRSS:"), statusKiB("VmHWM:"));
  std::printf("time: %lld ms for %d evaluations\n", static_cast<long long>(took.count()), times);
  std::printf("gate: %s\n", last.c_str());
  close(down[1]);
  waitpid(child, nullptr, 0);
  return 0;
}
