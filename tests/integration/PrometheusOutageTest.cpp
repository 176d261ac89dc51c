// Prometheus stopped mid-step: the rollout holds and says why, and continues on its own when
// Prometheus is back. Stops a shared component, so it runs alone (RUN_SERIAL).
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/integration/GatedFixture.h"

namespace fro {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

class PrometheusOutage : public testing::GatedFixture {
 protected:
  void TearDown() override {
    cluster("up");  // whatever happened, leave Prometheus running
    GatedFixture::TearDown();
  }
  static void cluster(const std::string& args) {
    std::string cmd = "bash '" + std::string(FRO_SOURCE_DIR) + "/hack/cluster.sh' " + args + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
};

TEST_F(PrometheusOutage, HoldsWhilePrometheusIsDownAndResumesWhenItIsBack) {
  createDeployment("web");
  startService("checkout-flags");
  startController();
  json spec = {{"targets", {{{"kind", "Deployment"}, {"name", "web"}}}},
               {"flags", {{{"name", "feature-a"}, {"envVar", "FEATURE_A"}}}},
               {"prometheus", {{"timeout", "1s"}}},
               {"analysis", {{"interval", "1s"}, {"maxConsecutiveErrors", 1000}, {"gates", gatesFor()}}},
               {"phases", {{{"name", "one"}, {"enable", {"feature-a"}}, {"gates", {"error-rate"}},
                            {"steps", {{{"percent", 10}, {"pause", "3s"}}, {{"percent", 100}}}}}}}};
  createRollout(spec);
  waitFor("checkout", [&](const json& o) { return o.contains("status") && o["status"].contains("stepStartedAt"); }, 60s,
          "step 0 active");
  cluster("stop prometheus");
  json fr = waitFor("checkout", [&](const json& o) { return condition(o, "GatesPassing", "reason") == "GateError"; }, 60s,
                    "GateError while Prometheus is down");
  EXPECT_EQ(fr["status"]["step"], 0);
  std::string msg = fr.value("/status/gates/0/message"_json_pointer, std::string());
  EXPECT_FALSE(msg.empty());
  std::cout << "gate message while Prometheus is down: " << msg << "\n";
  std::this_thread::sleep_for(4s);  // longer than the pause: an error never advances
  auto held = client->get(kube::Resource::featureRollouts(), ns, "checkout");
  ASSERT_TRUE(held.ok());
  EXPECT_EQ((*held)["status"]["step"], 0);
  EXPECT_EQ((*held)["status"]["state"], "Holding");
  cluster("up");
  fr = waitFor("checkout", [&](const json& o) { return state(o) == "Succeeded"; }, 120s, "Succeeded after Prometheus is back");
  EXPECT_EQ(state(fr), "Succeeded");
}

}  // namespace
}  // namespace fro
