#pragma once
// Named liveness and readiness checks and the answers of /healthz, /livez and /readyz in
// kube-apiserver's format, with no socket involved (HealthServer serves them over HTTP).
//
//   GET /readyz            200 "ok" | 503 "[+]ping ok\n[-]informers-synced failed: 1 of 3 not synced\nreadyz check failed\n"
//   GET /readyz?verbose    200 "[+]ping ok\n[+]informers-synced ok\nreadyz check passed\n"
//   GET /readyz/<name>     that check alone: 200 "ok" | 503 "[-]<name> failed: <reason>\n" | 404
//   ?exclude=<name>        skips a check (repeatable), as in kube-apiserver
// A failing answer always names the failing check and its reason (run through log::redact(): the
// probe port is unauthenticated). Every list starts with the built-in "ping" check.
// A check may also give detail lines, shown indented under it with ?verbose only (plain answers stay
// as above), e.g. each informer's sync state and last error:
//   [-]informers failed: informer caches not synced yet
//       deployments.apps in shop: not synced, 3 failures; last error (list, 2s ago): 403 ...
//
// Checks run on the server's threads at each request: keep them cheap (read an atomic, compare a
// timestamp) and non-blocking. A check that throws counts as failed. Thread-safe.
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/common/Result.h"
#include "runtime/common/ThreadSafety.h"

namespace fro::health {

// ok(), or an Error whose message says why the check fails.
using Check = std::function<Status()>;
// Lines that explain a check's state, for ?verbose answers (same rules as checks: cheap).
using Detail = std::function<std::vector<std::string>()>;

struct Reply {
  int status = 200;
  std::string body;
};

class HealthChecks {
 public:
  // Names: non-empty, letters, digits, '-', '_' and '.'; unique per kind ("ping" is taken).
  Status addLiveness(std::string name, Check check) FRO_EXCLUDES(mu_);
  Status addReadiness(std::string name, Check check, Detail detail = {}) FRO_EXCLUDES(mu_);

  // The answer for a GET of `target` (path and query); 404 for paths that are not ours.
  Reply handle(std::string_view target) const FRO_EXCLUDES(mu_);

 private:
  struct Named {
    std::string name;
    Check check;
    Detail detail;
  };
  Status add(bool readiness, std::string name, Check check, Detail detail = {}) FRO_EXCLUDES(mu_);
  Reply run(std::string_view kind, std::vector<Named> checks, std::string_view only, bool verbose,
            const std::vector<std::string>& excluded) const;

  mutable Mutex mu_;
  std::vector<Named> liveness_ FRO_GUARDED_BY(mu_);
  std::vector<Named> readiness_ FRO_GUARDED_BY(mu_);
};

}  // namespace fro::health
