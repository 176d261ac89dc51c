#pragma once
// The flag values at the rollout's position and how far they have reached: the ConfigMap's data
// and the restart checksum, each target's injection (file mount, flagd env vars, envFrom; and
// whether its pod template already carries it: the one place that is decided, the reconciler
// only writes what is not current), the targets to release, and what the step still waits for
// before it is active (delivery, rollout, then for file delivery the propagation allowance and
// the optional exposure check).
#include <string>
#include <vector>

#include "rollout/planner/EffectiveFlags.h"
#include "rollout/planner/PlanContext.h"
#include "rollout/planner/StepOutcome.h"

namespace fro::rollout {

class DeliveryStage {
 public:
  // Which values are delivered at the current status position.
  static Position position(const PlanContext& c);
  // What file delivery would collide with in the targets (a volume, mount or env var the user
  // owns) and a ConfigMap over the API server's size limit: each names target, container, field
  // and value. Any of them makes the spec invalid; nothing is written.
  static std::vector<std::string> problems(const PlanContext& c);
  // Sets the plan's ConfigMap data, checksum and targets, and status.flags and status.delivery
  // (a new revision when the values change), for the position now.
  static void desire(PlanContext& c);
  // What the current values still wait for ("" = active may start). Records status.delivery's
  // deliveredAt the first time everything is seen delivered, and asks for the exposure query.
  // exposure false: the propagation allowance counts, the exposure query is not asked for.
  static std::string waitingFor(PlanContext& c, bool exposure = true);
  // A completed rollout: what its values still wait for after an edit or a write (new values or
  // targets), into o.delivering, so Ready stays False until the pods have them; a stall once that
  // takes longer than spec.progressDeadline (counted from status.delivery.pendingSince). Once
  // delivered, later changes of the targets' own rollout (scaling, a paused Deployment) are not
  // waited for.
  static void settleCompleted(PlanContext& c, StepOutcome& o);
  // Targets in status.appliedTargets that the spec no longer names.
  static void release(PlanContext& c);
  // Whether a workload's pod template carries this plan's injection (and nothing stale of ours).
  static bool carries(const WorkloadView& w, const std::vector<std::string>& containers, const Plan& plan,
                      const std::string& configMapName);
};

}  // namespace fro::rollout
