#include "reconcilers/gates/GateJudge.h"

#include "operator/common/Utf8.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace fro::gates {

using rollout::GateResult;

namespace {

struct Breach {
  std::string threshold;  // "critical above 0.05"
  std::string phrase;     // "is above the critical threshold 0.05"
};

// Which side of a threshold band v is past, if any.
std::optional<Breach> breach(const rollout::Threshold& t, const char* level, double v) {
  if (t.above && v > *t.above)
    return Breach{std::string(level) + " above " + GateJudge::format(*t.above),
                  std::string("is above the ") + level + " threshold " + GateJudge::format(*t.above)};
  if (t.below && v < *t.below)
    return Breach{std::string(level) + " below " + GateJudge::format(*t.below),
                  std::string("is below the ") + level + " threshold " + GateJudge::format(*t.below)};
  return std::nullopt;
}

std::string describe(const rollout::Threshold& t, const char* level) {
  std::string s;
  if (t.above) s += std::string(level) + " above " + GateJudge::format(*t.above);
  if (t.below) s += (s.empty() ? "" : ", ") + std::string(level) + " below " + GateJudge::format(*t.below);
  return s;
}

}  // namespace

std::string GateJudge::format(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return std::to_string(v);
  return std::string(buf, end);
}

bool GateJudge::countsAsPass(const rollout::Gate& gate, GateResult result) {
  return result == GateResult::Passed || (result == GateResult::NoData && gate.onNoData == "pass");
}

Judgement GateJudge::judge(const rollout::Gate& gate, const Result<QueryValue>& outcome) {
  Judgement j = decide(gate, outcome);
  // Messages quote Prometheus and go into status and Events, which must be valid UTF-8.
  j.message = Utf8::sanitize(j.message);
  return j;
}

Judgement GateJudge::decide(const rollout::Gate& gate, const Result<QueryValue>& outcome) {
  Judgement j;
  if (!outcome) {
    j.result = GateResult::Error;
    j.message = gate.name + ": " + outcome.error().message;
    return j;
  }
  const auto& value = outcome->value;
  if (!value || std::isnan(*value)) {
    // NaN is what "0 errors / 0 requests" gives when nothing was served: no evidence either way.
    j.result = GateResult::NoData;
    j.message = gate.name + (value ? " = NaN (no data)" : " returned no data") + "; onNoData=" + gate.onNoData;
    return j;
  }
  const double v = *value;
  if (!std::isfinite(v)) {
    // An infinity past a threshold in its direction is a breach like any other (+Inf errors is
    // critical). Otherwise it is not a measurement (x/0, a broken query): -Inf "within" an
    // error-rate gate once let a rollout run to Succeeded. It is no data; onNoData decides.
    auto b = breach(gate.critical, "critical", v);
    if (!b) b = breach(gate.warning, "warning", v);
    if (!b) {
      j.result = GateResult::NoData;
      j.message = gate.name + " = " + format(v) + " is not a finite number; treated as no data; onNoData=" + gate.onNoData;
      return j;
    }
  }
  j.value = v;
  // Measured values get 4 significant digits (0.06436, not 0.06436249218275461): enough to compare
  // with a threshold, which is printed exactly as written.
  char measured[32];
  std::snprintf(measured, sizeof measured, "%.4g", v);
  const std::string subject = gate.name + " = " + (std::isfinite(v) ? std::string(measured) : format(v));
  if (auto b = breach(gate.critical, "critical", v)) {
    j.result = GateResult::Critical;
    j.threshold = b->threshold;
    j.message = subject + " " + b->phrase;
  } else if (auto w = breach(gate.warning, "warning", v)) {
    j.result = GateResult::Warning;
    j.threshold = w->threshold;
    j.message = subject + " " + w->phrase;
  } else {
    j.result = GateResult::Passed;
    std::string limits = describe(gate.warning, "warning");
    std::string crit = describe(gate.critical, "critical");
    if (!crit.empty()) limits += (limits.empty() ? "" : ", ") + crit;
    j.message = subject + (limits.empty() ? " (no thresholds set)" : " is within thresholds (" + limits + ")");
  }
  return j;
}

}  // namespace fro::gates
