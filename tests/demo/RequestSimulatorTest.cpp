#include "demo/service/RequestSimulator.h"

#include <gtest/gtest.h>

#include "demo/service/SeededRandom.h"
#include "rollout/planner/Bucketing.h"
#include "tests/demo/ScriptedRandom.h"

namespace fro::demo {
namespace {

using testing::ScriptedRandom;

// A user who has `flag` at `percent` and one who does not (found with the shared bucketing rule).
std::pair<std::string, std::string> insideAndOutside(const std::string& flag, int percent) {
  std::string in, out;
  for (int i = 1; i <= 1000 && (in.empty() || out.empty()); ++i) {
    std::string u = RequestSimulator::userId(i, 1000);
    (rollout::Bucketing::inRollout(flag, u, percent) ? in : out) = u;
  }
  return {in, out};
}

TEST(RequestSimulator, HealthyRequestHasBaselineLatencyAndSucceeds) {
  RequestSimulator sim;
  ScriptedRandom r({0.5, 0.9});  // latency draw, error draw
  auto o = sim.simulate("user-0001", {}, {}, r);
  EXPECT_EQ(o.code, 200);
  EXPECT_NEAR(o.seconds, 0.05, 1e-9);
  EXPECT_EQ(o.faultFlag, "none");
  EXPECT_TRUE(o.flags.empty());
}

TEST(RequestSimulator, BaselineErrorWhenTheDrawFallsUnderItsRate) {
  RequestSimulator sim;
  ScriptedRandom r({0.0, 0.004});
  auto o = sim.simulate("user-0001", {}, {}, r);
  EXPECT_EQ(o.code, 500);
  EXPECT_NEAR(o.seconds, 0.03, 1e-9);
  EXPECT_EQ(o.faultFlag, "none");
}

TEST(RequestSimulator, FaultHitsOnlyUsersWhoHaveTheFlag) {
  RequestSimulator sim;
  auto [in, out] = insideAndOutside("checkout", 10);
  ASSERT_FALSE(in.empty());
  ASSERT_FALSE(out.empty());
  std::vector<DemoFlag> flags{{"checkout", 10}};
  std::map<std::string, FaultSpec> faults{{"checkout", {0.3, 1500}}};

  ScriptedRandom hit({0.5, 0.9, 0.29});  // the fault's error draw falls under 0.3
  auto o = sim.simulate(in, flags, faults, hit);
  EXPECT_EQ(o.code, 500);
  EXPECT_NEAR(o.seconds, 1.55, 1e-9);
  EXPECT_EQ(o.faultFlag, "checkout");
  EXPECT_EQ(o.flags, std::vector<std::string>{"checkout"});

  ScriptedRandom miss({0.5, 0.9, 0.31});
  o = sim.simulate(in, flags, faults, miss);
  EXPECT_EQ(o.code, 200) << "above the error rate the request succeeds, but still slow";
  EXPECT_NEAR(o.seconds, 1.55, 1e-9);
  EXPECT_EQ(o.faultFlag, "checkout");

  ScriptedRandom any({0.5, 0.9}, 0.0);
  o = sim.simulate(out, flags, faults, any);
  EXPECT_EQ(o.code, 200);
  EXPECT_NEAR(o.seconds, 0.05, 1e-9);
  EXPECT_EQ(o.faultFlag, "none");
  EXPECT_TRUE(o.flags.empty());
}

TEST(RequestSimulator, FlagAtZeroOrWithoutFaultChangesNothing) {
  RequestSimulator sim;
  ScriptedRandom r({0.5, 0.9}, 0.0);
  auto o = sim.simulate("user-0042", {{"a", 0}, {"b", 100}}, {{"a", {1.0, 3000}}}, r);
  EXPECT_EQ(o.code, 200);
  EXPECT_NEAR(o.seconds, 0.05, 1e-9);
  EXPECT_EQ(o.flags, std::vector<std::string>{"b"});
  EXPECT_EQ(r.used, 2) << "no fault draw for a flag the user does not have";
}

TEST(RequestSimulator, LatencyFaultsAddUpAndTheFirstFaultyFlagByNameLabelsTheRequest) {
  RequestSimulator sim;
  ScriptedRandom r({0.5, 0.9}, 0.99);
  auto o = sim.simulate("user-0001", {{"zeta", 100}, {"alpha", 100}},
                        {{"zeta", {0, 1000}}, {"alpha", {0.5, 2000}}}, r);
  EXPECT_EQ(o.code, 200);
  EXPECT_NEAR(o.seconds, 3.05, 1e-9);
  EXPECT_EQ(o.faultFlag, "alpha");
  EXPECT_EQ(o.flags, (std::vector<std::string>{"alpha", "zeta"}));
}

TEST(RequestSimulator, SeededRunHasHalfPercentErrorsAndFiftyMillisecondsOnAverage) {
  RequestSimulator sim;
  SeededRandom r(7);
  int errors = 0;
  double total = 0, min = 1, max = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    auto o = sim.simulate(RequestSimulator::userId(i % 1000 + 1, 1000), {}, {}, r);
    errors += o.code == 500;
    total += o.seconds;
    min = std::min(min, o.seconds);
    max = std::max(max, o.seconds);
  }
  EXPECT_NEAR(double(errors) / n, 0.005, 0.001);
  EXPECT_NEAR(total / n, 0.05, 0.001);
  EXPECT_GE(min, 0.03);
  EXPECT_LT(max, 0.07);
}

TEST(RequestSimulator, UserIdsAreStableAndPadded) {
  EXPECT_EQ(RequestSimulator::userId(1, 1000), "user-0001");
  EXPECT_EQ(RequestSimulator::userId(1000, 1000), "user-1000");
  EXPECT_EQ(RequestSimulator::userId(7, 50), "user-0007");
  EXPECT_EQ(RequestSimulator::userId(7, 100000), "user-000007");
}

TEST(RequestSimulator, UsersWithFlagGrowsWithPercentAndIsCloseToIt) {
  int prev = 0;
  for (int p : {0, 1, 5, 10, 50, 100}) {
    int n = RequestSimulator::usersWithFlag({"unified_workflow_write", p}, 1000);
    EXPECT_GE(n, prev);
    EXPECT_NEAR(n, p * 10, 40) << p << "%";
    prev = n;
  }
  EXPECT_EQ(RequestSimulator::usersWithFlag({"x", 0}, 1000), 0);
  EXPECT_EQ(RequestSimulator::usersWithFlag({"x", 100}, 1000), 1000);
}

}  // namespace
}  // namespace fro::demo
