#include "runtime/kube/TokenSource.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace fro::kube {
namespace {

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

}  // namespace

TokenSource::TokenSource(std::string path, std::shared_ptr<const Clock> clock, std::chrono::nanoseconds refresh,
                         std::string fallbackToken)
    : path_(std::move(path)),
      clock_(clock ? std::move(clock) : std::make_shared<SystemClock>()),
      refresh_(refresh),
      fallback_(std::move(fallbackToken)) {}

Result<std::string> TokenSource::readTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return Error::system(err, fmt::format("token file {}: cannot read ({})", path, std::strerror(err)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error::system(EIO, fmt::format("token file {}: read error", path));
  std::string tok = trim(ss.str());
  if (tok.empty()) return Error::invalid(fmt::format("token file {} is empty", path));
  return tok;
}

Result<std::string> TokenSource::token() {
  if (path_.empty()) {
    if (fallback_.empty()) return Error::of("no bearer token configured");
    return fallback_;
  }
  MutexLock lock(mu_);
  auto now = clock_->steadyNow();
  if (cached_ && now - readAt_ < refresh_) return *cached_;
  auto fresh = readTokenFile(path_);
  if (fresh.ok()) {
    cached_ = std::move(fresh).value();
    readAt_ = now;
    return *cached_;
  }
  // Keep serving what worked last; readAt_ stays old so the next call tries the file again.
  if (cached_) return *cached_;
  if (!fallback_.empty()) return fallback_;
  return fresh.error();
}

std::function<std::string()> TokenSource::bearerProvider(const ClusterConfig& cfg, std::shared_ptr<const Clock> clock,
                                                         std::chrono::nanoseconds refresh) {
  if (cfg.tokenFile.empty()) {
    if (cfg.bearerToken.empty()) return {};
    return [token = cfg.bearerToken] { return token; };
  }
  auto source = std::make_shared<TokenSource>(cfg.tokenFile, std::move(clock), refresh, cfg.bearerToken);
  return [source] {
    auto t = source->token();
    return t.ok() ? t.value() : std::string();
  };
}

}  // namespace fro::kube
