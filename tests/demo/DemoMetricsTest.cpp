#include "demo/service/DemoMetrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace fro::demo {
namespace {

std::string scrape(prometheus::Registry& r) { return prometheus::TextSerializer().Serialize(r.Collect()); }

bool has(const std::string& text, const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; }

TEST(DemoMetrics, CountsEveryRequestOnceUnderItsFaultyFlagOrNone) {
  prometheus::Registry reg;
  DemoMetrics m(reg);
  m.observe({200, 0.05, "none", {}});
  m.observe({500, 0.05, "none", {"b"}});
  m.observe({500, 1.55, "a", {"a", "b"}});
  m.observe({200, 1.55, "a", {"a", "b"}});
  std::string t = scrape(reg);
  EXPECT_TRUE(has(t, "http_requests_total{code=\"200\",flag=\"none\"} 1")) << t;
  EXPECT_TRUE(has(t, "http_requests_total{code=\"500\",flag=\"none\"} 1")) << t;
  EXPECT_TRUE(has(t, "http_requests_total{code=\"500\",flag=\"a\"} 1")) << t;
  EXPECT_TRUE(has(t, "http_requests_total{code=\"200\",flag=\"a\"} 1")) << t;
  EXPECT_TRUE(has(t, "demo_flag_requests_total{code=\"200\",flag=\"b\"} 1")) << t;
  EXPECT_TRUE(has(t, "demo_flag_requests_total{code=\"500\",flag=\"b\"} 2")) << t;
  EXPECT_TRUE(has(t, "http_request_duration_seconds_count{flag=\"a\"} 2")) << t;
  // The slow requests land in the narrow bucket just above 1.5 s.
  EXPECT_TRUE(has(t, "http_request_duration_seconds_bucket{flag=\"a\",le=\"1.5\"} 0")) << t;
  EXPECT_TRUE(has(t, "http_request_duration_seconds_bucket{flag=\"a\",le=\"1.6\"} 2")) << t;
  EXPECT_TRUE(has(t, "http_request_duration_seconds_bucket{flag=\"none\",le=\"0.075\"} 2")) << t;
}

TEST(DemoMetrics, FlagGaugesFollowTheLastValues) {
  prometheus::Registry reg;
  DemoMetrics m(reg);
  m.setUsers(1000);
  m.setFlag("a", 10, 92);
  m.setFlag("a", 50, 497);
  std::string t = scrape(reg);
  EXPECT_TRUE(has(t, "demo_flag_percent{flag=\"a\"} 50")) << t;
  EXPECT_TRUE(has(t, "demo_users_with_flag{flag=\"a\"} 497")) << t;
  EXPECT_TRUE(has(t, "demo_users 1000")) << t;
}

TEST(DemoMetrics, BucketsSpanFiveMillisecondsToFiveSeconds) {
  const auto& b = DemoMetrics::latencyBuckets();
  EXPECT_DOUBLE_EQ(b.front(), 0.005);
  EXPECT_DOUBLE_EQ(b.back(), 5);
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  for (double edge : {0.05, 1.0, 1.5, 2.0, 3.0}) EXPECT_NE(std::find(b.begin(), b.end(), edge), b.end()) << edge;
}

}  // namespace
}  // namespace fro::demo
