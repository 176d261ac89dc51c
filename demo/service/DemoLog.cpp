#include "demo/service/DemoLog.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace fro::demo {

DemoLog::DemoLog(Level min, Sink sink) : min_(min), sink_(std::move(sink)) {
  if (!sink_) {
    sink_ = [](Level level, const std::string& line) {
      auto now = std::chrono::system_clock::now();
      std::time_t t = std::chrono::system_clock::to_time_t(now);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
      std::tm tm{};
      gmtime_r(&t, &tm);
      char ts[32];
      std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
      std::fprintf(stderr, "%s.%03dZ %-5s %s\n", ts, static_cast<int>(ms), name(level), line.c_str());
      std::fflush(stderr);
    };
  }
}

void DemoLog::write(Level level, const std::string& msg) {
  if (level < min_) return;
  std::lock_guard l(mu_);
  sink_(level, msg);
}

Result<DemoLog::Level> DemoLog::parseLevel(const std::string& s) {
  if (s == "debug") return Level::Debug;
  if (s == "info") return Level::Info;
  if (s == "warn" || s == "warning") return Level::Warn;
  if (s == "error") return Level::Error;
  return Error::of("log level \"" + s + "\" is not one of debug, info, warn, error");
}

const char* DemoLog::name(Level level) {
  switch (level) {
    case Level::Debug: return "DEBUG";
    case Level::Info: return "INFO";
    case Level::Warn: return "WARN";
    case Level::Error: return "ERROR";
  }
  return "?";
}

}  // namespace fro::demo
