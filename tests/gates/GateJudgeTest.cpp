#include <gtest/gtest.h>

#include <limits>

#include "rollout/gates/GateJudge.h"

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

Gate aboveOnly() { return errorRate(); }
Gate belowOnly() {  // availability must stay high
  Gate g;
  g.name = "availability";
  g.warning.below = 0.999;
  g.critical.below = 0.99;
  return g;
}

// Issue 11, defect 8: -Inf answered to an error-rate gate was "within thresholds" and the rollout
// ran to Succeeded on it. A value that is not finite never passes.
TEST(GateJudge, NonFiniteValuesNeverPass) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Row {
    const char* what;
    Gate gate;
    double v;
    GateResult want;
    const char* message;
  } rows[] = {
      {"above-only, -Inf", aboveOnly(), -inf, GateResult::NoData,
       "error-rate = -Inf is not a finite number; treated as no data; onNoData=hold"},
      {"above-only, +Inf breaches critical above", aboveOnly(), inf, GateResult::Critical,
       "error-rate = +Inf is above the critical threshold 0.05"},
      {"above-only, NaN", aboveOnly(), nan, GateResult::NoData, "error-rate = NaN (no data); onNoData=hold"},
      {"below-only, +Inf", belowOnly(), inf, GateResult::NoData,
       "availability = +Inf is not a finite number; treated as no data; onNoData=hold"},
      {"below-only, -Inf breaches critical below", belowOnly(), -inf, GateResult::Critical,
       "availability = -Inf is below the critical threshold 0.99"},
      {"below-only, NaN", belowOnly(), nan, GateResult::NoData, "availability = NaN (no data); onNoData=hold"},
      {"both, +Inf", band(), inf, GateResult::Critical, "success = +Inf is above the critical threshold 1"},
      {"both, -Inf", band(), -inf, GateResult::Critical, "success = -Inf is below the critical threshold 0.95"},
      {"both, NaN", band(), nan, GateResult::NoData, "success = NaN (no data); onNoData=hold"},
  };
  for (auto& r : rows) {
    auto j = GateJudge::judge(r.gate, value(r.v));
    EXPECT_EQ(rollout::toString(j.result), std::string(rollout::toString(r.want))) << r.what;
    EXPECT_EQ(j.message, r.message) << r.what;
    EXPECT_NE(j.result, GateResult::Passed) << r.what;
    if (r.want == GateResult::NoData) {
      EXPECT_FALSE(j.value.has_value()) << r.what;
      EXPECT_FALSE(GateJudge::countsAsPass(r.gate, j.result)) << r.what << ": onNoData=hold holds";
    }
  }
}

TEST(GateJudge, ANonFiniteValueOnlyWarningThresholdsCanCatchIsAWarning) {
  Gate g;
  g.name = "latency-p95";
  g.warning.above = 1;
  auto j = GateJudge::judge(g, value(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(j.result, GateResult::Warning);
  EXPECT_EQ(j.threshold, "warning above 1");
  auto none = GateJudge::judge(Gate{.name = "any"}, value(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(none.result, GateResult::NoData) << "no thresholds: still not a pass";
}

TEST(GateJudge, OnNoDataDecidesAboutANonFiniteValue) {
  Gate pass = aboveOnly(), fail = aboveOnly();
  pass.onNoData = rollout::OnNoData::Pass;
  fail.onNoData = rollout::OnNoData::Fail;
  auto p = GateJudge::judge(pass, value(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(p.result, GateResult::NoData);
  EXPECT_EQ(p.message, "error-rate = -Inf is not a finite number; treated as no data; onNoData=pass");
  EXPECT_TRUE(GateJudge::countsAsPass(pass, p.result)) << "the user's explicit onNoData=pass";
  EXPECT_FALSE(GateJudge::countsAsPass(fail, GateJudge::judge(fail, value(-std::numeric_limits<double>::infinity())).result));
}

TEST(GateJudge, MessagesAreValidUtf8WhateverTheErrorQuoted) {
  auto j = GateJudge::judge(errorRate(), Error::of("Prometheus answered HTTP 502: <p>caf\xC3"));
  EXPECT_EQ(j.result, GateResult::Error);
  EXPECT_EQ(j.message, "error-rate: Prometheus answered HTTP 502: <p>caf\xEF\xBF\xBD");
}

TEST(GateJudge, OnlyPassedAndNoDataWithPassPolicyCountAsPass) {
  Gate hold = errorRate(), pass = errorRate(), fail = errorRate();
  pass.onNoData = rollout::OnNoData::Pass;
  fail.onNoData = rollout::OnNoData::Fail;
  EXPECT_TRUE(GateJudge::countsAsPass(hold, GateResult::Passed));
  EXPECT_FALSE(GateJudge::countsAsPass(hold, GateResult::NoData));
  EXPECT_TRUE(GateJudge::countsAsPass(pass, GateResult::NoData));
  EXPECT_FALSE(GateJudge::countsAsPass(fail, GateResult::NoData));
  for (auto r : {GateResult::Warning, GateResult::Critical, GateResult::Error})
    EXPECT_FALSE(GateJudge::countsAsPass(pass, r)) << rollout::toString(r);
}

// Values and thresholds in messages and thresholds use fro::numberText: six significant digits,
// so float noise in a threshold and long measured values read short.
TEST(GateJudge, ValuesAndThresholdsUseTheOneNumberFormat) {
  Gate g;
  g.name = "g";
  g.critical.above = 0.1 + 0.2;
  g.warning.above = 2;
  auto noisy = GateJudge::judge(g, value(0.31));
  EXPECT_EQ(noisy.threshold, "critical above 0.3");
  EXPECT_EQ(noisy.message, "g = 0.31 is above the critical threshold 0.3");
  auto within = GateJudge::judge(g, value(0.06436249218275461));
  EXPECT_EQ(within.message, "g = 0.0643625 is within thresholds (warning above 2, critical above 0.3)");
  EXPECT_EQ(within.value, 0.06436249218275461) << "the value itself is not rounded";

  Gate tiny;
  tiny.name = "tiny";
  tiny.critical.below = 1.25e-7;
  auto low = GateJudge::judge(tiny, value(1e-8));
  EXPECT_EQ(low.threshold, "critical below 1.25e-07");
  EXPECT_EQ(low.message, "tiny = 1e-08 is below the critical threshold 1.25e-07");
  EXPECT_EQ(GateJudge::judge(tiny, value(123456789)).message,
            "tiny = 1.23457e+08 is within thresholds (critical below 1.25e-07)");
}

}  // namespace
}  // namespace fro::gates
