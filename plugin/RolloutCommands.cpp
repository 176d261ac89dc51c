#include "plugin/RolloutCommands.h"

#include <algorithm>
#include <ostream>
#include <thread>

#include <fmt/format.h>

#include "runtime/common/Duration.h"
#include "runtime/kube/ApiError.h"
#include "plugin/CommandPreview.h"
#include "plugin/StatusView.h"
#include "rollout/planner/Annotations.h"

namespace fro::plugin {

using nlohmann::json;
namespace names = rollout::names;

namespace {

std::string lastCommand(const json& obj) {
  auto p = "/status/lastCommand"_json_pointer;
  return obj.contains(p) && obj[p].is_string() ? obj[p].get<std::string>() : "";
}
std::string state(const json& obj) {
  auto p = "/status/state"_json_pointer;
  return obj.contains(p) && obj[p].is_string() ? obj[p].get<std::string>() : "";
}
std::string message(const json& obj) {
  auto p = "/status/message"_json_pointer;
  return obj.contains(p) && obj[p].is_string() ? obj[p].get<std::string>() : "";
}
std::string resourceVersion(const json& obj) {
  auto p = "/metadata/resourceVersion"_json_pointer;
  return obj.contains(p) && obj[p].is_string() ? obj[p].get<std::string>() : "";
}

// When the API server recorded our patch: the time of our field manager's managedFields entry
// (server clock, so client clock skew does not matter). The manager is the User-Agent's product.
std::string patchTime(const json& obj) {
  std::string latest;
  for (const auto& m : obj.value("/metadata/managedFields"_json_pointer, json::array()))
    if (m.value("manager", "") == "kubectl-featurerollout" && !m.contains("subresource") && m.value("time", "") > latest)
      latest = m.value("time", "");
  return latest;
}

}  // namespace

RolloutCommands::RolloutCommands(std::shared_ptr<kube::KubeClient> client, IdSource ids, std::ostream& out, std::ostream& err)
    : client_(std::move(client)), ids_(std::move(ids)), out_(out), err_(err) {}

std::string RolloutCommands::verbWord(Verb verb) {
  switch (verb) {
    case Verb::Pause: return "pause";
    case Verb::Resume: return "resume";
    case Verb::Promote: return "promote";
    case Verb::PromoteFull: return "promote-full";
    case Verb::Abort: return "abort";
    case Verb::Retry: return "retry";
    case Verb::RetryForce: return "retry-force";
  }
  return "";
}

json RolloutCommands::patchBody(Verb verb, const std::string& id) {
  json annotations = json::object();
  if (verb == Verb::Pause) {
    annotations[names::kPausedAnnotation] = "true";
  } else {
    // Resume removes the pause and sends a command in one patch: the operator sees both at once.
    if (verb == Verb::Resume) annotations[names::kPausedAnnotation] = nullptr;
    annotations[names::kCommandAnnotation] = verbWord(verb) + " " + id;
  }
  return {{"metadata", {{"annotations", annotations}}}};
}

int RolloutCommands::run(Verb verb, const CommandOptions& opts) {
  const auto resource = kube::Resource::featureRollouts();
  const std::string ref = opts.ns + "/" + opts.name;
  auto current = client_->get(resource, opts.ns, opts.name);
  if (!current) {
    if (kube::ApiError::isNotFound(current.error()))
      err_ << fmt::format(
          "Error: featurerollout \"{}\" not found in namespace \"{}\" (kubectl featurerollout list -n {} shows the rollouts "
          "there)\n",
          opts.name, opts.ns, opts.ns);
    else
      err_ << "Error: cannot read featurerollout " << ref << ": " << current.error().message << "\n";
    return 1;
  }
  const json& obj = *current;
  const bool specPaused = obj.contains("/spec/paused"_json_pointer) && obj["spec"]["paused"] == true;
  if (verb == Verb::Resume && specPaused)
    err_ << "Warning: spec.paused is true, so the rollout stays paused after this resume; set spec.paused to false "
            "(in Git, if a GitOps tool owns the spec) to continue\n";

  // What the command will turn on, before it is sent (promote, promote --full, retry).
  if (std::string preview = CommandPreview::describe(verb, obj); !preview.empty()) out_ << preview << "\n";

  const std::string id = verb == Verb::Pause ? "" : ids_();
  const std::string cmd = verbWord(verb) + " " + id;
  auto patched = client_->patch(resource, opts.ns, opts.name, kube::PatchType::Merge, patchBody(verb, id));
  if (!patched) {
    if (kube::ApiError::isNotFound(patched.error()))
      err_ << "Error: featurerollout " << ref << " was deleted meanwhile\n";
    else if (kube::ApiError::isForbidden(patched.error()))
      err_ << "Error: not allowed to patch featurerollout " << ref << " (you need the patch verb on "
           << "featurerollouts.rollouts.featureflags.dev): " << patched.error().message << "\n";
    else
      err_ << "Error: cannot patch featurerollout " << ref << ": " << patched.error().message << "\n";
    return 1;
  }
  if (verb == Verb::Pause)
    out_ << "featurerollout " << ref << ": annotation " << names::kPausedAnnotation << "=\"true\" set\n";
  else
    out_ << "featurerollout " << ref << ": sent \"" << cmd << "\"\n";

  if (opts.noWait) {
    out_ << "not waiting for the operator (--no-wait); kubectl featurerollout status " << opts.name << " -n " << opts.ns
         << " shows when it has acted\n";
    return 0;
  }

  std::function<bool(const json&)> done;
  std::string awaited;
  if (verb == Verb::Pause) {
    std::string s = state(*patched);
    if (s == "Paused") {
      out_ << "already paused: " << StatusView::summary(*patched) << "\n";
      return 0;
    }
    if (s != "Progressing" && s != "Holding") {
      out_ << "the rollout is " << (s.empty() ? "not yet reconciled" : s)
           << ": nothing is advancing now; the annotation keeps it paused until kubectl featurerollout resume\n";
      return 0;
    }
    done = [](const json& o) { return state(o) == "Paused"; };
    awaited = "state Paused";
  } else {
    done = [&cmd](const json& o) { return lastCommand(o) == cmd; };
    awaited = fmt::format("status.lastCommand \"{}\"", cmd);
  }

  bool reached = false;
  const auto started = std::chrono::steady_clock::now();
  json last = waitFor(opts, *patched, done, reached);
  if (reached) {
    out_ << (verb == Verb::Pause ? "paused" : "acknowledged by the operator") << ": " << StatusView::summary(last) << "\n";
    if (verb == Verb::Pause) {
      if (!message(last).empty()) out_ << "  " << message(last) << "\n";
      return 0;
    }
    // The operator's Event for this request says what it did (or why it did not). The status
    // version that acknowledges may still carry the message of the step before (the planner
    // writes the message of the situation it found), so it is shown only when there is no Event.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(opts.wait - (std::chrono::steady_clock::now() - started));
    json ev = commandEvent(verb, opts, patchTime(*patched), cmd,
                           std::clamp(left, std::chrono::milliseconds(2000), std::chrono::milliseconds(10000)));
    if (ev.is_null()) {
      if (!message(last).empty()) out_ << "  " << message(last) << "\n";
      return 0;
    }
    const std::string reason = ev.value("reason", ""), msg = ev.value("message", "");
    out_ << "  event " << reason << ": " << msg << "\n";
    if (reason == "CommandIgnored") {
      err_ << "Error: the operator ignored \"" << cmd << "\": " << msg << "\n";
      return 1;
    }
    if (reason == "UnknownCommand") {
      err_ << "Error: the operator did not act on \"" << cmd << "\": " << msg << "\n";
      return 1;
    }
    return 0;
  }
  if (last.is_null()) {
    err_ << "Error: featurerollout " << ref << " was deleted while waiting for the operator\n";
    return 1;
  }
  err_ << fmt::format("Error: timed out after {} waiting for {}", Duration::format(opts.wait), awaited);
  if (verb != Verb::Pause)
    err_ << (lastCommand(last).empty() ? std::string(" (it is empty)") : fmt::format(" (it is \"{}\")", lastCommand(last)));
  err_ << fmt::format(
      ". The annotation is set and the operator acts on it when it next reconciles this rollout: is the operator "
      "running and watching namespace {}? Current {}\n",
      opts.ns, StatusView::summary(last));
  return 1;
}

json RolloutCommands::commandEvent(Verb verb, const CommandOptions& opts, const std::string& since,
                                   const std::string& cmd, std::chrono::milliseconds patience) {
  // The operator's events about a command end with "(request <verb> <id>)": exactly ours, whenever
  // it was recorded. Older operators (and a few answers of today's) name only the verb
  // ("promote ignored while paused: ...", "resume acknowledged"): fall back to the verb and the
  // server time of our patch.
  const std::string word = verbWord(verb);
  const std::string exact = fmt::format("(request {})", cmd);
  auto ours = [&](const std::string& m, const std::string& at) {
    if (m.find("(request ") != std::string::npos) return m.find(exact) != std::string::npos;
    if (since.empty() || at < since) return false;
    return m.rfind(word + " ", 0) == 0 || m.rfind(word + ":", 0) == 0 || m.rfind(word + "ed ", 0) == 0 ||
           m.find("(" + word + " requested)") != std::string::npos;
  };
  auto refusal = [](const json& e) {
    return e.value("reason", "") == "CommandIgnored" || e.value("reason", "") == "UnknownCommand";
  };
  kube::ListOptions lo;
  lo.fieldSelector = "involvedObject.kind=FeatureRollout,involvedObject.name=" + opts.name;
  // The Event is recorded after the status write that acknowledged the command: poll for it.
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + patience;
  for (int attempt = 0;; ++attempt) {
    if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto events = client_->list(kube::Resource::coreEvents(), opts.ns, lo);
    if (!events) return nullptr;  // best effort: the acknowledgement already arrived
    json best;
    std::string bestAt;
    for (const auto& e : events->value("items", json::array())) {
      std::string at = e.value("lastTimestamp", json()).is_string() ? e["lastTimestamp"].get<std::string>() : "";
      if (at.empty() && e.value("eventTime", json()).is_string()) at = e["eventTime"].get<std::string>().substr(0, 19) + "Z";
      if (!ours(e.value("message", ""), at)) continue;
      // A refusal wins over anything else about the request; otherwise the latest. Both times
      // are RFC 3339 UTC with second precision: string order is time order.
      if (best.is_null() || (refusal(e) && !refusal(best)) || (refusal(e) == refusal(best) && at >= bestAt))
        best = e, bestAt = at;
    }
    if (!best.is_null()) return best;
    if (clock::now() >= deadline) return nullptr;
  }
}

json RolloutCommands::waitFor(const CommandOptions& opts, json obj, const std::function<bool(const json&)>& done,
                              bool& reached) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + opts.wait;
  const auto resource = kube::Resource::featureRollouts();
  reached = done(obj);
  while (!reached && clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    kube::WatchOptions wo;
    wo.resourceVersion = resourceVersion(obj);
    wo.fieldSelector = "metadata.name=" + opts.name;
    wo.timeoutSeconds = static_cast<int>(std::max<long long>(1, (left.count() + 999) / 1000));
    wo.idleTimeout = left + std::chrono::milliseconds(100);
    bool deleted = false;
    auto end = client_->watch(resource, opts.ns, wo, [&](const kube::WatchEvent& ev) {
      using T = kube::WatchEvent::Type;
      if (ev.type == T::Deleted) {
        deleted = true;
        return false;
      }
      if (ev.type == T::Added || ev.type == T::Modified) {
        obj = ev.object;
        reached = done(obj);
        return !reached && clock::now() < deadline;
      }
      return ev.type != T::Error;
    });
    if (deleted) return nullptr;
    if (reached) break;
    if (!end || end->reason == kube::WatchEnd::Reason::Expired) {
      // The watch failed or our resourceVersion is too old: read the object afresh.
      auto fresh = client_->get(resource, opts.ns, opts.name);
      if (!fresh && kube::ApiError::isNotFound(fresh.error())) return nullptr;
      if (fresh) {
        obj = *fresh;
        reached = done(obj);
      }
      if (!end && !reached) std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(left, std::chrono::milliseconds(250)));
    }
  }
  return obj;
}

}  // namespace fro::plugin
