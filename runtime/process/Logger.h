#pragma once
// Structured logs, one line per record, to stderr (spdlog underneath, pattern "%v": we build the
// line ourselves so JSON stays valid whatever the values hold).
//
//   JSON: {"ts":"2027-01-15T08:00:00.000000Z","level":"info","msg":"reconciled","rollout":"ns/name","step":1}
//   text: 2027-01-15T08:00:00.000000Z INFO  reconciled rollout=ns/name step=1
//
// Usage anywhere: fro::log::info("reconciled", {{"rollout", "ns/name"}, {"phase", "core"}, {"step", 1}});
// main installs the process logger once with Logger::setGlobal(); until then records go to stderr
// as JSON at info level.
//
// Secrets: the message and every string value pass through redact(); a field whose key names a
// credential (authorization, token, password, ...) is logged as "[REDACTED]" whatever its value.
// Field keys ts, level and msg are reserved: a field with one of them is written as "field.<key>".
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "runtime/common/Clock.h"
#include "runtime/common/Result.h"

namespace spdlog {
class logger;
}

namespace fro::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };
enum class Format { Json, Text };

// A field value: string, integer, floating point or bool.
class Value {
 public:
  Value(const char* s) : v_(std::string(s ? s : "")) {}  // NOLINT: implicit by design
  Value(std::string s) : v_(std::move(s)) {}             // NOLINT
  Value(std::string_view s) : v_(std::string(s)) {}      // NOLINT
  Value(bool b) : v_(b) {}                               // NOLINT
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T n) : v_(static_cast<std::int64_t>(n)) {}  // NOLINT
  template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Value(T d) : v_(static_cast<double>(d)) {}  // NOLINT

  const std::variant<std::string, std::int64_t, double, bool>& get() const { return v_; }

 private:
  std::variant<std::string, std::int64_t, double, bool> v_;
};

struct Field {
  std::string key;
  Value value;
};
using Fields = std::vector<Field>;

class Logger {
 public:
  struct Config {
    Format format = Format::Json;
    Level level = Level::Info;
    // Receives each complete line without the trailing newline; empty: stderr. For tests.
    std::function<void(std::string_view line)> sink;
    // Source of "ts"; null: the system clock.
    std::shared_ptr<const Clock> clock;
  };

  explicit Logger(Config config);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Never throws (invalid UTF-8 becomes U+FFFD; a record that cannot be formatted is reported).
  void log(Level level, std::string_view msg, const Fields& fields = {}) noexcept;
  bool enabled(Level level) const { return level >= config_.level; }
  // The line log() would write (redacted, escaped), regardless of the level filter.
  std::string format(Level level, std::string_view msg, const Fields& fields) const;
  void flush() noexcept;

  // The process-wide logger behind fro::log::info() and friends. Thread-safe.
  static void setGlobal(std::shared_ptr<Logger> logger);
  static std::shared_ptr<Logger> global();

  static Result<Level> parseLevel(std::string_view s);    // debug | info | warn | error
  static Result<Format> parseFormat(std::string_view s);  // json | text
  static const char* name(Level level);                   // "debug", "info", "warn", "error"
  static const char* name(Format format);                 // "json", "text"

 private:
  Config config_;
  std::shared_ptr<spdlog::logger> out_;
};

void debug(std::string_view msg, const Fields& fields = {});
void info(std::string_view msg, const Fields& fields = {});
void warn(std::string_view msg, const Fields& fields = {});
void error(std::string_view msg, const Fields& fields = {});

}  // namespace fro::log
