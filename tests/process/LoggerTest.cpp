// What a log collector (JSON) or a person (text) reads: one parseable line per record, the fields
// given at the call site, correct escaping, the level filter.
#include "runtime/process/Logger.h"

#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "runtime/process/JsonLogFields.h"
#include "tests/support/ManualClock.h"

namespace fro::log {
namespace {

struct Captured {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(std::string_view)> sink() {
    return [this](std::string_view l) {
      std::lock_guard g(mu);
      lines.emplace_back(l);
    };
  }
};

std::shared_ptr<Logger> makeLogger(Captured& c, Format f = Format::Json, Level l = Level::Info) {
  return std::make_shared<Logger>(Logger::Config{f, l, c.sink(), std::make_shared<testing::ManualClock>()});
}

TEST(LoggerTest, JsonLineCarriesTimestampLevelMessageAndFields) {
  Captured c;
  auto logger = makeLogger(c);
  logger->log(Level::Info, "reconciled",
              {{"rollout", "shop/unified-workflow"}, {"phase", "core"}, {"step", 1}, {"ratio", 0.25}, {"done", true}});
  ASSERT_EQ(c.lines.size(), 1u);
  auto j = nlohmann::json::parse(c.lines[0]);
  EXPECT_EQ(j["ts"], "2027-01-15T08:00:00.000000Z");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["msg"], "reconciled");
  EXPECT_EQ(j["rollout"], "shop/unified-workflow");
  EXPECT_EQ(j["phase"], "core");
  EXPECT_EQ(j["step"], 1);
  EXPECT_EQ(j["ratio"], 0.25);
  EXPECT_EQ(j["done"], true);
  // Keys in call order, after ts/level/msg: stable for people grepping raw lines.
  EXPECT_EQ(c.lines[0],
            R"({"ts":"2027-01-15T08:00:00.000000Z","level":"info","msg":"reconciled","rollout":"shop/unified-workflow",)"
            R"("phase":"core","step":1,"ratio":0.25,"done":true})");
}

TEST(LoggerTest, JsonEscapesAnythingAValueMayHold) {
  Captured c;
  auto logger = makeLogger(c);
  const std::string nasty = "quote\" backslash\\ newline\n tab\t bell\x07 unicode \xc3\xa9 broken \xff end";
  logger->log(Level::Error, nasty, {{"value", nasty}, {"nan", std::nan("")}, {"big", 9007199254740993LL}});
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.lines[0].find('\n'), std::string::npos) << "one record, one line";
  auto j = nlohmann::json::parse(c.lines[0]);  // throws (fails the test) if invalid
  const std::string expected = "quote\" backslash\\ newline\n tab\t bell\x07 unicode \xc3\xa9 broken \xef\xbf\xbd end";
  EXPECT_EQ(j["msg"], expected);
  EXPECT_EQ(j["value"], expected);
  EXPECT_TRUE(j["nan"].is_null());
  EXPECT_EQ(j["big"].get<long long>(), 9007199254740993LL);
  EXPECT_EQ(j["level"], "error");
}

TEST(LoggerTest, ReservedKeysDoNotOverwriteTheRecord) {
  Captured c;
  auto logger = makeLogger(c);
  logger->log(Level::Warn, "real", {{"msg", "fake"}, {"level", "debug"}});
  auto j = nlohmann::json::parse(c.lines.at(0));
  EXPECT_EQ(j["msg"], "real");
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["field.msg"], "fake");
  EXPECT_EQ(j["field.level"], "debug");
}

TEST(LoggerTest, LevelFilter) {
  Captured c;
  auto logger = makeLogger(c, Format::Json, Level::Warn);
  logger->log(Level::Debug, "d");
  logger->log(Level::Info, "i");
  logger->log(Level::Warn, "w");
  logger->log(Level::Error, "e");
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(c.lines[0])["msg"], "w");
  EXPECT_EQ(nlohmann::json::parse(c.lines[1])["msg"], "e");
  EXPECT_FALSE(logger->enabled(Level::Info));
}

TEST(LoggerTest, TextFormatIsOneReadableLine) {
  Captured c;
  auto logger = makeLogger(c, Format::Text, Level::Debug);
  logger->log(Level::Info, "reconciled", {{"rollout", "ns/name"}, {"step", 1}, {"reason", "gate held"}, {"empty", ""}});
  logger->log(Level::Debug, "two\nlines", {{"k", "a=b"}});
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.lines[0],
            "2027-01-15T08:00:00.000000Z INFO  reconciled rollout=ns/name step=1 reason=\"gate held\" empty=\"\"");
  EXPECT_EQ(c.lines[1], "2027-01-15T08:00:00.000000Z DEBUG two\\nlines k=\"a=b\"");
}

TEST(LoggerTest, GlobalFunctionsUseTheInstalledLogger) {
  Captured c;
  auto previous = Logger::global();
  Logger::setGlobal(makeLogger(c, Format::Json, Level::Debug));
  debug("d", {{"n", 1}});
  info("reconciled", {{"rollout", "ns/name"}, {"phase", "core"}, {"step", 1}});
  warn("w");
  error("e");
  Logger::setGlobal(previous);
  ASSERT_EQ(c.lines.size(), 4u);
  auto j = nlohmann::json::parse(c.lines[1]);
  EXPECT_EQ(j["rollout"], "ns/name");
  EXPECT_EQ(j["step"], 1);
  EXPECT_EQ(nlohmann::json::parse(c.lines[3])["level"], "error");
}

TEST(LoggerTest, ConcurrentWritersNeverInterleaveLines) {
  Captured c;
  auto logger = makeLogger(c);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) logger->log(Level::Info, "tick", {{"thread", t}, {"i", i}});
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(c.lines.size(), 1000u);
  for (const auto& l : c.lines) EXPECT_TRUE(nlohmann::json::accept(l)) << l;
}

// Text from outside (a Prometheus body, an API error) can hold any bytes: logging it never throws
// and still gives one parseable line (a throwing log call once froze a rollout silently).
TEST(LoggerTest, InvalidUtf8InAReconcilersJsonFieldsNeverThrowsAndStaysOneValidLine) {
  Captured c;
  auto logger = makeLogger(c);
  const std::string bad = "quota \xE2\x82 exceeded \xFF";
  nlohmann::json fields = {{"rollout", "shop/web"},
                           {"error", bad},
                           {"step", 2},
                           {"ratio", 0.5},
                           {"answer", {{"body", bad}, {"series", nlohmann::json::array({bad})}}}};
  Fields f;
  ASSERT_NO_THROW(f = jsonLogFields(fields));
  ASSERT_NO_THROW(logger->log(Level::Warn, "gate failed \xC3", f));
  ASSERT_EQ(c.lines.size(), 1u);
  auto j = nlohmann::json::parse(c.lines[0]);
  EXPECT_EQ(j["rollout"], "shop/web");
  EXPECT_EQ(j["step"], 2);
  EXPECT_EQ(j["error"], "quota \uFFFD exceeded \uFFFD");
  EXPECT_NE(j["answer"].get<std::string>().find("\uFFFD"), std::string::npos) << c.lines[0];
  EXPECT_EQ(j["msg"], "gate failed \uFFFD");
}

TEST(LoggerTest, ASinkThatThrowsDoesNotReachTheCaller) {
  auto logger = std::make_shared<Logger>(Logger::Config{Format::Json, Level::Info,
                                                        [](std::string_view) { throw std::runtime_error("pipe closed"); },
                                                        std::make_shared<testing::ManualClock>()});
  EXPECT_NO_THROW(logger->log(Level::Error, "reconcile failed", {{"rollout", "shop/web"}}));
}

TEST(LoggerTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(*Logger::parseLevel("warn"), Level::Warn);
  EXPECT_FALSE(Logger::parseLevel("WARN").ok());
  EXPECT_EQ(*Logger::parseFormat("text"), Format::Text);
  EXPECT_STREQ(Logger::name(Level::Error), "error");
}

}  // namespace
}  // namespace fro::log
