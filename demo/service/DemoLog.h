#pragma once
// Leveled one-line logs to stderr ("<UTC time> <level> <message>"). The sink is injectable so
// tests can read what a user would see. Thread-safe.
#include <functional>
#include <mutex>
#include <string>

#include "runtime/common/Result.h"

namespace fro::demo {

class DemoLog {
 public:
  enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };
  using Sink = std::function<void(Level, const std::string& line)>;

  explicit DemoLog(Level min = Level::Info, Sink sink = {});

  void debug(const std::string& msg) { write(Level::Debug, msg); }
  void info(const std::string& msg) { write(Level::Info, msg); }
  void warn(const std::string& msg) { write(Level::Warn, msg); }
  void error(const std::string& msg) { write(Level::Error, msg); }
  void write(Level level, const std::string& msg);

  static Result<Level> parseLevel(const std::string& s);
  static const char* name(Level level);

 private:
  Level min_;
  Sink sink_;
  std::mutex mu_;
};

}  // namespace fro::demo
