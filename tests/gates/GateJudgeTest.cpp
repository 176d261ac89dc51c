#include <gtest/gtest.h>

#include <limits>

#include "reconcilers/gates/GateJudge.h"

namespace fro::gates {
namespace {

using rollout::Gate;
using rollout::GateResult;

Gate errorRate() {
  Gate g;
  g.name = "error-rate";
  g.query = "sum(rate(errors[5m])) / sum(rate(requests[5m]))";
  g.warning.above = 0.02;
  g.critical.above = 0.05;
  return g;
}

Gate band() {  // success ratio must stay high, and a ratio above 1 means a broken query
  Gate g;
  g.name = "success";
  g.warning.below = 0.99;
  g.critical.below = 0.95;
  g.critical.above = 1.0;
  return g;
}

Result<QueryValue> value(double v) { return QueryValue{v, "vector"}; }
Result<QueryValue> empty() { return QueryValue{std::nullopt, "vector"}; }

TEST(GateJudge, Table) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Row {
    const char* what;
    Gate gate;
    Result<QueryValue> outcome;
    GateResult want;
    const char* threshold;
    const char* message;
  } rows[] = {
      {"below both", errorRate(), value(0.01), GateResult::Passed, "",
       "error-rate = 0.01 is within thresholds (warning above 0.02, critical above 0.05)"},
      {"equal to warning is not above it", errorRate(), value(0.02), GateResult::Passed, "",
       "error-rate = 0.02 is within thresholds (warning above 0.02, critical above 0.05)"},
      {"warning", errorRate(), value(0.03), GateResult::Warning, "warning above 0.02",
       "error-rate = 0.03 is above the warning threshold 0.02"},
      {"critical wins over warning", errorRate(), value(0.071), GateResult::Critical, "critical above 0.05",
       "error-rate = 0.071 is above the critical threshold 0.05"},
      {"+Inf is critical", errorRate(), value(inf), GateResult::Critical, "critical above 0.05",
       "error-rate = +Inf is above the critical threshold 0.05"},
      {"NaN is no data", errorRate(), value(nan), GateResult::NoData, "", "error-rate = NaN (no data); onNoData=hold"},
      {"empty vector is no data", errorRate(), empty(), GateResult::NoData, "",
       "error-rate returned no data; onNoData=hold"},
      {"query error", errorRate(), Error::of("Prometheus error bad_data (HTTP 400): 1:17: parse error"),
       GateResult::Error, "", "error-rate: Prometheus error bad_data (HTTP 400): 1:17: parse error"},
      {"band: inside", band(), value(0.995), GateResult::Passed, "",
       "success = 0.995 is within thresholds (warning below 0.99, critical above 1, critical below 0.95)"},
      {"band: warning below", band(), value(0.98), GateResult::Warning, "warning below 0.99",
       "success = 0.98 is below the warning threshold 0.99"},
      {"band: critical below (checked before warning)", band(), value(0.9), GateResult::Critical,
       "critical below 0.95", "success = 0.9 is below the critical threshold 0.95"},
      {"band: critical above", band(), value(1.5), GateResult::Critical, "critical above 1",
       "success = 1.5 is above the critical threshold 1"},
      {"-Inf is below", band(), value(-inf), GateResult::Critical, "critical below 0.95",
       "success = -Inf is below the critical threshold 0.95"},
      {"no thresholds", Gate{.name = "any"}, value(7), GateResult::Passed, "", "any = 7 (no thresholds set)"},
  };
  for (auto& r : rows) {
    auto j = GateJudge::judge(r.gate, r.outcome);
    EXPECT_EQ(rollout::toString(j.result), std::string(rollout::toString(r.want))) << r.what;
    EXPECT_EQ(j.threshold, r.threshold) << r.what;
    EXPECT_EQ(j.message, r.message) << r.what;
    const bool hasValue = r.want != GateResult::NoData && r.want != GateResult::Error;
    EXPECT_EQ(j.value.has_value(), hasValue) << r.what;
  }
}

TEST(GateJudge, OnlyPassedAndNoDataWithPassPolicyCountAsPass) {
  Gate hold = errorRate(), pass = errorRate(), fail = errorRate();
  pass.onNoData = "pass";
  fail.onNoData = "fail";
  EXPECT_TRUE(GateJudge::countsAsPass(hold, GateResult::Passed));
  EXPECT_FALSE(GateJudge::countsAsPass(hold, GateResult::NoData));
  EXPECT_TRUE(GateJudge::countsAsPass(pass, GateResult::NoData));
  EXPECT_FALSE(GateJudge::countsAsPass(fail, GateResult::NoData));
  for (auto r : {GateResult::Warning, GateResult::Critical, GateResult::Error})
    EXPECT_FALSE(GateJudge::countsAsPass(pass, r)) << rollout::toString(r);
}

TEST(GateJudge, FormatIsShortestRoundTrip) {
  EXPECT_EQ(GateJudge::format(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(GateJudge::format(2), "2");
  EXPECT_EQ(GateJudge::format(1.25e-7), "1.25e-07");
}

}  // namespace
}  // namespace fro::gates
