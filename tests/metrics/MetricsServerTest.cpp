#include "runtime/metrics/MetricsServer.h"

#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include "tests/metrics/Scrape.h"

namespace fro::metrics {
namespace {

TEST(MetricsServerTest, ZeroMeansDisabled) {
  auto s = MetricsServer::start("0", std::make_shared<prometheus::Registry>());
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE((*s)->enabled());
  EXPECT_EQ((*s)->port(), 0);
}

TEST(MetricsServerTest, AllInterfacesFormIsReachableOnLoopback) {
  auto s = MetricsServer::start(":0", std::make_shared<prometheus::Registry>());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(testing::scrape((*s)->port()).status, 200);
  EXPECT_EQ(testing::scrape((*s)->port(), "/other").status, 404);
}

TEST(MetricsServerTest, PortInUseIsAnErrorNamingTheAddress) {
  auto first = MetricsServer::start("127.0.0.1:0", std::make_shared<prometheus::Registry>());
  ASSERT_TRUE(first.ok());
  auto addr = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsServer::start(addr, std::make_shared<prometheus::Registry>());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("metrics server: cannot listen on " + addr), std::string::npos)
      << second.error().message;
}

TEST(MetricsServerTest, BadAddress) {
  auto s = MetricsServer::start("8080", std::make_shared<prometheus::Registry>());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "metrics server: invalid bind address \"8080\": expected host:port, :port or 0");
}

TEST(MetricsServerTest, StopsOnDestruction) {
  int port = 0;
  {
    auto s = MetricsServer::start("127.0.0.1:0", std::make_shared<prometheus::Registry>());
    ASSERT_TRUE(s.ok());
    port = (*s)->port();
  }
  // The port is free again: a new server can take it.
  auto again = MetricsServer::start("127.0.0.1:" + std::to_string(port), std::make_shared<prometheus::Registry>());
  EXPECT_TRUE(again.ok()) << again.error().message;
}

}  // namespace
}  // namespace fro::metrics
