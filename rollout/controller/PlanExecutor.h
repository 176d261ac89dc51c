#pragma once
// Executes a Plan for one rollout, in the crash-safe order:
//   1. claims on the targets (one workload, one rollout; a lost race is replanned),
//   2. status (PUT with resourceVersion: a stale cache means a conflict, never a lost update),
//   3. the gate request, and the status observer (metrics),
//   4. the ConfigMap and each target's pod template, only what the plan does not mark current,
//   5. Events of the transitions the stored status records, each exactly once (named after it).
// It decides nothing: every write is in the plan. A failed child write is remembered (an
// observation, like gate results) so the next plan reports Stalled/WriteFailed.
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/common/Clock.h"
#include "runtime/common/ThreadSafety.h"
#include "runtime/controller/ReconcileOutcome.h"
#include "runtime/events/EventRecorder.h"
#include "runtime/kube/ObjectWriter.h"
#include "rollout/controller/ChildWriter.h"
#include "rollout/planner/GateProvider.h"
#include "rollout/planner/Plan.h"

namespace fro::rollout {

class PlanExecutor {
 public:
  using Log = std::function<void(const std::string& level, const std::string& msg, const nlohmann::json& fields)>;
  // Called after every reconcile with the stored status (nullptr: the rollout is gone): metrics.
  using StatusObserver = std::function<void(const std::string& ns, const std::string& name, const RolloutStatus* status)>;

  struct Options {
    std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();
    Log log;
    StatusObserver onStatus;
    // A status write that succeeded: it replaced resourceVersion `replaced` with `written`.
    std::function<void(const std::string& key, const std::string& replaced, const nlohmann::json& written)> onStatusWritten;
  };

  PlanExecutor(kube::ObjectWriter& writer, GateProvider& gates, events::EventRecorder& recorder, Options options);

  // rollout: the FeatureRollout as cached, with our finalizer; in.rollout.status is its status as read.
  controller::ReconcileOutcome execute(const std::string& key, nlohmann::json rollout,
                                       const PlanInput& in, Plan plan);
  // The last failed child write of key, "" when none (PlanInput::writeError).
  std::string writeError(const std::string& key) const FRO_EXCLUDES(writeErrorsMu_);
  // The rollout is gone: forget what was remembered of it.
  void forget(const std::string& key) FRO_EXCLUDES(writeErrorsMu_);
  void log(const std::string& level, const std::string& msg, const nlohmann::json& fields) const;
  const Options& options() const { return opts_; }

 private:
  // "" when every claim holds; a lost race returns a requeue in `outcome`.
  std::string claim(const std::string& key, const nlohmann::json& rollout, const Plan& plan,
                    std::optional<controller::ReconcileOutcome>& outcome);
  std::optional<controller::ReconcileOutcome> writeStatus(const std::string& key, nlohmann::json& rollout, const Plan& plan);
  std::optional<controller::ReconcileOutcome> writeChildren(const std::string& key, const nlohmann::json& rollout,
                                                            const PlanInput& in, const Plan& plan, const std::string& claimError);
  bool emitEvents(const std::string& key, const nlohmann::json& rollout, const RolloutStatus& stored,
                  const RolloutStatus& written);

  kube::ObjectWriter& writer_;
  ChildWriter children_;
  GateProvider& gates_;
  events::EventRecorder& recorder_;
  Options opts_;
  mutable Mutex writeErrorsMu_;
  std::map<std::string, std::string> writeErrors_ FRO_GUARDED_BY(writeErrorsMu_);
  // Per rollout (uid): the history seq whose Event this process recorded last. A key it has not
  // seen yet re-emits the stored status's last transitions: a crash may have come before them.
  struct Emitted {
    std::string uid;
    std::int64_t through = 0;
  };
  Mutex emittedMu_;
  std::map<std::string, Emitted> emitted_ FRO_GUARDED_BY(emittedMu_);
};

}  // namespace fro::rollout
