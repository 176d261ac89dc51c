// kubectl-featurerollout against the real API server (label "integration"): the imperative
// commands land as annotations on a real FeatureRollout, NotFound is reported, list and status
// read it back. The operator is not needed (--no-wait): its acknowledgement is tested end to end
// with the operator.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <thread>

#include "plugin/Cli.h"
#include "plugin/YamlLoader.h"
#include "tests/integration/IntegrationEnv.h"
#include "tests/plugin/Golden.h"

namespace fro::plugin {
namespace {

using nlohmann::json;

class PluginIntegrationTest : public fro::testing::IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (HasFatalFailure()) return;
    applyCrd();
    if (HasFatalFailure()) return;
    ns = createNamespace("plugin-it");
    auto docs = YamlLoader::load(fro::testing::readFile(fro::testing::sourcePath("crds/samples/quick.yaml")));
    ASSERT_TRUE(docs.ok());
    json obj = docs->front().value;
    obj["metadata"]["namespace"] = ns;
    auto created = client->create(kube::Resource::featureRollouts(), ns, obj);
    ASSERT_TRUE(created.ok()) << created.error().message;
  }

  // The CRD as in the tree, with our own client (server-side apply), then Established.
  void applyCrd() {
    auto docs = YamlLoader::load(fro::testing::readFile(fro::testing::sourcePath("crds/featurerollouts.rollouts.featureflags.dev.yaml")));
    ASSERT_TRUE(docs.ok());
    const kube::Resource crds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};
    auto applied = client->apply(crds, docs->front().value, "fro-plugin-it", true);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    for (int i = 0; i < 100; ++i) {
      auto crd = client->get(crds, "", "featurerollouts.rollouts.featureflags.dev");
      ASSERT_TRUE(crd.ok()) << crd.error().message;
      for (const auto& c : crd->value("/status/conditions"_json_pointer, json::array()))
        if (c.value("type", "") == "Established" && c.value("status", "") == "True") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "CRD not Established within 10s";
  }

  int run(std::vector<std::string> args) {
    args.insert(args.begin(), "kubectl-featurerollout");
    args.insert(args.end(), {"--kubeconfig", env("KUBECONFIG").substr(0, env("KUBECONFIG").find(':'))});
    out.str("");
    err.str("");
    Cli::Env e = Cli::processEnv();
    e.out = &out;
    e.err = &err;
    return Cli::run(args, e);
  }

  json annotations() {
    auto obj = client->get(kube::Resource::featureRollouts(), ns, "quick");
    EXPECT_TRUE(obj.ok()) << obj.error().message;
    return obj.ok() ? obj->value("/metadata/annotations"_json_pointer, json::object()) : json();
  }

  std::string ns;
  std::ostringstream out, err;
};

TEST_F(PluginIntegrationTest, CommandsLandAsAnnotations) {
  ASSERT_EQ(run({"pause", "quick", "-n", ns, "--no-wait"}), 0) << err.str();
  EXPECT_EQ(annotations().value("rollouts.featureflags.dev/paused", ""), "true");

  ASSERT_EQ(run({"resume", "quick", "-n", ns, "--no-wait"}), 0) << err.str();
  json a = annotations();
  EXPECT_FALSE(a.contains("rollouts.featureflags.dev/paused")) << a.dump();
  const std::string resume = a.value("rollouts.featureflags.dev/command", "");
  EXPECT_EQ(resume.rfind("resume ", 0), 0u) << resume;
  // "<verb> <RFC 3339 time with milliseconds>-<4 random characters>"
  EXPECT_TRUE(std::regex_match(resume, std::regex(R"(resume \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z-[a-z0-9]{4})"))) << resume;
  EXPECT_NE(out.str().find("sent \"" + resume + "\""), std::string::npos) << out.str();

  for (auto [args, verb] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"promote", "quick"}, "promote "},
           {{"promote", "quick", "--full"}, "promote-full "},
           {{"abort", "quick"}, "abort "},
           {{"retry", "quick"}, "retry "}}) {
    args.insert(args.end(), {"-n", ns, "--no-wait"});
    ASSERT_EQ(run(args), 0) << err.str();
    std::string cmd = annotations().value("rollouts.featureflags.dev/command", "");
    EXPECT_EQ(cmd.rfind(verb, 0), 0u) << cmd;
    EXPECT_NE(cmd, resume) << "every request has its own id";
  }
}

TEST_F(PluginIntegrationTest, TheSpecIsNeverTouched) {
  auto before = client->get(kube::Resource::featureRollouts(), ns, "quick");
  ASSERT_TRUE(before.ok());
  for (const char* verb : {"pause", "resume", "promote", "abort", "retry"}) ASSERT_EQ(run({verb, "quick", "-n", ns, "--no-wait"}), 0);
  auto after = client->get(kube::Resource::featureRollouts(), ns, "quick");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)["spec"], (*before)["spec"]);
  EXPECT_EQ((*after)["metadata"]["generation"], (*before)["metadata"]["generation"]);
}

TEST_F(PluginIntegrationTest, NotFoundOnTheRealServer) {
  EXPECT_EQ(run({"promote", "does-not-exist", "-n", ns, "--no-wait"}), 1);
  EXPECT_EQ(err.str(), "Error: featurerollout \"does-not-exist\" not found in namespace \"" + ns +
                           "\" (kubectl featurerollout list -n " + ns + " shows the rollouts there)\n");
}

TEST_F(PluginIntegrationTest, ListAndStatusReadTheResource) {
  ASSERT_EQ(run({"list", "-n", ns}), 0) << err.str();
  EXPECT_NE(out.str().find("\nquick "), std::string::npos) << out.str();
  ASSERT_EQ(run({"status", "quick", "-n", ns}), 0) << err.str();
  EXPECT_EQ(out.str().rfind("FeatureRollout " + ns + "/quick\n", 0), 0u) << out.str();
}

}  // namespace
}  // namespace fro::plugin
