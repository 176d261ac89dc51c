#include "rollout/gates/GateJudge.h"

#include <cmath>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/common/NumberText.h"
#include "runtime/common/Utf8.h"

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
    return Breach{fmt::format("{} above {}", level, numberText(*t.above)),
                  fmt::format("is above the {} threshold {}", level, numberText(*t.above))};
  if (t.below && v < *t.below)
    return Breach{fmt::format("{} below {}", level, numberText(*t.below)),
                  fmt::format("is below the {} threshold {}", level, numberText(*t.below))};
  return std::nullopt;
}

// "warning above 0.02, critical above 0.05": every threshold set, in this order.
std::string describe(const rollout::Gate& g) {
  std::vector<std::string> parts;
  for (auto [t, level] : {std::pair{&g.warning, "warning"}, std::pair{&g.critical, "critical"}}) {
    if (t->above) parts.push_back(fmt::format("{} above {}", level, numberText(*t->above)));
    if (t->below) parts.push_back(fmt::format("{} below {}", level, numberText(*t->below)));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

bool GateJudge::countsAsPass(const rollout::Gate& gate, GateResult result) {
  return result == GateResult::Passed || (result == GateResult::NoData && gate.onNoData == rollout::OnNoData::Pass);
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
    j.message = fmt::format("{}: {}", gate.name, outcome.error().message);
    return j;
  }
  const auto& value = outcome->value;
  if (!value || std::isnan(*value)) {
    // NaN is what "0 errors / 0 requests" gives when nothing was served: no evidence either way.
    j.result = GateResult::NoData;
    j.message =
        fmt::format("{}{}; onNoData={}", gate.name, value ? " = NaN (no data)" : " returned no data",
                            rollout::toString(gate.onNoData));
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
      j.message = fmt::format("{} = {} is not a finite number; treated as no data; onNoData={}", gate.name,
                              numberText(v), rollout::toString(gate.onNoData));
      return j;
    }
  }
  j.value = v;
  // Value and thresholds in the one number format, fro::numberText (six significant digits:
  // 0.0643625, not 0.06436249218275461).
  const std::string subject = fmt::format("{} = {}", gate.name, numberText(v));
  if (auto b = breach(gate.critical, "critical", v)) {
    j.result = GateResult::Critical;
    j.threshold = b->threshold;
    j.message = fmt::format("{} {}", subject, b->phrase);
  } else if (auto w = breach(gate.warning, "warning", v)) {
    j.result = GateResult::Warning;
    j.threshold = w->threshold;
    j.message = fmt::format("{} {}", subject, w->phrase);
  } else {
    j.result = GateResult::Passed;
    const std::string limits = describe(gate);
    j.message = limits.empty() ? fmt::format("{} (no thresholds set)", subject)
                               : fmt::format("{} is within thresholds ({})", subject, limits);
  }
  return j;
}

}  // namespace fro::gates
