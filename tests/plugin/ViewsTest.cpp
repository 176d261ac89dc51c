// Golden tests of what plan, bucket, status and list print (pure functions). Inputs: the shared
// example, crds/samples/quick.yaml and tests/plugin/fixtures/*.json; outputs: tests/plugin/golden/.
#include <gtest/gtest.h>

#include <regex>

#include "runtime/common/Rfc3339.h"
#include "plugin/BucketView.h"
#include "plugin/PlanView.h"
#include "plugin/StatusView.h"
#include "plugin/YamlLoader.h"
#include "rollout/planner/Bucketing.h"
#include "rollout/planner/RolloutSpec.h"
#include "tests/plugin/Golden.h"

namespace fro::plugin {
namespace {

using fro::testing::expectGolden;
using fro::testing::readFile;
using fro::testing::sourcePath;
using nlohmann::json;

json yamlObject(const std::string& rel) {
  auto docs = YamlLoader::load(readFile(sourcePath(rel)));
  EXPECT_TRUE(docs.ok());
  return docs.ok() && !docs->empty() ? docs->front().value : json();
}

std::string plan(const std::string& rel) {
  json obj = yamlObject(rel);
  auto spec = rollout::RolloutSpec::parse(obj["spec"], obj["metadata"]["name"]);
  EXPECT_TRUE(spec.ok()) << spec.error().message;
  return PlanView::render(*spec, obj["metadata"]["name"], obj["metadata"].value("namespace", ""));
}

const auto kNow = *Rfc3339::parse("2026-03-03T22:00:00Z");

TEST(PlanView, SharedExample) {
  std::string out = plan("crds/samples/unified-workflow.yaml");
  expectGolden(out, "plan-unified-workflow.txt");
  // The plan's own arithmetic, independent of the golden file: 24+72+120+144+24 hours of pauses,
  // plus the default 90s propagation allowance of file delivery before each of the 10 steps.
  EXPECT_NE(out.find("Minimum duration: 384h15m"), std::string::npos);
  // The default delivery: file, and env restarting pods only where an <ENV> flips (at 100%).
  EXPECT_NE(out.find("step 1/1: 100%, pause 24h, starts at +1m30s at the earliest, restarts pods"), std::string::npos);
  EXPECT_NE(out.find("step 1/3:  10%, pause 24h, starts at +24h3m at the earliest\n"), std::string::npos);
  // Phase core's onFailure disables only write: search and frontend keep their percent.
  EXPECT_NE(out.find("unified_workflow_write -> 0% (VITE_UNIFIED_WORKFLOW_WRITE=false)"), std::string::npos);
  EXPECT_NE(out.find("keeping the step's percent: unified_workflow_search, unified_workflow_frontend"), std::string::npos);
}

TEST(PlanView, QuickSample) { expectGolden(plan("crds/samples/quick.yaml"), "plan-quick.txt"); }

TEST(BucketView, DesignVectors) {
  // docs/DESIGN.md section 4: flag key fractional-flag.
  std::string out;
  for (const char* user : {"jack", "queen", "ten", "nine", "3"}) out += BucketView::render("fractional-flag", user, 50) + "\n";
  expectGolden(out, "bucket-design-vectors.txt");
  EXPECT_NE(out.find("flag fractional-flag, user jack: bucket 62\n  MurmurHash3_x86_32(\"fractional-flagjack\", seed 0) = 2682799072"),
            std::string::npos);
  EXPECT_NE(out.find("user queen: bucket 99"), std::string::npos);
  EXPECT_NE(out.find("user ten: bucket 18"), std::string::npos);
  EXPECT_NE(out.find("user nine: bucket 32"), std::string::npos);
  EXPECT_NE(out.find("user 3: bucket 14"), std::string::npos);
}

TEST(BucketView, PercentBoundaryIsBucketPlusOne) {
  // bucket 62: not at 62%, yes at 63% (bucket < percent).
  EXPECT_NE(BucketView::render("fractional-flag", "jack", 62).find("at 62%: no"), std::string::npos);
  EXPECT_NE(BucketView::render("fractional-flag", "jack", 63).find("at 63%: yes"), std::string::npos);
  EXPECT_NE(BucketView::render("fractional-flag", "jack", std::nullopt).find("has the flag from 63% up"), std::string::npos);
}

TEST(BucketView, CborEngineVectors) {
  // The Python flagd provider's rule; the hashes agree with cbor2 + mmh3 (tests/featurerollout/BucketingTest.cpp).
  std::string out;
  for (const char* user : {"jack", "queen", "ten", "nine", "3"})
    out += BucketView::render("fractional-flag", user, 50, rollout::Bucketing::Engine::Cbor) + "\n";
  expectGolden(out, "bucket-cbor-vectors.txt");
  EXPECT_NE(out.find("flag fractional-flag, user jack: bucket 16\n"
                     "  CBOR [\"fractional-flag\", \"jack\"] = 82 6f 66 72 61 63 74 69 6f 6e 61 6c 2d 66 6c 61 67 64 6a 61 63 6b\n"
                     "  MurmurHash3_x86_32(those 22 bytes, seed 0) = 700711212"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("user queen: bucket 41"), std::string::npos);
}

TEST(BucketView, EmptyUserHasNoBucketAndGetsTheDefault) {
  for (auto e : {rollout::Bucketing::Engine::Murmur3, rollout::Bucketing::Engine::Cbor}) {
    const std::string at99 = BucketView::render("fractional-flag", "", 99, e);
    EXPECT_NE(at99.find("user \"\": no bucket"), std::string::npos) << at99;
    EXPECT_EQ(at99.find("bucket = "), std::string::npos) << at99;
    EXPECT_NE(at99.find("at 99%: no"), std::string::npos) << at99;
    EXPECT_NE(BucketView::render("fractional-flag", "", 100, e).find("at 100%: yes"), std::string::npos);
  }
}

json statusFixture(const std::string& name, bool withExampleSpec) {
  json obj = json::parse(readFile(sourcePath("tests/plugin/fixtures/" + name)));
  if (withExampleSpec) obj["spec"] = yamlObject("crds/samples/unified-workflow.yaml")["spec"];
  return obj;
}

TEST(StatusView, HoldingMidRollout) {
  expectGolden(StatusView::render(statusFixture("status-progressing.json", true), kNow, Style(false)), "status-holding.txt");
}

TEST(StatusView, RolledBack) {
  expectGolden(StatusView::render(statusFixture("status-rolledback.json", false), kNow, Style(false)), "status-rolledback.txt");
}

// The operator's gate messages name the gate already (GateJudge: "error-rate: <query error>",
// "error-rate = 0.06 is above ..."): the view does not prefix the name a second time.
TEST(StatusView, GateMessagesAreNotPrefixedTwiceWithTheGateName) {
  json obj = statusFixture("status-progressing.json", true);
  obj["status"]["gates"] = json::array(
      {{{"name", "error-rate"}, {"result", "Error"}, {"message", "error-rate: Prometheus answered HTTP 503"}},
       {{"name", "latency-p95"}, {"result", "Warning"}, {"message", "latency-p95 = 1.3 is above the warning threshold 1"}},
       {{"name", "ai-cost-per-hour"}, {"result", "Passed"}, {"message", "within budget"}}});
  const std::string out = StatusView::render(obj, kNow, Style(false));
  EXPECT_EQ(out.find("error-rate: error-rate"), std::string::npos) << out;
  EXPECT_NE(out.find("\n  error-rate: Prometheus answered HTTP 503\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\n  latency-p95 = 1.3 is above the warning threshold 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\n  ai-cost-per-hour: within budget\n"), std::string::npos) << out;
}

// A gate value is printed as the operator prints it (fro::numberText, six significant digits),
// whether the status carries it as text or, as an older status may, as a JSON number.
TEST(StatusView, GateValuesInTheOneNumberFormat) {
  json obj = statusFixture("status-progressing.json", true);
  obj["status"]["gates"] = json::array({{{"name", "error-rate"}, {"result", "Warning"}, {"value", 0.06436249218275461}},
                                        {{"name", "latency-p95"}, {"result", "Passed"}, {"value", "1.3"}}});
  const std::string out = StatusView::render(obj, kNow, Style(false));
  EXPECT_NE(out.find("error-rate   Warning  0.0643625"), std::string::npos) << out;
  EXPECT_EQ(out.find("0.06436249"), std::string::npos) << out;
  EXPECT_NE(out.find("latency-p95  Passed   1.3"), std::string::npos) << out;
}

// Thresholds in the plan use the same format: 0.05 stays 0.05, long fractions are cut to six digits.
TEST(PlanView, ThresholdsInTheOneNumberFormat) {
  json obj = yamlObject("crds/samples/quick.yaml");
  obj["spec"]["analysis"]["gates"][0]["critical"] = {{"above", 0.0123456789}};
  auto spec = rollout::RolloutSpec::parse(obj["spec"], obj["metadata"]["name"]);
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  const std::string out = PlanView::render(*spec, "quick", "");
  EXPECT_NE(out.find("critical > 0.0123457 rolls back"), std::string::npos) << out;
}

TEST(StatusView, NoStatusYetSaysSo) {
  json obj = {{"metadata", {{"name", "new"}, {"namespace", "shop"}}}, {"spec", json::object()}};
  EXPECT_EQ(StatusView::render(obj, kNow, Style(false)),
            "FeatureRollout shop/new\n  No status yet: the operator has not reconciled this resource (is it running and "
            "watching namespace shop?)\n");
}

TEST(StatusView, ColoursOnlyWhenAsked) {
  json obj = statusFixture("status-rolledback.json", false);
  std::string plain = StatusView::render(obj, kNow, Style(false));
  std::string coloured = StatusView::render(obj, kNow, Style(true));
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  EXPECT_NE(coloured.find("\033[31mRolledBack\033[0m"), std::string::npos);
  // Stripping the escapes gives the plain text back: colour never shifts the columns.
  std::string stripped = std::regex_replace(coloured, std::regex("\033\\[[0-9]+m"), "");
  EXPECT_EQ(stripped, plain);
}

TEST(StatusView, List) {
  json items = json::array({statusFixture("status-progressing.json", true), statusFixture("status-rolledback.json", false),
                            json{{"metadata", {{"name", "fresh"}, {"namespace", "shop"}, {"creationTimestamp", "2026-03-03T21:59:50Z"}}}}});
  expectGolden(StatusView::renderList(items, kNow, Style(false), true), "list-all-namespaces.txt");
  std::string one = StatusView::renderList(items, kNow, Style(false), false);
  EXPECT_EQ(one.rfind("NAME ", 0), 0u) << one;
}

TEST(Style, NoColorAndTerminalDecide) {
  EXPECT_TRUE(Style::decide("auto", true, nullptr).color());
  EXPECT_TRUE(Style::decide("auto", true, "").color());
  EXPECT_FALSE(Style::decide("auto", true, "1").color());
  EXPECT_FALSE(Style::decide("auto", false, nullptr).color());
  EXPECT_TRUE(Style::decide("always", false, "1").color());
  EXPECT_FALSE(Style::decide("never", true, nullptr).color());
}

TEST(StatusView, Age) {
  EXPECT_EQ(StatusView::age("2026-03-03T21:59:30Z", kNow), "30s");
  EXPECT_EQ(StatusView::age("2026-03-03T21:00:00Z", kNow), "60m");
  EXPECT_EQ(StatusView::age("2026-03-03T10:00:00Z", kNow), "12h");
  EXPECT_EQ(StatusView::age("2026-03-01T09:00:00Z", kNow), "2d");
  EXPECT_EQ(StatusView::age("garbage", kNow), "");
}

}  // namespace
}  // namespace fro::plugin
