#include "runtime/health/InformerMonitor.h"

#include <exception>
#include <optional>

#include <fmt/format.h>

namespace fro::health {

namespace {

using Kind = kube::Informer::Notice::Kind;

std::string where(const std::string& ns) { return ns.empty() ? "all" : ns; }

std::string ago(std::chrono::steady_clock::duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 120) return fmt::format("{}s ago", s < 0 ? 0 : s);
  if (s < 7200) return fmt::format("{}m ago", s / 60);
  return fmt::format("{}h ago", s / 3600);
}

}  // namespace

InformerMonitor::InformerMonitor(Options options) : opts_(std::move(options)) {
  if (!opts_.clock) opts_.clock = std::make_shared<SystemClock>();
}

kube::Informer::Observer InformerMonitor::observer() {
  return [this](const kube::Informer::Notice& n) { observe(n); };
}

InformerMonitor::Entry& InformerMonitor::entryFor(const kube::Informer::Notice& n) {
  for (auto& e : entries_)
    if (e.resource == n.resource && e.namespace_ == n.namespace_) return e;
  entries_.push_back(Entry{n.resource, n.namespace_});
  return entries_.back();
}

void InformerMonitor::observe(const kube::Informer::Notice& n) {
  auto now = opts_.clock->steadyNow();
  std::optional<Line> line;
  {
    MutexLock l(mu_);
    Entry& e = entryFor(n);
    log::Fields where_ = {{"resource", n.resource}, {"namespace", where(n.namespace_)}};
    switch (n.kind) {
      case Kind::Started:
        line = Line{log::Level::Debug, "informer started", where_};
        break;
      case Kind::Synced:
        e.synced = true;
        line = Line{log::Level::Debug, "informer synced", where_};
        break;
      case Kind::Failed: {
        e.failures = n.failures;
        e.lastVerb = n.verb;
        e.lastError = n.error.message;
        e.lastErrorAt = now;
        if (e.everLogged && now - e.lastLogAt < opts_.logEvery) {
          ++e.suppressed;
          break;
        }
        log::Fields f = where_;
        f.push_back({"verb", n.verb});
        // An HTTP status (403, 503) is a field of its own; a transport failure is named by the text.
        if (n.error.kind != ErrorKind::Transport && n.error.code >= 100) f.push_back({"status", n.error.code});
        if (!n.error.reason.empty()) f.push_back({"reason", n.error.reason});
        f.push_back({"error", n.error.message});
        f.push_back({"failures", n.failures});
        f.push_back({"suppressed", e.suppressed});
        line = Line{log::Level::Warn, fmt::format("cannot {} {}; retrying with backoff", n.verb, n.resource), std::move(f)};
        e.everLogged = true;
        e.lastLogAt = now;
        e.suppressed = 0;
        break;
      }
      case Kind::Recovered: {
        e.failures = 0;
        bool quiet = e.recoveryLogged && now - e.lastRecoveryLogAt < opts_.logEvery;
        if (quiet) break;
        log::Fields f = where_;
        f.push_back({"failures", n.failures});
        line = Line{log::Level::Info, "informer works again", std::move(f)};
        e.recoveryLogged = true;
        e.lastRecoveryLogAt = now;
        break;
      }
    }
  }
  if (line) emit(*line);  // outside the lock: a slow sink must not hold up other informers
}

void InformerMonitor::emit(const Line& line) const {
  try {
    if (opts_.sink) opts_.sink(line.level, line.msg, line.fields);
    else log::Logger::global()->log(line.level, line.msg, line.fields);
  } catch (...) {
    // Reporting must never take an informer down.
  }
}

std::string InformerMonitor::describe(const Entry& e, std::chrono::steady_clock::time_point now) const {
  std::string s = fmt::format("{} in {}: {}", e.resource, e.namespace_.empty() ? "all namespaces" : e.namespace_,
                              e.synced ? "synced" : "not synced");
  if (e.failures > 0) s += fmt::format(", {} {} in a row", e.failures, e.failures == 1 ? "failure" : "failures");
  if (!e.lastError.empty()) s += fmt::format("; last error ({}, {}): {}", e.lastVerb, ago(now - e.lastErrorAt), e.lastError);
  return s;
}

std::vector<std::string> InformerMonitor::describe() const {
  auto now = opts_.clock->steadyNow();
  MutexLock l(mu_);
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(describe(e, now));
  return out;
}

std::vector<std::string> InformerMonitor::unsynced() const {
  auto now = opts_.clock->steadyNow();
  MutexLock l(mu_);
  std::vector<std::string> out;
  for (const auto& e : entries_)
    if (!e.synced) out.push_back(describe(e, now));
  return out;
}

}  // namespace fro::health
