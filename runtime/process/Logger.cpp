#include "runtime/process/Logger.h"

#include <cmath>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "runtime/common/Rfc3339.h"
#include "runtime/process/Redact.h"

namespace fro::log {

namespace {

// Hands spdlog's already-formatted payload (our line) to a callback.
class CallbackSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit CallbackSink(std::function<void(std::string_view)> fn) : fn_(std::move(fn)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    fn_(std::string_view(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::function<void(std::string_view)> fn_;
};

spdlog::level::level_enum toSpd(Level l) {
  switch (l) {
    case Level::Debug: return spdlog::level::debug;
    case Level::Info: return spdlog::level::info;
    case Level::Warn: return spdlog::level::warn;
    case Level::Error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// JSON string literal; invalid UTF-8 becomes U+FFFD instead of an exception or a broken line.
std::string quoteJson(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool isReserved(std::string_view key) { return key == "ts" || key == "level" || key == "msg"; }

std::string safeValue(const Field& f) {
  if (isSensitiveKey(f.key)) return std::string(kRedacted);
  return redact(std::get<std::string>(f.value.get()));
}

std::string numberText(const Value& v) {
  const auto& var = v.get();
  if (auto* i = std::get_if<std::int64_t>(&var)) return fmt::format("{}", *i);
  if (auto* b = std::get_if<bool>(&var)) return *b ? "true" : "false";
  double d = std::get<double>(var);
  if (!std::isfinite(d)) return "null";  // JSON has no NaN/Inf
  return nlohmann::json(d).dump();
}

// Text form: escape control characters so one record stays one line; quote when needed (logfmt).
std::string textValue(std::string_view s, bool quoteIfNeeded) {
  bool needsQuotes = s.empty();
  for (unsigned char c : s)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\') needsQuotes = true;
  if (!needsQuotes || !quoteIfNeeded) {
    if (!needsQuotes) return std::string(s);
    // The message: keep spaces, escape only what would break the line.
    std::string out;
    for (unsigned char c : s) {
      if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c < 0x20) out += ' ';
      else out += static_cast<char>(c);
    }
    return out;
  }
  return quoteJson(s);
}

std::mutex& globalMu() {
  static std::mutex mu;
  return mu;
}

std::shared_ptr<Logger>& globalSlot() {
  static std::shared_ptr<Logger> slot;
  return slot;
}

}  // namespace

Logger::Logger(Config config) : config_(std::move(config)) {
  if (!config_.clock) config_.clock = std::make_shared<SystemClock>();
  spdlog::sink_ptr sink;
  if (config_.sink) sink = std::make_shared<CallbackSink>(config_.sink);
  else sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_pattern("%v");
  out_ = std::make_shared<spdlog::logger>("fro", std::move(sink));
  out_->set_level(toSpd(config_.level));
  // Warnings and errors reach the terminal/collector at once, even if the process dies next.
  out_->flush_on(spdlog::level::warn);
}

Logger::~Logger() { flush(); }

std::string Logger::format(Level level, std::string_view msg, const Fields& fields) const {
  auto ts = Rfc3339::formatMicro(config_.clock->now());
  auto text = redact(msg);
  std::string line;
  if (config_.format == Format::Json) {
    line = fmt::format(R"({{"ts":{},"level":"{}","msg":{})", quoteJson(ts), name(level), quoteJson(text));
    for (const auto& f : fields) {
      line += ',';
      line += quoteJson(isReserved(f.key) ? "field." + f.key : f.key);
      line += ':';
      if (std::holds_alternative<std::string>(f.value.get())) line += quoteJson(safeValue(f));
      else line += isSensitiveKey(f.key) ? quoteJson(kRedacted) : numberText(f.value);
    }
    line += '}';
  } else {
    static constexpr const char* kUpper[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    line = fmt::format("{} {} {}", ts, kUpper[static_cast<int>(level)], textValue(text, false));
    for (const auto& f : fields) {
      line += ' ';
      line += textValue(isReserved(f.key) ? "field." + f.key : f.key, true);
      line += '=';
      if (std::holds_alternative<std::string>(f.value.get())) line += textValue(safeValue(f), true);
      else line += isSensitiveKey(f.key) ? std::string(kRedacted) : numberText(f.value);
    }
  }
  return line;
}

void Logger::log(Level level, std::string_view msg, const Fields& fields) noexcept {
  if (!enabled(level)) return;
  // Never throws: a log call that threw once unwound a reconcile before its status write, and the
  // rollout froze with nothing logged. Should formatting fail anyway, a line still says so.
  try {
    auto line = format(level, msg, fields);
    out_->log(toSpd(level), spdlog::string_view_t(line.data(), line.size()));
  } catch (const std::exception& e) {
    try {
      auto line = format(Level::Error, "a log record could not be written", {{"reason", e.what()}});
      out_->log(spdlog::level::err, spdlog::string_view_t(line.data(), line.size()));
    } catch (...) {
    }
  } catch (...) {
  }
}

void Logger::flush() noexcept {
  try {
    out_->flush();
  } catch (...) {
  }
}

void Logger::setGlobal(std::shared_ptr<Logger> logger) {
  std::lock_guard l(globalMu());
  globalSlot() = std::move(logger);
}

std::shared_ptr<Logger> Logger::global() {
  std::lock_guard l(globalMu());
  auto& slot = globalSlot();
  if (!slot) slot = std::make_shared<Logger>(Config{});
  return slot;
}

Result<Level> Logger::parseLevel(std::string_view s) {
  if (s == "debug") return Level::Debug;
  if (s == "info") return Level::Info;
  if (s == "warn") return Level::Warn;
  if (s == "error") return Level::Error;
  return Error::of("must be one of debug, info, warn, error");
}

Result<Format> Logger::parseFormat(std::string_view s) {
  if (s == "json") return Format::Json;
  if (s == "text") return Format::Text;
  return Error::of("must be json or text");
}

const char* Logger::name(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "info";
}

const char* Logger::name(Format format) { return format == Format::Json ? "json" : "text"; }

void debug(std::string_view msg, const Fields& fields) { Logger::global()->log(Level::Debug, msg, fields); }
void info(std::string_view msg, const Fields& fields) { Logger::global()->log(Level::Info, msg, fields); }
void warn(std::string_view msg, const Fields& fields) { Logger::global()->log(Level::Warn, msg, fields); }
void error(std::string_view msg, const Fields& fields) { Logger::global()->log(Level::Error, msg, fields); }

}  // namespace fro::log
