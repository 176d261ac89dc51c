#pragma once
// The command annotation (kubectl featurerollout resume | promote | promote-full | abort | retry |
// retry-force): acted on once, acknowledged by status.lastCommand, answered by an Event also when
// it is ignored. resume and abort take effect here; promote and retry are returned for the stages
// that act on them.
#include <string>

#include "rollout/planner/PlanContext.h"

namespace fro::rollout {

struct Command {
  enum class Kind { None, Promote, PromoteFull, Retry, RetryForce } kind = Kind::None;
  std::string why;  // " (request <verb> <id>)" for promote; "retry requested (request ...)" for retry
};

class CommandStage {
 public:
  static Command handle(PlanContext& c);
};

}  // namespace fro::rollout
