#include "demo/service/ControlApi.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fro::demo {
namespace {

using nlohmann::json;

class ControlApiTest : public ::testing::Test {
 protected:
  FaultRegistry faults;
  ControlApi api{faults};

  // Status and, for JSON replies, the parsed body.
  std::pair<int, json> call(std::string_view method, std::string_view target) {
    HttpReply r = api.handle(method, target);
    return {r.status, r.contentType == "application/json" ? json::parse(r.body) : json(r.body)};
  }
  std::string errorOf(std::string_view method, std::string_view target) {
    auto [status, body] = call(method, target);
    EXPECT_GE(status, 400) << target;
    return body.value("error", "");
  }
};

TEST_F(ControlApiTest, PostInjectsAndGetListsFaults) {
  auto [status, body] = call("POST", "/faults?flag=checkout&errorRate=0.3&latencyMs=1500");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["fault"], (json{{"flag", "checkout"}, {"errorRate", 0.3}, {"latencyMs", 1500}}));
  EXPECT_EQ(faults.snapshot().at("checkout"), (FaultSpec{0.3, 1500}));

  EXPECT_EQ(call("POST", "/faults?latencyMs=3000&flag=search.ai").first, 200);
  EXPECT_EQ(faults.snapshot().at("search.ai"), (FaultSpec{0, 3000})) << "an omitted errorRate is 0";

  auto [s2, list] = call("GET", "/faults");
  EXPECT_EQ(s2, 200);
  ASSERT_EQ(list["faults"].size(), 2u);
  EXPECT_EQ(list["faults"][0]["flag"], "checkout");
  EXPECT_EQ(list["faults"][1]["flag"], "search.ai");
}

TEST_F(ControlApiTest, PostReplacesTheFlagsPreviousFault) {
  ASSERT_EQ(call("POST", "/faults?flag=a&errorRate=1&latencyMs=100").first, 200);
  ASSERT_EQ(call("POST", "/faults?flag=a&errorRate=0.25").first, 200);
  EXPECT_EQ(faults.snapshot().at("a"), (FaultSpec{0.25, 0}));
}

TEST_F(ControlApiTest, DeleteClearsOneFlagOrAll) {
  faults.set("a", {1, 0});
  faults.set("b", {0, 10});
  auto [s1, one] = call("DELETE", "/faults?flag=a");
  EXPECT_EQ(s1, 200);
  EXPECT_EQ(one["cleared"], 1);
  EXPECT_EQ(faults.snapshot().count("a"), 0u);
  auto [s2, again] = call("DELETE", "/faults?flag=a");
  EXPECT_EQ(s2, 200) << "idempotent";
  EXPECT_EQ(again["cleared"], 0);
  auto [s3, all] = call("DELETE", "/faults");
  EXPECT_EQ(s3, 200);
  EXPECT_EQ(all["cleared"], 1);
  EXPECT_TRUE(faults.snapshot().empty());
}

TEST_F(ControlApiTest, RejectsBadInputWithAMessageAndChangesNothing) {
  EXPECT_EQ(errorOf("POST", "/faults?flag=a&errorRat=0.5"),
            "unknown parameter \"errorRat\" (allowed: flag, errorRate, latencyMs)");
  EXPECT_EQ(errorOf("POST", "/faults?errorRate=0.5"), "parameter \"flag\" is required");
  EXPECT_NE(errorOf("POST", "/faults?flag=a").find("errorRate"), std::string::npos);
  for (std::string bad : {"1.5", "-0.1", "abc", "", "0.5x", "nan", "inf"})
    EXPECT_EQ(errorOf("POST", "/faults?flag=a&errorRate=" + bad), "errorRate \"" + bad + "\" is not a number from 0 to 1");
  for (std::string bad : {"-1", "1.5", "60001", "x", ""})
    EXPECT_EQ(errorOf("POST", "/faults?flag=a&latencyMs=" + bad),
              "latencyMs \"" + bad + "\" is not a whole number from 0 to 60000");
  EXPECT_EQ(errorOf("POST", "/faults?flag=a&flag=b&errorRate=1"), "parameter \"flag\" given more than once");
  EXPECT_NE(errorOf("POST", "/faults?flag=a%20b&errorRate=1").find("not a flag name"), std::string::npos);
  EXPECT_NE(errorOf("POST", "/faults?flag=a%2&errorRate=1").find("escape"), std::string::npos);
  EXPECT_NE(errorOf("DELETE", "/faults?flg=a").find("unknown parameter"), std::string::npos);
  EXPECT_EQ(errorOf("GET", "/faults?flag=a"), "GET /faults takes no parameters");
  EXPECT_TRUE(faults.snapshot().empty());
}

TEST_F(ControlApiTest, UnknownRoutesAndMethods) {
  EXPECT_EQ(call("GET", "/nope").first, 404);
  EXPECT_EQ(call("PUT", "/faults?flag=a").first, 405);
  EXPECT_EQ(call("POST", "/healthz").first, 405);
  HttpReply h = api.handle("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok\n");
}

TEST(ControlApiQuery, DecodesPercentEscapesAndPlus) {
  auto q = ControlApi::parseQuery("flag=my%2Dflag&note=a+b&&empty=&bare");
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(*q, (std::map<std::string, std::string>{{"flag", "my-flag"}, {"note", "a b"}, {"empty", ""}, {"bare", ""}}));
  EXPECT_FALSE(ControlApi::parseQuery("=x").ok());
  EXPECT_FALSE(ControlApi::parseQuery("a=%zz").ok());
  EXPECT_FALSE(ControlApi::parseQuery("a=%4").ok());
}

}  // namespace
}  // namespace fro::demo
