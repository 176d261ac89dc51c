#include "demo/service/FlagPoller.h"

#include <gtest/gtest.h>

namespace fro::demo {
namespace {

using nlohmann::json;

class FlagPollerTest : public ::testing::Test {
 protected:
  Result<std::optional<json>> next = std::optional<json>();
  std::vector<std::string> lines;
  DemoLog log{DemoLog::Level::Debug, [this](DemoLog::Level l, const std::string& m) {
                lines.push_back(std::string(DemoLog::name(l)) + " " + m);
              }};
  FlagPoller poller{[this] { return next; }, "ConfigMap shop/flags", log};

  static json configMap(int percent) {
    return {{"data", {{"CHECKOUT_PERCENT", std::to_string(percent)}}}};
  }
};

TEST_F(FlagPollerTest, MissingConfigMapMeansNoFlagsLoggedOnce) {
  for (int i = 0; i < 3; ++i) {
    auto flags = poller.poll();
    ASSERT_TRUE(flags.has_value());
    EXPECT_TRUE(flags->empty());
  }
  EXPECT_EQ(lines, std::vector<std::string>{"WARN ConfigMap shop/flags not found: every flag at 0% until it exists"});
}

TEST_F(FlagPollerTest, ReadsFlagsAndLogsOnlyTransitions) {
  next = std::optional<json>(configMap(10));
  EXPECT_EQ(poller.poll(), (std::vector<DemoFlag>{{"CHECKOUT", 10}}));
  next = std::optional<json>(configMap(50));
  EXPECT_EQ(poller.poll(), (std::vector<DemoFlag>{{"CHECKOUT", 50}}));
  EXPECT_EQ(lines, std::vector<std::string>{"INFO reading flags from ConfigMap shop/flags"});
}

TEST_F(FlagPollerTest, ReadErrorsAndBadContentKeepTheLastFlags) {
  next = std::optional<json>(configMap(10));
  ASSERT_TRUE(poller.poll().has_value());
  next = Error::of("connection refused", 1);
  EXPECT_FALSE(poller.poll().has_value());
  EXPECT_FALSE(poller.poll().has_value());
  next = std::optional<json>(json{{"data", {{"CHECKOUT_PERCENT", "lots"}}}});
  EXPECT_FALSE(poller.poll().has_value());
  next = std::optional<json>(configMap(20));
  EXPECT_EQ(poller.poll(), (std::vector<DemoFlag>{{"CHECKOUT", 20}}));
  ASSERT_EQ(lines.size(), 4u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[1], "WARN cannot read ConfigMap shop/flags (keeping the last flags): connection refused");
  EXPECT_EQ(lines[2],
            "WARN ConfigMap shop/flags is not usable (keeping the last flags): CHECKOUT_PERCENT: \"lots\" is not a "
            "whole percent 0..100");
  EXPECT_EQ(lines[3], "INFO reading flags from ConfigMap shop/flags");
}

}  // namespace
}  // namespace fro::demo
