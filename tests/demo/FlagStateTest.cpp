#include "demo/service/FlagState.h"

#include <gtest/gtest.h>

namespace fro::demo {
namespace {

using Change = FlagState::Change;

TEST(FlagState, ReportsNewAndChangedFlagsOnly) {
  FlagState s;
  EXPECT_EQ(s.update({{"b", 10}, {"a", 0}}), (std::vector<Change>{{"a", -1, 0}, {"b", -1, 10}}));
  EXPECT_TRUE(s.update({{"a", 0}, {"b", 10}}).empty()) << "same values: nothing to log";
  EXPECT_EQ(s.update({{"a", 0}, {"b", 50}}), (std::vector<Change>{{"b", 10, 50}}));
  EXPECT_EQ(s.current(), (std::vector<DemoFlag>{{"a", 0}, {"b", 50}}));
}

TEST(FlagState, AMissingFlagOrConfigMapIsZeroPercentNotForgotten) {
  FlagState s;
  (void)s.update({{"a", 100}, {"b", 10}});
  EXPECT_EQ(s.update({{"a", 100}}), (std::vector<Change>{{"b", 10, 0}}));
  EXPECT_EQ(s.update({}), (std::vector<Change>{{"a", 100, 0}}));
  EXPECT_EQ(s.current(), (std::vector<DemoFlag>{{"a", 0}, {"b", 0}}));
}

TEST(FlagState, DescribesChangesForTheLog) {
  EXPECT_EQ(FlagState::describe({"a", -1, 5}), "flag a: 5% of users (new)");
  EXPECT_EQ(FlagState::describe({"a", 10, 50}), "flag a: 10% -> 50% of users");
}

}  // namespace
}  // namespace fro::demo
