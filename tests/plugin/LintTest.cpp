// lint: parity with the API server (tests/crd/invalid/), the samples stay clean, the golden corpus
// of tests/plugin/lint/, and the YAML reading kubectl does.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "plugin/Linter.h"
#include "plugin/YamlLoader.h"
#include "rollout/planner/RolloutSpec.h"
#include "tests/plugin/Golden.h"

namespace fro::plugin {
namespace {

namespace fs = std::filesystem;
using fro::testing::readFile;
using fro::testing::sourcePath;
using nlohmann::json;

std::vector<fs::path> yamlFiles(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(sourcePath(dir)))
    if (e.path().extension() == ".yaml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

Linter linter() {
  auto s = SchemaValidator::builtin();
  EXPECT_TRUE(s.ok()) << s.error().message;
  return Linter(*s);
}

// ".spec.flags[name=\"write\"].default: ..." -> "spec.flags[*].default"; "" when the expected
// message does not start with a field path.
std::string expectedField(const std::string& expect) {
  static const std::regex path(R"(^\.?(spec(\.[A-Za-z]+|\[[^\]]*\])*))");
  std::smatch m;
  if (!std::regex_search(expect, m, path)) return {};
  return std::regex_replace(m[1].str(), std::regex(R"(\[[^\]]*\])"), "[*]");
}
std::string normalised(const std::string& field) { return std::regex_replace(field, std::regex(R"(\[[0-9]+\])"), "[*]"); }
bool within(const std::string& inner, const std::string& outer) {
  return inner.rfind(outer, 0) == 0 && (inner.size() == outer.size() || inner[outer.size()] == '.' || inner[outer.size()] == '[');
}

// Every document the real API server refuses (crd_test.sh applies each one) is refused by lint
// too, and lint names the field the server names (or one inside it).
TEST(LintParity, EveryDocumentTheApiServerRefusesIsRefused) {
  Linter l = linter();
  auto files = yamlFiles("tests/crd/invalid");
  ASSERT_GE(files.size(), 25u);
  for (const auto& f : files) {
    const std::string text = readFile(f.string());
    const std::string expect = text.substr(std::string("# expect: ").size(), text.find('\n') - std::string("# expect: ").size());
    auto docs = YamlLoader::load(text);
    ASSERT_TRUE(docs.ok()) << f << ": " << docs.error().message;
    ASSERT_EQ(docs->size(), 1u) << f;
    auto problems = l.lintObject(docs->front().value);
    std::erase_if(problems, [](const LintProblem& p) { return p.severity == Severity::Warning; });
    EXPECT_FALSE(problems.empty()) << f.filename() << " is accepted by lint, but the API server refuses it with: " << expect;
    std::string field = expectedField(expect), got;
    bool named = field.empty();
    for (const auto& p : problems) {
      got += "\n  " + p.field + ": " + p.message;
      if (!field.empty() && within(normalised(p.field), field)) named = true;
    }
    EXPECT_TRUE(named) << f.filename() << ": the API server names " << field << " (" << expect << "); lint said:" << got;
  }
}

// What RolloutSpec::parse alone misses, i.e. what the plugin's schema layer adds. Kept exact so the
// list in the plugin's report stays true; if parse learns one of these, drop it from here.
TEST(LintParity, ChecksBeyondRolloutSpecParse) {
  std::vector<std::string> missed;
  for (const auto& f : yamlFiles("tests/crd/invalid")) {
    auto docs = YamlLoader::load(readFile(f.string()));
    ASSERT_TRUE(docs.ok());
    std::vector<rollout::FieldError> errors;
    (void)rollout::RolloutSpec::parse(docs->front().value.value("spec", json()), "base", &errors);
    if (errors.empty()) missed.push_back(f.filename().string());
  }
  EXPECT_EQ(missed, (std::vector<std::string>{"05-target-name-invalid.yaml", "06-target-containers-duplicate.yaml",
                                              "17-prometheus-insecure-skip-verify.yaml", "25-gate-query-empty.yaml",
                                              "33-unknown-spec-field.yaml", "39-phase-steps-too-many.yaml",
                                              "54-flag-description-too-long.yaml", "62-name-too-long.yaml"}));
}

TEST(LintParity, SamplesAndTheSharedExampleAreClean) {
  Linter l = linter();
  std::vector<std::string> files = {"tests/crd/valid-base.yaml", "crds/samples/quick.yaml", "crds/samples/unified-workflow.yaml"};
  for (const auto& f : files) {
    LintReport r = l.lintText(readFile(sourcePath(f)), f);
    EXPECT_EQ(r.errors, 0) << f << ":\n" << ::testing::PrintToString(r.problems);
    EXPECT_EQ(r.warnings, 0) << f << ": a sample users apply must not rely on defaults they may not have:\n"
                             << ::testing::PrintToString(r.problems);
    EXPECT_EQ(r.featureRollouts, 1) << f;
  }
  // The shared example lives outside the repository in the workspace; when present it must be clean.
  const std::string shared = "/work/shared/examples/unified-workflow.yaml";
  if (fs::exists(shared)) {
    LintReport r = l.lintText(readFile(shared), shared);
    EXPECT_EQ(r.errors, 0) << ::testing::PrintToString(r.problems);
    EXPECT_EQ(readFile(shared), readFile(sourcePath("crds/samples/unified-workflow.yaml")).substr(
                                    readFile(sourcePath("crds/samples/unified-workflow.yaml")).find("# The feature toggle")))
        << "crds/samples/unified-workflow.yaml no longer holds the shared example unchanged";
  }
}

// tests/plugin/lint/*.yaml: each starts with "# expect: <line>" for every line lint prints for it
// (file named by its base name), then "# defect: ...". FRO_UPDATE_GOLDEN=1 rewrites the expect lines.
TEST(LintCorpus, EachDocumentGetsExactlyItsExpectedMessages) {
  Linter l = linter();
  auto files = yamlFiles("tests/plugin/lint");
  ASSERT_GE(files.size(), 30u);
  for (const auto& f : files) {
    const std::string text = readFile(f.string());
    std::vector<std::string> expected;
    std::istringstream in(text);
    std::string line, rest;
    bool header = true;
    while (std::getline(in, line)) {
      if (header && line.rfind("# expect: ", 0) == 0) expected.push_back(line.substr(10));
      else {
        header = false;
        rest += line + "\n";
      }
    }
    LintReport r = l.lintText(rest, f.filename().string());
    if (fro::testing::updatingGolden()) {
      std::string out;
      for (const auto& p : r.problems) out += "# expect: " + p + "\n";
      std::ofstream(f) << out << rest;
      continue;
    }
    EXPECT_FALSE(expected.empty()) << f.filename() << " has no # expect: line";
    EXPECT_GT(r.errors, 0) << f.filename() << " is clean, but is in the invalid corpus";
    EXPECT_EQ(r.problems, expected) << f.filename();
  }
}

// crds/samples/quick.yaml renamed, in a namespace (none: ""), targeting `targets` ("Kind/name").
std::string quickAs(const std::string& name, const std::string& ns, const std::vector<std::string>& targets) {
  std::string text = readFile(sourcePath("crds/samples/quick.yaml"));
  text.replace(text.find("  name: quick\n"), 14, "  name: " + name + "\n" + (ns.empty() ? "" : "  namespace: " + ns + "\n"));
  std::string list;
  for (const auto& t : targets) list += "    - kind: " + t.substr(0, t.find('/')) + "\n      name: " + t.substr(t.find('/') + 1) + "\n";
  const std::string old = "    - kind: Deployment\n      name: web\n";
  text.replace(text.find(old), old.size(), list);
  return text;
}

// One workload, one rollout: across files and documents, the later of two rollouts in one
// namespace that target the same workload is an error naming both and the workload.
TEST(LintClaims, TwoRolloutsOnOneWorkloadInOneNamespaceAreAnError) {
  Linter l = linter();
  WorkloadClaims claims;
  EXPECT_EQ(l.lintText(quickAs("a", "", {"Deployment/web", "Deployment/api"}), "a.yaml", &claims).errors, 0);
  EXPECT_EQ(l.lintText(quickAs("b", "", {"StatefulSet/db", "Deployment/web"}) + "---\n" +
                           quickAs("c", "shop", {"Deployment/web"}) + "---\n" + quickAs("d", "", {"StatefulSet/web", "Deployment/api"}),
                       "b.yaml", &claims)
                .errors,
            0);
  std::vector<std::string> got;
  for (const auto& c : claims.conflicts()) got.push_back(Linter::format(c.file, c.doc, c.problem));
  const std::string hintA = " (hint: the operator lets the first rollout that claims Deployment ";
  EXPECT_EQ(got, (std::vector<std::string>{
                     "b.yaml:1: spec.targets[1]: Invalid value: Deployment \"web\": FeatureRollout \"b\" targets it, and so does "
                     "FeatureRollout \"a\" (a.yaml:1) in the same namespace (none set): one workload, one rollout" + hintA +
                         "web own it and holds the other (TargetClaimed); put these flags into rollout \"a\" as another phase, "
                         "or target another workload)",
                     "b.yaml:3: spec.targets[1]: Invalid value: Deployment \"api\": FeatureRollout \"d\" targets it, and so does "
                     "FeatureRollout \"a\" (a.yaml:1) in the same namespace (none set): one workload, one rollout" + hintA +
                         "api own it and holds the other (TargetClaimed); put these flags into rollout \"a\" as another phase, "
                         "or target another workload)"}))
      << "c is in another namespace, and StatefulSet web is another workload than Deployment web";
}

TEST(LintClaims, TheSameRolloutTwiceIsNoConflict) {
  Linter l = linter();
  WorkloadClaims claims;
  l.lintText(quickAs("a", "shop", {"Deployment/web"}), "v1.yaml", &claims);
  l.lintText(quickAs("a", "shop", {"Deployment/web"}), "v2.yaml", &claims);
  l.lintText(quickAs("b", "team", {"Deployment/web"}), "v2.yaml", &claims);
  EXPECT_TRUE(claims.conflicts().empty());
}

// A gated spec without spec.prometheus.address relies on the operator's
// --default-prometheus-address: a warning, which is not an error.
TEST(LintWarnings, GatedPhasesWithoutAPrometheusAddressWarn) {
  std::string text = readFile(sourcePath("crds/samples/quick.yaml"));
  const size_t at = text.find("  prometheus:\n");
  ASSERT_NE(at, std::string::npos);
  text.erase(at, text.find("  analysis:") - at);
  LintReport r = linter().lintText(text, "q.yaml");
  EXPECT_EQ(r.errors, 0);
  EXPECT_EQ(r.warnings, 1);
  EXPECT_EQ(r.problems,
            (std::vector<std::string>{"q.yaml:1: warning: spec.prometheus.address: not set, but phases are gated (error-rate): the "
                                      "gates run only if the operator was started with --default-prometheus-address (the Helm "
                                      "chart's defaultPrometheusAddress, empty unless you set it) (hint: set "
                                      "spec.prometheus.address to your Prometheus, e.g. http://prometheus.monitoring.svc:9090)"}));
  // Without gates on any phase there is nothing to warn about.
  text.erase(text.find("      gates: [error-rate]\n"), std::string("      gates: [error-rate]\n").size());
  r = linter().lintText(text, "q.yaml");
  EXPECT_EQ(r.warnings, 0) << ::testing::PrintToString(r.problems);
}

TEST(LintText, NonFeatureRolloutDocumentsAreSkippedWithANote) {
  LintReport r = linter().lintText("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n---\n"
                                   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
                                   "in.yaml");
  EXPECT_EQ(r.errors, 0);
  EXPECT_EQ(r.featureRollouts, 0);
  EXPECT_EQ(r.notes, (std::vector<std::string>{"in.yaml:1: skipped ConfigMap \"x\" (v1): not a FeatureRollout",
                                               "in.yaml:3: skipped Deployment \"web\" (apps/v1): not a FeatureRollout"}));
}

TEST(LintText, EveryProblemOfADocumentIsReported) {
  std::string text = readFile(sourcePath("crds/samples/quick.yaml"));
  text.replace(text.find("percent: 10,"), 12, "percent: 0,");
  text.replace(text.find("envVar: NEW_CHECKOUT"), 20, "envVar: NEW-CHECKOUT");
  text.replace(text.find("name: quick"), 11, "name: Quick");
  LintReport r = linter().lintText(text, "q.yaml");
  ASSERT_EQ(r.errors, 3) << ::testing::PrintToString(r.problems);
  EXPECT_EQ(r.problems[0].rfind("q.yaml:1: metadata.name: Invalid value: \"Quick\"", 0), 0u) << r.problems[0];
  EXPECT_EQ(r.problems[1].rfind("q.yaml:1: spec.flags[0].envVar: Invalid value: \"NEW-CHECKOUT\"", 0), 0u) << r.problems[1];
  EXPECT_EQ(r.problems[2].rfind("q.yaml:1: spec.phases[0].steps[0].percent: Invalid value: 0: must be at least 1", 0), 0u)
      << r.problems[2];
}

TEST(YamlLoader, ReadsScalarsLikeKubectl) {
  auto docs = YamlLoader::load("a: yes\nb: 'yes'\nc: on\nd: ~\ne: 0x1F\nf: 017\ng: 1_000\nh: 1.5e3\ni: \"12\"\nj: 08\nk: No\nl: -3\n");
  ASSERT_TRUE(docs.ok());
  EXPECT_EQ(docs->front().value, json::parse(R"({"a":true,"b":"yes","c":true,"d":null,"e":31,"f":15,"g":1000,"h":1500.0,
                                                 "i":"12","j":8.0,"k":false,"l":-3})"));
}

TEST(YamlLoader, DuplicateKeysKeepTheLastValueAsKubectlDoesAndSyntaxErrorsAreReported) {
  auto docs = YamlLoader::load("a: 1\nb:\n  c: 1\n  c: 2\n");
  ASSERT_TRUE(docs.ok());
  EXPECT_EQ(docs->front().value["b"]["c"], 2) << "go-yaml v2, which kubectl reads with, keeps the last value";
  ASSERT_EQ(docs->front().problems.size(), 1u);
  EXPECT_EQ(docs->front().problems[0].field, "b.c");
  EXPECT_FALSE(docs->front().problems[0].refused);
  EXPECT_EQ(docs->front().problems[0].message,
            "Duplicate key: \"c\" is set twice in this mapping (lines 3 and 4); kubectl apply keeps the last value, 2, "
            "and drops 1");
  auto bad = YamlLoader::load("a: [1, 2\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("YAML syntax error at line"), std::string::npos) << bad.error().message;
}

TEST(YamlLoader, DocumentsKeepTheirPositionInTheFile) {
  auto docs = YamlLoader::load("---\na: 1\n---\n---\nb: 2\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].index, 1);
  EXPECT_EQ((*docs)[1].index, 3);
}

}  // namespace
}  // namespace fro::plugin
