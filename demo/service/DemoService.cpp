#include "demo/service/DemoService.h"

#include <exception>
#include <sstream>

#include "demo/service/LoadPacer.h"
#include "demo/service/SeededRandom.h"

namespace fro::demo {

using namespace std::chrono_literals;

DemoService::DemoService(DemoOptions options, FlagPoller::Fetch fetch, DemoLog& log)
    : opts_(std::move(options)),
      log_(log),
      registry_(std::make_shared<prometheus::Registry>()),
      metrics_(*registry_),
      api_(faults_),
      control_([this](std::string_view method, std::string_view target) {
        HttpReply r = api_.handle(method, target);
        // Fault changes and rejected calls are what a demo operator wants to see in the log.
        auto level = method == "GET" || method == "HEAD" ? DemoLog::Level::Debug : DemoLog::Level::Info;
        if (r.status >= 400) level = DemoLog::Level::Warn;
        std::string body = r.body;
        if (!body.empty() && body.back() == '\n') body.pop_back();
        log_.write(level, "control: " + std::string(method) + " " + std::string(target) + " -> " +
                              std::to_string(r.status) + " " + body);
        return r;
      }),
      poller_(std::move(fetch), "ConfigMap " + opts_.ns + "/" + opts_.configMap, log),
      flags_(std::make_shared<const std::vector<DemoFlag>>()) {}

DemoService::~DemoService() { stop(); }

Status DemoService::start() {
  metrics_.setUsers(opts_.users);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(opts_.metrics.str());
  } catch (const std::exception& e) {  // civetweb reports a failed bind by throwing
    return Error::of("metrics address " + opts_.metrics.str() + ": " + e.what());
  }
  exposer_->RegisterCollectable(registry_);
  auto ports = exposer_->GetListeningPorts();
  metricsPort_ = ports.empty() ? opts_.metrics.port : ports.front();
  auto cp = control_.start(opts_.control);
  if (!cp) return cp.error();
  controlPort_ = *cp;
  std::ostringstream rate;
  rate << opts_.rate;
  log_.info("serving metrics on http://" + opts_.metrics.host + ":" + std::to_string(metricsPort_) +
            "/metrics, control on http://" + opts_.control.host + ":" + std::to_string(controlPort_) + "/faults; " +
            std::to_string(opts_.users) + " users, " + rate.str() + " req/s, seed " + std::to_string(opts_.seed));
  pollThread_ = std::thread([this] { pollLoop(); });
  loadThread_ = std::thread([this] { loadLoop(); });
  return ok();
}

void DemoService::stop() {
  {
    std::lock_guard l(stopMu_);
    stopping_ = true;
  }
  stopCv_.notify_all();
  if (pollThread_.joinable()) pollThread_.join();
  if (loadThread_.joinable()) loadThread_.join();
  control_.stop();
  exposer_.reset();
}

bool DemoService::waitStop(std::chrono::milliseconds d) {
  std::unique_lock l(stopMu_);
  return stopCv_.wait_for(l, d, [this] { return stopping_; });
}

void DemoService::applyFlags(const std::vector<DemoFlag>& read) {
  auto changes = state_.update(read);
  if (changes.empty()) return;
  auto current = std::make_shared<const std::vector<DemoFlag>>(state_.current());
  for (const auto& c : changes) {
    int users = RequestSimulator::usersWithFlag({c.flag, c.to}, opts_.users);
    metrics_.setFlag(c.flag, c.to, users);
    log_.info(FlagState::describe(c) + " (" + std::to_string(users) + " of " + std::to_string(opts_.users) +
              " simulated users)");
  }
  std::lock_guard l(flagsMu_);
  flags_ = std::move(current);
}

void DemoService::pollLoop() {
  do {
    if (auto flags = poller_.poll()) applyFlags(*flags);
  } while (!waitStop(std::chrono::milliseconds(opts_.pollIntervalMs)));
}

void DemoService::loadLoop() {
  SeededRandom random(opts_.seed);
  LoadPacer pacer(opts_.rate, std::chrono::steady_clock::now());
  while (!waitStop(20ms)) {
    long n = pacer.due(std::chrono::steady_clock::now());
    if (n <= 0) continue;
    std::shared_ptr<const std::vector<DemoFlag>> flags;
    {
      std::lock_guard l(flagsMu_);
      flags = flags_;
    }
    auto faults = faults_.snapshot();
    for (long i = 0; i < n; ++i) {
      int user = static_cast<int>(random.next() % static_cast<std::uint64_t>(opts_.users)) + 1;
      metrics_.observe(simulator_.simulate(RequestSimulator::userId(user, opts_.users), *flags, faults, random));
    }
  }
}

}  // namespace fro::demo
