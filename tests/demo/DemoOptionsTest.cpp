#include "demo/service/DemoOptions.h"

#include <gtest/gtest.h>

namespace fro::demo {
namespace {

Result<DemoOptions> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "fro-demo-service");
  return DemoOptions::parse(args);
}

TEST(DemoOptions, DefaultsNeedOnlyTheConfigMap) {
  auto o = parse({"--configmap", "shop-flags"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->configMap, "shop-flags");
  EXPECT_EQ(o->ns, "default");
  EXPECT_EQ(o->users, 1000);
  EXPECT_DOUBLE_EQ(o->rate, 50);
  EXPECT_EQ(o->metrics.str(), "127.0.0.1:9464");
  EXPECT_EQ(o->control.str(), "127.0.0.1:9465");
  EXPECT_EQ(o->logLevel, DemoLog::Level::Info);
  EXPECT_EQ(o->pollIntervalMs, 1000);
}

TEST(DemoOptions, EveryFlag) {
  auto o = parse({"--kubeconfig", "/tmp/kc", "-n", "shop", "--configmap", "f", "--users", "200", "--rate", "12.5",
                  "--seed", "99", "--metrics-address", "localhost:0", "--control-address", "0.0.0.0:8000",
                  "--log-level", "debug", "--poll-interval-ms", "250"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->kubeconfig, "/tmp/kc");
  EXPECT_EQ(o->ns, "shop");
  EXPECT_EQ(o->users, 200);
  EXPECT_DOUBLE_EQ(o->rate, 12.5);
  EXPECT_EQ(o->seed, 99u);
  EXPECT_EQ(o->metrics.str(), "127.0.0.1:0");
  EXPECT_EQ(o->control.str(), "0.0.0.0:8000");
  EXPECT_EQ(o->logLevel, DemoLog::Level::Debug);
  EXPECT_EQ(o->pollIntervalMs, 250);
}

TEST(DemoOptions, UsageErrorsSayWhatIsWrong) {
  auto missing = parse({});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason, "usage");
  EXPECT_NE(missing.error().message.find("--configmap"), std::string::npos) << missing.error().message;

  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  for (const auto& c : std::vector<Case>{{{"--users", "0"}, "--users"},
                                         {{"--rate", "0"}, "--rate"},
                                         {{"--rate", "fast"}, "--rate"},
                                         {{"--metrics-address", "9464"}, "--metrics-address"},
                                         {{"--control-address", "example.com:80"}, "--control-address"},
                                         {{"--control-address", "127.0.0.1:70000"}, "port"},
                                         {{"--log-level", "loud"}, "--log-level"},
                                         {{"--bogus"}, "bogus"}}) {
    auto args = c.args;
    args.insert(args.end(), {"--configmap", "f"});
    auto r = parse(args);
    ASSERT_FALSE(r.ok()) << ::testing::PrintToString(c.args);
    EXPECT_EQ(r.error().reason, "usage");
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << r.error().message;
  }
}

TEST(DemoOptions, HelpListsTheOptions) {
  auto h = parse({"--help"});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().reason, "help");
  for (const char* opt : {"--kubeconfig", "--namespace", "--configmap", "--users", "--rate", "--seed",
                          "--metrics-address", "--control-address", "--log-level"})
    EXPECT_NE(h.error().message.find(opt), std::string::npos) << opt;
}

}  // namespace
}  // namespace fro::demo
