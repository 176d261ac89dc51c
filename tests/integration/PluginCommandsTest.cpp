// Every imperative command of kubectl-featurerollout against the real API server with the
// controller running: the plugin (a child process, as a user runs it) sends its annotation, the
// operator acts, and the test asserts the state and the Event that follow.
#include <gtest/gtest.h>

#include "tests/integration/RolloutFixture.h"
#include "tests/support/ChildProcess.h"

namespace fro {
namespace {

using json = nlohmann::json;
using kube::Resource;
using namespace std::chrono_literals;

class PluginCommands : public testing::RolloutFixture {
 protected:
  // Runs `kubectl-featurerollout ARGS -n <ns>`; returns exit code and output.
  std::pair<int, std::string> plugin(std::vector<std::string> args) {
    std::vector<std::string> argv{FRO_PLUGIN_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const std::string& a : std::vector<std::string>{"-n", ns, "--kubeconfig", env("KUBECONFIG")}) argv.push_back(a);
    std::string log = std::string(::testing::TempDir()) + "/plugin-" + ns + ".log";
    testing::ChildProcess p(argv, log);
    auto code = p.waitExit(60s);
    return {code.value_or(-1), p.log()};
  }
  json get() {
    auto r = client->get(Resource::featureRollouts(), ns, "checkout");
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : json();
  }
  // The newest Event with that reason; polls a little, since Events follow the status write.
  std::string lastEventMessage(const std::string& reason) {
    kube::ListOptions lo;
    lo.fieldSelector = "involvedObject.name=checkout,reason=" + reason;
    for (int i = 0; i < 50; ++i) {
      auto l = client->list(Resource::coreEvents(), ns, lo);
      if (l.ok() && !(*l)["items"].empty()) return (*l)["items"].back().value("message", "");
      std::this_thread::sleep_for(100ms);
    }
    return "";
  }
};

TEST_F(PluginCommands, PauseResumePromoteAbortRetryAreEachActedOnAndAcknowledged) {
  createDeployment("web");
  startController();
  json spec = json::parse(R"({
    "targets": [{"kind": "Deployment", "name": "web"}],
    "flags": [{"name": "a", "envVar": "A"}, {"name": "b", "envVar": "B", "default": true}],
    "phases": [
      {"name": "one", "enable": ["a"], "steps": [{"percent": 10, "pause": "1h"}, {"percent": 50, "pause": "1h"}, {"percent": 100, "pause": "1h"}]},
      {"name": "two", "enable": [], "disable": ["b"], "steps": [{"percent": 100, "pause": "1h"}]}]})");
  createRollout(spec);
  waitFor("checkout", [](const json& o) { return o.contains("status") && o["status"].contains("stepStartedAt"); }, 60s,
          "step 0 active");

  // pause: waits for state Paused.
  auto [pc, pout] = plugin({"pause", "checkout"});
  EXPECT_EQ(pc, 0) << pout;
  EXPECT_EQ(get()["status"]["state"], "Paused");
  EXPECT_NE(lastEventMessage("Paused").find("paused by annotation"), std::string::npos);

  // resume: acknowledged, Progressing again.
  auto [rc, rout] = plugin({"resume", "checkout"});
  EXPECT_EQ(rc, 0) << rout;
  json fr = get();
  EXPECT_EQ(fr["status"]["state"], "Progressing");
  EXPECT_EQ(fr["status"]["lastCommand"].get<std::string>().rfind("resume ", 0), 0u);
  EXPECT_NE(lastEventMessage("CommandResume").find("(request " + fr["status"]["lastCommand"].get<std::string>() + ")"),
            std::string::npos);

  // promote: skips the hour-long pause of step 0.
  auto [mc, mout] = plugin({"promote", "checkout"});
  EXPECT_EQ(mc, 0) << mout;
  EXPECT_EQ(get()["status"]["step"], 1);
  EXPECT_NE(mout.find("acknowledged"), std::string::npos) << mout;

  // promote --full: finishes phase one now; phase two starts.
  auto [fc, fout] = plugin({"promote", "--full", "checkout"});
  EXPECT_EQ(fc, 0) << fout;
  fr = get();
  EXPECT_EQ(fr["status"]["phase"], "two");
  EXPECT_EQ(fr["status"]["phases"][0]["state"], "Succeeded");

  // abort: every flag back to its default, RolledBack with reason Aborted.
  auto [ac, aout] = plugin({"abort", "checkout"});
  EXPECT_EQ(ac, 0) << aout;
  fr = get();
  EXPECT_EQ(fr["status"]["state"], "RolledBack");
  EXPECT_EQ(fr["status"]["rollback"]["reason"], "Aborted");
  std::map<std::string, int> pct;
  for (auto& f : fr["status"]["flags"]) pct[f["name"]] = f["percent"];
  EXPECT_EQ(pct["a"], 0);
  EXPECT_EQ(pct["b"], 100);
  EXPECT_FALSE(lastEventMessage("Aborted").empty());

  // resume on a rolled-back rollout is ignored, like promote: exit 1 and the word "ignored".
  auto [xc, xout] = plugin({"resume", "checkout"});
  EXPECT_EQ(xc, 1) << xout;
  EXPECT_NE(xout.find("ignored"), std::string::npos) << xout;

  // retry after abort (issue 11 defect 2): every flag is at its default again, so the rollout walks
  // again from the first phase, step by step; phase one's flag does not jump from 0% to 100%. The
  // plugin says what it will turn on before it acts.
  auto [tc, tout] = plugin({"retry", "checkout"});
  EXPECT_EQ(tc, 0) << tout;
  EXPECT_NE(tout.find("retry restarts phase one at 10%"), std::string::npos) << tout;
  fr = waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Progressing"; },
               30s, "Progressing after retry");
  EXPECT_EQ(fr["status"]["phase"], "one");
  EXPECT_EQ(fr["status"]["step"], 0);
  pct.clear();
  for (auto& f : fr["status"]["flags"]) pct[f["name"]] = f["percent"];
  EXPECT_EQ(pct["a"], 10);
  EXPECT_EQ(pct["b"], 100) << "phase two's change waits for phase two";

  // A command that cannot apply is answered, and the plugin says so with a non-zero exit.
  auto [ic, iout] = plugin({"retry", "checkout"});
  EXPECT_EQ(ic, 1) << iout;
  EXPECT_NE(iout.find("ignored"), std::string::npos) << iout;
  // The spec was never touched: a GitOps tool sees no drift.
  EXPECT_EQ(get()["metadata"]["generation"], 1);
}

// status --watch re-renders when the rollout changes, until Ctrl-C.
TEST_F(PluginCommands, StatusWatchRedrawsWhenTheRolloutChanges) {
  createDeployment("web");
  startController();
  json spec = json::parse(testing::kTwoPhaseSpec);
  spec["paused"] = true;
  createRollout(spec);
  waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Paused"; }, 30s,
          "Paused");
  std::string log = std::string(::testing::TempDir()) + "/plugin-watch-" + ns + ".log";
  testing::ChildProcess watcher({FRO_PLUGIN_BIN, "status", "checkout", "--watch", "-n", ns, "--kubeconfig", env("KUBECONFIG")},
                                log);
  auto eventually = [&](const std::function<bool(const std::string&)>& pred) {
    for (int i = 0; i < 100; ++i) {
      if (pred(watcher.log())) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  ASSERT_TRUE(eventually([](const std::string& out) { return out.find("Paused") != std::string::npos; })) << watcher.log();
  // Resume through the spec (as a GitOps commit would): the open view follows to Succeeded.
  ASSERT_TRUE(client->patch(Resource::featureRollouts(), ns, "checkout", kube::PatchType::Merge, {{"spec", {{"paused", false}}}}).ok());
  EXPECT_TRUE(eventually([](const std::string& out) {
    auto last = out.rfind("--- ");
    return last != std::string::npos && out.find("Succeeded", last) != std::string::npos;
  })) << watcher.log();
  EXPECT_TRUE(watcher.running()) << "--watch keeps running until interrupted";
  watcher.signal(SIGINT);
  EXPECT_TRUE(watcher.waitExit(5s).has_value()) << "Ctrl-C ends it";
}

}  // namespace
}  // namespace fro
