#pragma once
// Wires the demo service together: a poll thread reads the flag ConfigMap, a load thread sends
// synthetic requests at the configured rate, prometheus-cpp serves /metrics, HttpServer serves
// the control endpoint. start() binds everything (errors as values); stop() joins every thread.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include "demo/service/ControlApi.h"
#include "demo/service/DemoFlag.h"
#include "demo/service/DemoLog.h"
#include "demo/service/DemoMetrics.h"
#include "demo/service/DemoOptions.h"
#include "demo/service/FaultRegistry.h"
#include "demo/service/FlagPoller.h"
#include "demo/service/FlagState.h"
#include "demo/service/HttpServer.h"
#include "demo/service/RequestSimulator.h"
#include "runtime/common/Result.h"

namespace fro::demo {

class DemoService {
 public:
  DemoService(DemoOptions options, FlagPoller::Fetch fetch, DemoLog& log);
  ~DemoService();
  DemoService(const DemoService&) = delete;
  DemoService& operator=(const DemoService&) = delete;

  Status start();
  void stop();

  int metricsPort() const { return metricsPort_; }
  int controlPort() const { return controlPort_; }

 private:
  void pollLoop();
  void loadLoop();
  void applyFlags(const std::vector<DemoFlag>& read);
  // Waits up to d; true when stop() was called.
  bool waitStop(std::chrono::milliseconds d);

  DemoOptions opts_;
  DemoLog& log_;
  std::shared_ptr<prometheus::Registry> registry_;
  DemoMetrics metrics_;
  FaultRegistry faults_;
  ControlApi api_;
  HttpServer control_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  FlagPoller poller_;
  FlagState state_;  // poll thread only
  RequestSimulator simulator_;

  std::mutex flagsMu_;
  std::shared_ptr<const std::vector<DemoFlag>> flags_;  // what the load thread applies

  std::mutex stopMu_;
  std::condition_variable stopCv_;
  bool stopping_ = false;
  std::thread pollThread_, loadThread_;
  int metricsPort_ = 0, controlPort_ = 0;
};

}  // namespace fro::demo
