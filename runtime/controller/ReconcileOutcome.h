#pragma once
// What a reconcile of one key asks the work queue to do next (controller-runtime's Result/error).
#include <chrono>
#include <string>
#include <utility>

namespace fro::controller {

struct ReconcileOutcome {
  enum class Kind {
    kSuccess,       // forget(key): backoff history is dropped
    kError,         // addRateLimited(key): retried after per-key backoff / overall limit
    kRequeueAfter,  // forget(key) + addAfter(key, after): periodic resync, waiting on something
  };

  Kind kind = Kind::kSuccess;
  std::chrono::nanoseconds after{0};  // kRequeueAfter only; <= 0 re-adds at once
  std::string message;                // kError only: why, for logs and events

  static ReconcileOutcome success() { return {}; }
  static ReconcileOutcome error(std::string why = {}) { return {Kind::kError, {}, std::move(why)}; }
  static ReconcileOutcome requeueAfter(std::chrono::nanoseconds d) { return {Kind::kRequeueAfter, d, {}}; }
};

}  // namespace fro::controller
