#include "rollout/controller/PlanExecutor.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/common/Rfc3339.h"
#include "runtime/kube/ApiError.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;
using controller::ReconcileOutcome;

// The Events' involvedObject: the rollout as last written.
events::ObjectReference rolloutRef(const json& fr) {
  const json& md = fr["metadata"];
  return {fr.value("apiVersion", "rollouts.featureflags.dev/v1alpha1"), "FeatureRollout", md.value("namespace", ""),
          md.value("name", ""), md.value("uid", ""), md.value("resourceVersion", "")};
}

// <rollout>.<uid prefix>-<seq>: a DNS subdomain, unique per transition of this rollout object.
std::string transitionEventName(const std::string& rollout, const std::string& uid, std::int64_t seq) {
  std::string base = rollout.substr(0, 220);
  while (!base.empty() && (base.back() == '.' || base.back() == '-')) base.pop_back();
  return fmt::format("{}.{}-{}", base, uid.substr(0, 8), seq);
}

}  // namespace

PlanExecutor::PlanExecutor(kube::ObjectWriter& writer, GateProvider& gates, events::EventRecorder& recorder, Options options)
    : writer_(writer), children_(writer), gates_(gates), recorder_(recorder), opts_(std::move(options)) {}

void PlanExecutor::log(const std::string& level, const std::string& msg, const json& fields) const {
  if (opts_.log) opts_.log(level, msg, fields);
}

std::string PlanExecutor::writeError(const std::string& key) const {
  MutexLock l(writeErrorsMu_);
  auto it = writeErrors_.find(key);
  return it == writeErrors_.end() ? std::string() : it->second;
}

void PlanExecutor::forget(const std::string& key) {
  MutexLock l(writeErrorsMu_);
  writeErrors_.erase(key);
}

ReconcileOutcome PlanExecutor::execute(const std::string& key, json fr, const PlanInput& in,
                                       Plan plan) {
  std::optional<ReconcileOutcome> outcome;
  const std::string claimError = claim(key, fr, plan, outcome);
  if (outcome) return *outcome;
  if (!claimError.empty()) plan.writeChildren = false;
  if ((outcome = writeStatus(key, fr, plan))) return *outcome;
  for (const auto& e : plan.events)
    log(e.type == EventType::Warning ? "warn" : "info", e.message,
        json{{"rollout", key}, {"phase", plan.status.phase}, {"step", plan.status.step}, {"reason", e.reason}});
  if (plan.gateRequest) gates_.want(key, *plan.gateRequest);
  else gates_.forget(key);
  if (opts_.onStatus) opts_.onStatus(in.rollout.nameSpace, in.rollout.name, &plan.status);

  // Children before the Events: a rollback's values reach the pods without waiting for them;
  // the Events are exactly once and re-emitted after a crash, so they may follow. A transition's
  // Event says what reached the cluster: while the children's writes fail it waits (the status
  // already holds the transition, and the next successful attempt records it).
  const std::optional<ReconcileOutcome> childOutcome = writeChildren(key, fr, in, plan, claimError);
  if (childOutcome && childOutcome->kind == ReconcileOutcome::Kind::kError) return *childOutcome;
  const bool eventsRecorded = emitEvents(key, fr, in.rollout.status, plan.status);
  if (childOutcome) return *childOutcome;
  if (!eventsRecorded) return ReconcileOutcome::error("recording events failed; they are re-emitted on the next attempt");
  if (plan.requeueAfter) return ReconcileOutcome::requeueAfter(*plan.requeueAfter + std::chrono::milliseconds(20));
  return ReconcileOutcome::success();
}

// Claims before anything that depends on them: a lost race is replanned from fresher caches. Any
// other failure (e.g. Forbidden) is a failed write: status says so, no child is written.
std::string PlanExecutor::claim(const std::string& key, const json& fr, const Plan& plan,
                                std::optional<ReconcileOutcome>& outcome) {
  const json& md = fr["metadata"];
  const std::string ns = md.value("namespace", ""), name = md.value("name", "");
  for (const auto& c : plan.claims) {
    if (auto s = children_.claimTarget(ns, c.kind, c.name, name, c.previous); !s.ok()) {
      if (kube::ApiError::isConflict(s.error()) || kube::ApiError::isInvalid(s.error())) {
        outcome = ReconcileOutcome::requeueAfter(std::chrono::milliseconds(100));
        return "";
      }
      std::string error = fmt::format("claiming {} {}: {}", c.kind, c.name, s.error().message);
      log("error", "claiming a target failed", json{{"rollout", key}, {"error", error}});
      return error;
    }
    log("info", "claimed target", json{{"rollout", key}, {"target", c.kind + "/" + c.name}});
  }
  return "";
}

// Status first: it is the record of what the children should be.
std::optional<ReconcileOutcome> PlanExecutor::writeStatus(const std::string& key, json& fr, const Plan& plan) {
  json newStatus = plan.status.toJson();
  if (newStatus == fr.value("status", json::object())) return std::nullopt;
  json obj = fr;
  obj["status"] = std::move(newStatus);
  auto r = writer_.updateStatus(kube::Resource::featureRollouts(), obj);
  if (!r.ok()) {
    if (kube::ApiError::isConflict(r.error())) return ReconcileOutcome::requeueAfter(std::chrono::milliseconds(50));
    if (kube::ApiError::isNotFound(r.error())) return ReconcileOutcome::success();
    log("error", "status update failed", json{{"rollout", key}, {"error", r.error().message}});
    return ReconcileOutcome::error("status update: " + r.error().message);
  }
  if (opts_.onStatusWritten) opts_.onStatusWritten(key, fr["metadata"].value("resourceVersion", ""), *r);
  fr["metadata"]["resourceVersion"] = (*r)["metadata"]["resourceVersion"];
  return std::nullopt;
}

std::optional<ReconcileOutcome> PlanExecutor::writeChildren(const std::string& key, const json& fr, const PlanInput& in,
                                                            const Plan& plan, const std::string& claimError) {
  const std::string& ns = in.rollout.nameSpace;
  const events::ObjectReference ref = rolloutRef(fr);
  // A failed write (e.g. Forbidden: a permission missing from the operator's Role) is also a
  // Warning Event on the rollout, so `kubectl describe` says why it does not move; the recorder
  // counts repeats on one Event.
  auto writeFailed = [&](const std::string& message) -> std::optional<ReconcileOutcome> {
    if (auto s = recorder_.record(ref, "Warning", "WriteFailed", message); !s.ok())
      log("warn", "recording event failed", json{{"rollout", key}, {"error", s.error().message}});
    MutexLock l(writeErrorsMu_);
    writeErrors_[key] = message;  // the next plan reports it as Stalled (WriteFailed)
    return ReconcileOutcome::error(message);
  };
  if (!claimError.empty()) return writeFailed(claimError);
  if (!plan.writeChildren) return std::nullopt;
  if (!plan.configMapCurrent) {
    if (auto s = children_.applyConfigMap(fr, plan.configMapName, plan.configMapData); !s.ok())
      return writeFailed(fmt::format("applying ConfigMap {}: {}", plan.configMapName, s.error().message));
    log("info", "wrote flag values", json{{"rollout", key}, {"configMap", plan.configMapName}, {"revision", plan.status.delivery.revision},
                                           {"phase", plan.status.phase}, {"step", plan.status.step}});
  }
  for (const auto& t : plan.targets) {
    if (t.current) continue;
    if (auto s = children_.injectTarget(ns, t.kind, t.name, t.containers, plan.configMapName, plan); !s.ok())
      return writeFailed(fmt::format("applying {} {}: {}", t.kind, t.name, s.error().message));
    log("info", "injected flag values into pod template",
        json{{"rollout", key}, {"target", t.kind + "/" + t.name}, {"checksum", plan.checksum},
             {"file", plan.file ? plan.file->flagFile : ""}, {"envFrom", plan.envFrom}});
  }
  for (const auto& rel : plan.releases)
    if (auto s = children_.releaseTarget(ns, rel.kind, rel.name, plan.configMapName, in.rollout.name); !s.ok())
      return writeFailed(fmt::format("releasing {}/{}: {}", rel.kind, rel.name, s.error().message));
  if (!in.writeError.empty()) {
    // Writes work again: reconcile once more so status stops saying they fail.
    forget(key);
    return ReconcileOutcome::requeueAfter(std::chrono::milliseconds(0));
  }
  return std::nullopt;
}

// Records the Events of history entries not yet recorded (exactly once: named after the entry).
bool PlanExecutor::emitEvents(const std::string& key, const json& fr, const RolloutStatus& stored, const RolloutStatus& written) {
  const json& md = fr["metadata"];
  const std::string uid = md.value("uid", ""), name = md.value("name", "");
  std::int64_t from;
  {
    MutexLock l(emittedMu_);
    auto it = emitted_.find(key);
    if (it != emitted_.end() && it->second.uid == uid) {
      from = it->second.through + 1;
    } else {
      // First look at this rollout in this process: every recent transition the stored status
      // still holds is re-emitted (a repeat is AlreadyExists). Not only the last batch: after two
      // kills in a row, a transition whose Event is missing may be followed by newer ones.
      from = stored.transitions + 1;
      for (const auto& h : stored.history) {
        auto at = Rfc3339::parse(h.at);
        if (h.seq > 0 && h.eventType != EventType::None && at && opts_.clock->now() - *at < std::chrono::hours(1))
          from = std::min(from, h.seq);
      }
    }
  }
  const events::ObjectReference ref = rolloutRef(fr);
  std::int64_t through = from - 1;
  bool ok = true;
  for (const auto& h : written.history) {
    if (h.seq < from || h.eventType == EventType::None) continue;
    if (auto s = recorder_.recordOnce(ref, transitionEventName(name, uid, h.seq), toString(h.eventType), h.reason,
                                      h.message, h.at);
        !s.ok()) {
      // Nothing new can be stored in a namespace being deleted: retrying would only hold the
      // finalizer cleanup back (backoff per failed reconcile), and nobody will read the Event.
      if (kube::ApiError::isNamespaceTerminating(s.error())) {
        through = h.seq;
        continue;
      }
      log("warn", "recording event failed", json{{"rollout", key}, {"reason", h.reason}, {"error", s.error().message}});
      ok = false;
      break;
    }
    through = h.seq;
  }
  if (ok) through = std::max(through, written.transitions);
  MutexLock l(emittedMu_);
  emitted_[key] = Emitted{uid, through};
  return ok;
}

}  // namespace fro::rollout
