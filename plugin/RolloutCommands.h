#pragma once
// The imperative commands (pause, resume, promote, abort, retry) against the API server. The
// protocol with the operator (rollout/planner/Annotations.h) never touches spec, so a
// GitOps tool owning the spec does not fight it; each command is one JSON merge patch on
// metadata.annotations:
//   pause          rollouts.featureflags.dev/paused: "true"
//   resume         paused: null (removed) and command: "resume <id>", in the same patch
//   promote        command: "promote <id>"        (skip the current step's pause and gates)
//   promote --full command: "promote-full <id>"   (finish the current phase now)
//   abort          command: "abort <id>"          (every flag back to its default)
//   retry          command: "retry <id>"          (leave RolledBack: restart where RetryPlan says, once
//                                                   that phase's gates pass at the rolled-back values)
//   retry --force  command: "retry-force <id>"    (the same without checking the gates first)
// Before the patch, promote and retry print which flags they will change (CommandPreview).
// The operator acknowledges by setting status.lastCommand to "<verb> <id>"; we watch for that
// (bounded by --wait) and print the resulting state and the operator's Event for the request
// (the acknowledging status version's message only when there is no Event: it may still describe
// the step before). A command the operator answers with CommandIgnored (e.g. promote of a finished
// rollout, resume of a rolled-back one) exits 1 with "ignored". pause has no id: we wait for
// state Paused.
#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/kube/KubeClient.h"

namespace fro::plugin {

enum class Verb { Pause, Resume, Promote, PromoteFull, Abort, Retry, RetryForce };

struct CommandOptions {
  std::string ns;
  std::string name;
  std::chrono::milliseconds wait{30000};
  bool noWait = false;
};

class RolloutCommands {
 public:
  using IdSource = std::function<std::string()>;

  RolloutCommands(std::shared_ptr<kube::KubeClient> client, IdSource ids, std::ostream& out, std::ostream& err);

  // Exit status: 0 done (acknowledged, or sent with --no-wait), 1 failed or not acknowledged in time.
  int run(Verb verb, const CommandOptions& opts);

  // "promote", "promote-full", ...: the word in the annotation.
  static std::string verbWord(Verb verb);
  // The merge patch for a command with request id `id` (unused for pause).
  static nlohmann::json patchBody(Verb verb, const std::string& id);

 private:
  // Watches the object until done(obj) or the deadline; returns the last object seen (done or not).
  nlohmann::json waitFor(const CommandOptions& opts, nlohmann::json obj,
                         const std::function<bool(const nlohmann::json&)>& done, bool& reached);

  // The operator's Event about this request ("CommandIgnored", "CommandPromote", ...): one whose
  // message carries "(request <cmd>)", or, from older operators, one about the verb recorded at or
  // after `since` (server time of our patch). Polled for up to `patience`, as the Event follows the
  // acknowledging status write. Null when there is none or events cannot be read.
  nlohmann::json commandEvent(Verb verb, const CommandOptions& opts, const std::string& since, const std::string& cmd,
                              std::chrono::milliseconds patience);

  std::shared_ptr<kube::KubeClient> client_;
  IdSource ids_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace fro::plugin
