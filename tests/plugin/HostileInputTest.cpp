// Issue 17: what a pull request can put in front of `lint` and `plan` (both run in CI on such
// files). Each finding of the black-box fuzzer is a test here: the plugin answers with an error
// naming the field or the line, and the exit status says so; it never aborts, loops or balloons.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "plugin/Cli.h"
#include "plugin/YamlLoader.h"
#include "tests/plugin/CliRunner.h"
#include "tests/plugin/Golden.h"

namespace fro::plugin {
namespace {

using fro::testing::sourcePath;
using nlohmann::json;

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class HostileInput : public ::testing::Test {
 protected:
  int run(std::vector<std::string> args, const std::string& stdinText = "") { return cli.run(std::move(args), stdinText); }
  // lint and plan of `text` read from stdin: both must give `code`.
  void both(const std::string& text, int code, const std::string& fragment) {
    EXPECT_EQ(run({"lint", "-"}, text), code) << out.str() << err.str();
    EXPECT_NE((out.str() + err.str()).find(fragment), std::string::npos) << "lint: " << out.str() << err.str();
    EXPECT_EQ(run({"plan", "-"}, text), code) << out.str() << err.str();
    EXPECT_NE((out.str() + err.str()).find(fragment), std::string::npos) << "plan: " << out.str() << err.str();
  }
  std::string quick() const { return slurp(sourcePath("crds/samples/quick.yaml")); }
  std::filesystem::path tempDir() {
    auto d = std::filesystem::temp_directory_path() / ("fro-hostile-" + std::to_string(::getpid()) + "-" +
                                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    dirs.push_back(d);
    return d;
  }
  void TearDown() override {
    for (const auto& d : dirs) std::filesystem::remove_all(d);
  }

  testing::CliRunner cli;
  std::ostringstream &out = cli.out, &err = cli.err;
  std::vector<std::filesystem::path> dirs;
};

TEST_F(HostileInput, AKindThatIsNotAStringIsRefusedNamingItsValue) {
  // Finding 1: a throwing value("kind", "") aborted both commands (type_error.302).
  for (const char* kind : {"[x]", "0", "true", "{}"}) {
    const std::string text = std::string("apiVersion: rollouts.featureflags.dev/v1alpha1\nkind: ") + kind + "\n";
    EXPECT_EQ(run({"lint", "-"}, text), 1) << kind;
    const std::string want = std::string("kind: Invalid value: ") + json(YamlLoader::load(text)->front().value["kind"]).dump() +
                             ": must be a string";
    EXPECT_NE(out.str().find(want), std::string::npos) << kind << ": " << out.str();
    EXPECT_EQ(run({"plan", "-"}, text), 1) << kind;
    EXPECT_NE(err.str().find("no FeatureRollout"), std::string::npos) << err.str();
  }
}

TEST_F(HostileInput, InvalidUtf8IsAnErrorWithItsLineWhateverFieldItIsIn) {
  // Finding 2: in a name it aborted (type_error.316 when dumped); in a description lint passed.
  std::string name = quick();
  name.replace(name.find("name: checkout\n"), 15, "name: p\xc0\n");
  both(name, 1, "not valid UTF-8 at line 31, column 14 (byte 0xC0)");
  std::string description = quick();
  description.replace(description.find("The new checkout page"), 7, "The \xff\xfe page");
  both(description, 1, "not valid UTF-8 at line 20");
  std::string comment = "# caf\xe9\n" + quick();  // Latin-1 in a comment: kubectl refuses the file as well
  both(comment, 1, "not valid UTF-8 at line 1, column 6");
  // An escape can make what no byte showed: a lone surrogate (yaml-cpp refuses it itself).
  std::string escaped = quick();
  escaped.replace(escaped.find("The new checkout page"), 21, "\"\\ud800\"");
  both(escaped, 1, "line 20, column 27: invalid unicode");
  // Control characters are refused as go-yaml refuses them.
  both(std::string("kind: FeatureRollout\nmetadata: {name: a\0b}\n", 41), 1, "control character (byte 0x00) at line 2");
}

TEST_F(HostileInput, ASelfReferencingAliasIsRefusedNotRecursedInto) {
  // Finding 3: SIGSEGV from unbounded recursion.
  both("apiVersion: rollouts.featureflags.dev/v1alpha1\nkind: FeatureRollout\nspec: &a {x: *a}\n", 1,
       "line 3, column 14: an alias refers to the node that contains it");
  both("a: &a [1, [2, *a]]\n", 1, "an alias refers to the node that contains it");
}

TEST_F(HostileInput, AnAliasBombIsRefusedWithinItsBudget) {
  // Finding 4: 1,178 bytes grew to 2 GiB in 6 s, then bad_alloc.
  std::string bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    const char p = static_cast<char>(c - 1);
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? "," : "") + "*" + p;
    bomb += "]\n";
  }
  bomb += "kind: FeatureRollout\n";
  ASSERT_LT(bomb.size(), 1200u);
  both(bomb, 1, "YAML aliases expand to more than 100000 nodes (an \"alias bomb\")");
  // Aliases in reasonable numbers still work, as in the CRD itself.
  auto ok = YamlLoader::load("base: &b {x: 1}\nuse: [*b, *b]\n");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->front().value["use"], json::parse(R"([{"x":1},{"x":1}])"));
}

TEST_F(HostileInput, AliasesOfALongScalarAreCountedByTheirText) {
  // The black-box fuzzer's memory finding: a 100 KiB scalar aliased 10,000 times is 10,000 nodes
  // but 1 GiB of text (lint reached the 2 GiB cap). Keys made of aliases count the same.
  const std::string big(100 * 1024, 'b');
  std::string text = "a: &x \"" + big + "\"\nl: [";
  for (int i = 0; i < 10000; ++i) text += i ? ",*x" : "*x";
  text += "]\nkind: FeatureRollout\n";
  both(text, 1, "the file's values add up to more than 16 MiB of text (aliases' copies included); refused");
  std::string keys = "a: &k \"" + std::string(1 << 20, 'k') + "\"\nm:\n";
  for (int i = 0; i < 100; ++i) keys += "  ? *k\n  : " + std::to_string(i) + "\n";
  both(keys, 1, "more than 16 MiB of text");
  // Anchors nested in anchors are not counted twice: 30 levels around one kilobyte pass.
  std::string nested = "a: ";
  for (int i = 0; i < 30; ++i) nested += "&a" + std::to_string(i) + " [";
  nested += "\"" + std::string(1024, 'n') + "\"" + std::string(30, ']') + "\nb: *a0\n";
  auto docs = YamlLoader::load(nested);
  EXPECT_TRUE(docs.ok()) << docs.error().message;
}

TEST_F(HostileInput, OnlyRegularFilesAreRead) {
  // A symlink to /dev/zero in a pull request read a gigabyte, then ran out of memory.
  const auto d = tempDir();
  std::filesystem::create_symlink("/dev/zero", d / "zero.yaml");
  EXPECT_EQ(run({"lint", (d / "zero.yaml").string()}), 2);
  EXPECT_NE(err.str().find("not a regular file"), std::string::npos) << err.str();
  EXPECT_EQ(run({"plan", (d / "zero.yaml").string()}), 2);
  EXPECT_NE(err.str().find("not a regular file"), std::string::npos) << err.str();
}

TEST_F(HostileInput, DeepNestingIsRefusedNotAStackOverflow) {
  both(std::string(100000, '[') + "\n", 1, "the YAML nests deeper than 256 levels; refused");
  std::string maps;
  for (int i = 0; i < 300; ++i) maps += std::string(static_cast<size_t>(i) * 2, ' ') + "k:\n";
  both(maps, 1, "the YAML nests deeper than 256 levels; refused");
  std::string flow;
  for (int i = 0; i < 300; ++i) flow += "- ";
  both(flow + "x\n", 1, "the YAML nests deeper than 256 levels; refused");
}

TEST_F(HostileInput, LintOfADirectoryChecksEveryManifestUnderIt) {
  // Finding 5: `lint manifests/` printed "ok: 0 FeatureRollouts checked" and exited 0.
  const auto d = tempDir();
  std::filesystem::create_directories(d / "team" / "checkout");
  std::ofstream(d / "team" / "checkout" / "bad.yaml") << "apiVersion: rollouts.featureflags.dev/v1alpha1\nkind: FeatureRollout\n"
                                                         "metadata: {name: Bad}\nspec: {}\n";
  std::ofstream(d / "good.yml") << quick();
  std::ofstream(d / "notes.txt") << "kind: [not, a, manifest, file]\n";
  EXPECT_EQ(run({"lint", d.string()}), 1) << out.str() << err.str();
  EXPECT_NE(out.str().find((d / "team" / "checkout" / "bad.yaml").string() + ":1: metadata.name: Invalid value: \"Bad\""),
            std::string::npos)
      << out.str();
  EXPECT_EQ(out.str().find("notes.txt"), std::string::npos) << "only *.yaml, *.yml and *.json are manifests";
  EXPECT_NE(err.str().find("in 2 files"), std::string::npos) << err.str();
}

TEST_F(HostileInput, AnInputWithoutAFeatureRolloutIsAnErrorUnlessAllowed) {
  const auto d = tempDir();
  EXPECT_EQ(run({"lint", d.string()}), 1);
  EXPECT_NE(out.str().find("no FeatureRollout found in 0 manifest files"), std::string::npos) << out.str();
  EXPECT_EQ(run({"lint", "--allow-empty", d.string()}), 0) << out.str() << err.str();
  const std::string deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";
  EXPECT_EQ(run({"lint", "-"}, deployment), 1);
  EXPECT_NE(out.str().find("-: no FeatureRollout found (hint: pass --allow-empty"), std::string::npos) << out.str();
  EXPECT_EQ(run({"lint", "--allow-empty", "-"}, deployment), 0);
  EXPECT_NE(err.str().find("skipped Deployment \"web\""), std::string::npos) << err.str();
}

TEST_F(HostileInput, ADuplicateKeyIsReadAsKubectlReadsItAndSaidSoTruthfully) {
  // Finding 6: kubectl apply kept the last value (100%) while plan showed 10% and lint claimed
  // kubectl refuses the file. Checked against the real API server: `kubectl apply` (client- and
  // server-side) stores percent 100.
  std::string text = quick();
  text.replace(text.find("        - {percent: 10, pause: 30s}\n"), 36, "        - percent: 10\n          percent: 100\n");
  EXPECT_EQ(run({"plan", "-"}, text), 0) << err.str();
  EXPECT_NE(err.str().find("warning: spec.phases[0].steps[0].percent: Duplicate key: \"percent\" is set twice in this "
                           "mapping (lines 34 and 35); kubectl apply keeps the last value, 100, and drops 10"),
            std::string::npos)
      << err.str();
  EXPECT_EQ(out.str().find("10%"), std::string::npos) << "the plan shows what kubectl would store:\n" << out.str();
  EXPECT_NE(out.str().find("100%"), std::string::npos) << out.str();
  EXPECT_EQ(run({"lint", "-"}, text), 1) << "a duplicate key fails lint: the value kept may not be the one meant";
  EXPECT_NE(out.str().find("kubectl apply keeps the last value, 100"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("kubectl refuses"), std::string::npos) << out.str();
}

TEST_F(HostileInput, NamesAreCheckedAsTheApiServerAndTheCrdCheckThem) {
  // Finding 8: 64 to 253 characters passed lint and the API server, then failed every ConfigMap
  // write (the name is a label value); dotted names, which the API server takes, failed lint.
  std::string text = quick();
  text.replace(text.find("name: quick"), 11, "name: " + std::string(64, 'a'));
  EXPECT_EQ(run({"lint", "-"}, text), 1);
  EXPECT_NE(out.str().find("metadata.name: Invalid value: \"" + std::string(64, 'a') +
                           "\": must be no more than 63 characters, got 64"),
            std::string::npos)
      << out.str();
  text = quick();
  text.replace(text.find("name: quick"), 11, "name: web.rollout");
  EXPECT_EQ(run({"lint", "-"}, text), 0) << out.str() << err.str();
  text.replace(text.find("name: web.rollout"), 17, "name: web..rollout");
  EXPECT_EQ(run({"lint", "-"}, text), 1) << out.str();
}

TEST_F(HostileInput, AMegabyteNameIsRefusedByLengthNotAStackOverflow) {
  // std::regex recursed once per character: a 1 MiB flag name, env var or mount path was SIGSEGV.
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"name: new-checkout", "name: " + std::string(1 << 20, 'a')},
           {"envVar: NEW_CHECKOUT", "envVar: " + std::string(1 << 20, 'A')},
           {"  phases:", "  delivery: {file: {mountPath: /" + std::string(1 << 20, 'a') + "}}\n  phases:"},
           {"name: quick", "name: " + std::string(1 << 20, 'q')}}) {
    std::string text = quick();
    text.replace(text.find(from), from.size(), to);
    EXPECT_EQ(run({"lint", "-"}, text), 1) << from;
    const bool refusedByLength = out.str().find("Too long") != std::string::npos ||
                                 out.str().find("must be no more than 63 characters, got 1048576") != std::string::npos;
    EXPECT_TRUE(refusedByLength) << from << ": " << out.str().substr(0, 300);
    EXPECT_EQ(run({"plan", "-"}, text), 1) << from;
  }
}

TEST_F(HostileInput, APatternCheckDoesNotBacktrackExponentially) {
  // The black-box fuzzer's ReDoS: 30 characters and a '!' against the CRD's old mountPath pattern
  // '^/([A-Za-z0-9._-]+/?)+$' kept lint busy past its 10 s limit (2^30 ways to split the path).
  std::string text = quick();
  text.replace(text.find("  phases:"), 9, "  delivery: {file: {mountPath: /" + std::string(30, 'a') + "!}}\n  phases:");
  EXPECT_EQ(run({"lint", "-"}, text), 1);
  EXPECT_NE(out.str().find("spec.delivery.file.mountPath: Invalid value: \"/" + std::string(30, 'a') + "!\""), std::string::npos)
      << out.str();
}

TEST_F(HostileInput, AMalformedCrdGivenWithCrdIsRefusedNamingTheKeyword) {
  const auto d = tempDir();
  std::string crd = slurp(sourcePath("crds/featurerollouts.rollouts.featureflags.dev.yaml"));
  const std::string from = "maxLength: 200";
  ASSERT_NE(crd.find(from), std::string::npos);
  crd.replace(crd.find(from), from.size(), "maxLength: [200]");
  std::ofstream(d / "crd.yaml") << crd;
  EXPECT_EQ(run({"lint", "--crd", (d / "crd.yaml").string(), "-"}, quick()), 2);
  EXPECT_NE(err.str().find("is malformed: openAPIV3Schema.properties.spec.properties.delivery.properties.file.properties."
                           "mountPath.maxLength: must be a non-negative integer"),
            std::string::npos)
      << err.str();
  std::ofstream(d / "list.yaml") << "kind: CustomResourceDefinition\nspec: [versions]\n";
  EXPECT_EQ(run({"lint", "--crd", (d / "list.yaml").string(), "-"}, quick()), 2);
  EXPECT_NE(err.str().find("the CRD has no spec.versions list"), std::string::npos) << err.str();
}

TEST_F(HostileInput, KeysBecomeStringsAndMergeKeysMergeAsInKubectl) {
  auto docs = YamlLoader::load("yes: 1\n3: b\n0x10: c\nbase: &b {x: 1, z: 2}\nm:\n  <<: *b\n  z: 3\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  EXPECT_EQ(docs->front().value, json::parse(R"({"true":1,"3":"b","16":"c","base":{"x":1,"z":2},"m":{"x":1,"z":3}})"));
  EXPECT_TRUE(docs->front().problems.empty());
  auto complex = YamlLoader::load("? [a]\n: b\n~: c\nd: 1\n");
  ASSERT_TRUE(complex.ok()) << complex.error().message;
  ASSERT_EQ(complex->front().problems.size(), 2u);
  EXPECT_NE(complex->front().problems[0].message.find("a mapping or list used as a key at line 1"), std::string::npos);
  EXPECT_NE(complex->front().problems[1].message.find("a null key at line 3"), std::string::npos);
  EXPECT_EQ(complex->front().value, json::parse(R"({"d":1})"));
}

}  // namespace
}  // namespace fro::plugin
