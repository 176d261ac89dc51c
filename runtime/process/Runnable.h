#pragma once
// One part of the operator process that the Manager starts and stops: informers and caches,
// controller workers, the metrics and probe servers. It runs on threads of its own.
#include <chrono>
#include <string>
#include <vector>

#include "runtime/common/Result.h"

namespace fro::process {

class Runnable {
 public:
  virtual ~Runnable() = default;

  // For logs: "informers", "controller workers", "metrics server".
  virtual std::string name() const = 0;
  // Writers to the cluster (controller workers): started only by the leader once the caches
  // synced, stopped first. The others run in every replica from the start, so a standby is warm.
  virtual bool needsLeadership() const = 0;
  // Starts its threads and returns. A failure says what failed (the Manager logs it and the
  // process exits 1).
  virtual Status start() = 0;
  // Caches: whether they are filled. What is still filling, for the log when the wait runs out.
  virtual bool synced() const { return true; }
  virtual std::vector<std::string> pending() const { return {}; }
  // Stops and lets in-flight work finish within `grace`; false when it did not.
  virtual bool stop(std::chrono::milliseconds grace) = 0;
};

}  // namespace fro::process
