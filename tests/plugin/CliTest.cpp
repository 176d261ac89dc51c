// The command line in-process: help pages, usage errors and exit codes, lint/plan through the CLI,
// and the imperative commands against an in-process fake API server (exact PATCH path and body,
// waiting for the acknowledgement, NotFound, timeout).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "plugin/Cli.h"
#include "plugin/HelpText.h"
#include "plugin/YamlLoader.h"
#include "tests/plugin/CliRunner.h"
#include "tests/plugin/Golden.h"
#include "tests/support/FakeTransport.h"

namespace fro::plugin {
namespace {

using fro::testing::sourcePath;
using nlohmann::json;

constexpr const char* kPath = "/apis/rollouts.featureflags.dev/v1alpha1/namespaces/shop/featurerollouts/unified-workflow";
constexpr const char* kId = "2026-03-03T22:00:00.000Z-t3st";

std::string header(const http::HttpRequest& r, const std::string& name) {
  for (auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

json rollout(const std::string& state, const std::string& lastCommand = "", const std::string& rv = "100") {
  json o = {{"apiVersion", "rollouts.featureflags.dev/v1alpha1"},
            {"kind", "FeatureRollout"},
            {"metadata", {{"name", "unified-workflow"}, {"namespace", "shop"}, {"resourceVersion", rv}}},
            {"spec", {{"phases", json::array({{{"name", "core"}, {"steps", json::array({{{"percent", 10}}, {{"percent", 50}}})}}})}}},
            {"status", {{"state", state}, {"phase", "core"}, {"phaseIndex", 0}, {"step", 0}, {"percent", 10}}}};
  if (!lastCommand.empty()) o["status"]["lastCommand"] = lastCommand;
  return o;
}

std::string event(const std::string& type, const json& obj) { return json{{"type", type}, {"object", obj}}.dump() + "\n"; }

class CliTest : public ::testing::Test {
 protected:
  CliTest() {
    cli.commandId = kId;
    cli.connect = [this](const ClusterAccess& a) -> Result<Connection> {
      access = a;
      kube::KubeClient::Options o;
      o.server = "https://127.0.0.1:6443";
      o.retry.maxRetries = 0;
      return Connection{std::make_shared<kube::KubeClient>(transport, o, std::make_shared<SystemClock>(),
                                                           [](std::chrono::nanoseconds) {}),
                        a.ns.empty() ? "default" : a.ns};
    };
  }
  int run(std::vector<std::string> args, const std::string& stdinText = "") { return cli.run(std::move(args), stdinText); }
  // Only the requests after the existence check (GET).
  const http::HttpRequest& patchRequest() { return transport->requests.at(1); }

  std::shared_ptr<fro::testing::FakeTransport> transport = std::make_shared<fro::testing::FakeTransport>();
  testing::CliRunner cli;
  std::istringstream& in = cli.in;
  std::ostringstream &out = cli.out, &err = cli.err;
  ClusterAccess access;
};

// --- imperative commands: one merge patch on metadata.annotations -----------------------------------

TEST_F(CliTest, PromoteSendsTheCommandAnnotationAndWaitsForTheAcknowledgement) {
  transport->push(200, rollout("Progressing").dump());
  transport->push(200, rollout("Progressing", "", "101").dump());
  transport->pushStream(200, {event("MODIFIED", rollout("Progressing", "", "102")),
                              event("MODIFIED", rollout("Progressing", std::string("promote ") + kId, "103"))});
  EXPECT_EQ(run({"promote", "unified-workflow", "-n", "shop"}), 0) << err.str();
  // GET, PATCH, watch, then the Events of the rollout (here the API server refuses them: best effort).
  ASSERT_EQ(transport->requests.size(), 4u);
  EXPECT_EQ(transport->requests[0].method, "GET");
  EXPECT_EQ(transport->requests[0].url, std::string("https://127.0.0.1:6443") + kPath);
  EXPECT_EQ(patchRequest().method, "PATCH");
  EXPECT_EQ(patchRequest().url, std::string("https://127.0.0.1:6443") + kPath);
  EXPECT_EQ(header(patchRequest(), "Content-Type"), "application/merge-patch+json");
  EXPECT_EQ(patchRequest().body,
            R"({"metadata":{"annotations":{"rollouts.featureflags.dev/command":"promote 2026-03-03T22:00:00.000Z-t3st"}}})");
  // The watch starts from the patched object's resourceVersion, for this object only.
  const std::string watchUrl = transport->requests[2].url;
  EXPECT_NE(watchUrl.find("/namespaces/shop/featurerollouts?"), std::string::npos) << watchUrl;
  EXPECT_NE(watchUrl.find("watch=true"), std::string::npos) << watchUrl;
  EXPECT_NE(watchUrl.find("resourceVersion=101"), std::string::npos) << watchUrl;
  EXPECT_NE(watchUrl.find("fieldSelector=metadata.name%3Dunified-workflow"), std::string::npos) << watchUrl;
  EXPECT_EQ(out.str(),
            "featurerollout shop/unified-workflow: sent \"promote 2026-03-03T22:00:00.000Z-t3st\"\n"
            "acknowledged by the operator: state Progressing, phase core (1/1), step 1/2 at 10%\n");
}

TEST_F(CliTest, ACommandTheOperatorIgnoredFailsWithItsEvent) {
  json patched = rollout("Succeeded", "", "101");
  patched["metadata"]["managedFields"] = json::array(
      {{{"manager", "kubectl-featurerollout"}, {"operation", "Update"}, {"time", "2026-03-03T22:00:05Z"}}});
  transport->push(200, rollout("Succeeded").dump());
  transport->push(200, patched.dump());
  transport->pushStream(200, {event("MODIFIED", rollout("Succeeded", std::string("promote ") + kId, "102"))});
  json events = {{"items", json::array({
      // An older one about an earlier command, one about another verb in the same second, then ours.
      {{"reason", "CommandIgnored"}, {"message", "promote ignored: the rollout is Paused"}, {"lastTimestamp", "2026-03-03T21:00:00Z"}},
      {{"reason", "CommandIgnored"}, {"message", "retry ignored: the rollout is Succeeded"}, {"lastTimestamp", "2026-03-03T22:00:05Z"}},
      {{"reason", "RolloutSucceeded"}, {"message", "all 1 phases completed"}, {"lastTimestamp", "2026-03-03T22:00:06Z"}},
      {{"reason", "CommandIgnored"}, {"message", "promote ignored: the rollout is Succeeded"}, {"lastTimestamp", "2026-03-03T22:00:06Z"}}})}};
  transport->push(200, events.dump());
  EXPECT_EQ(run({"promote", "unified-workflow", "-n", "shop"}), 1);
  EXPECT_EQ(transport->requests.at(3).url.find("/api/v1/namespaces/shop/events?fieldSelector=involvedObject.kind%3DFeatureRollout%2CinvolvedObject.name%3Dunified-workflow"),
            std::string("https://127.0.0.1:6443").size())
      << transport->requests.at(3).url;
  EXPECT_NE(out.str().find("  event CommandIgnored: promote ignored: the rollout is Succeeded\n"), std::string::npos) << out.str();
  EXPECT_EQ(err.str(), "Error: the operator ignored \"promote 2026-03-03T22:00:00.000Z-t3st\": promote ignored: the rollout "
                       "is Succeeded\n");
}

// The status version that acknowledges a command may still carry the message of the step before
// (the operator writes the message of the situation it found): the plugin prints the operator's
// Event for exactly this request instead.
TEST_F(CliTest, TheAcknowledgementPrintsTheEventOfTheRequestNotTheStatusMessage) {
  json acked = rollout("Progressing", std::string("promote ") + kId, "103");
  acked["status"]["step"] = 1;
  acked["status"]["percent"] = 50;
  acked["status"]["message"] = "phase core step 1/2 (10%): pausing, 25s left";
  transport->push(200, rollout("Progressing").dump());
  transport->push(200, rollout("Progressing", "", "101").dump());
  transport->pushStream(200, {event("MODIFIED", acked)});
  json events = {{"items", json::array({
      {{"reason", "CommandPromote"}, {"message", "promote: skipping the pause and gates of phase core step 1/2 (10%) (request promote 2026-03-03T21:00:00.000Z-old1)"},
       {"lastTimestamp", "2026-03-03T21:00:00Z"}},
      {{"reason", "CommandPromote"}, {"message", std::string("promote: skipping the pause and gates of phase core step 1/2 (10%) (request promote ") + kId + ")"},
       {"lastTimestamp", "2026-03-03T22:00:06Z"}},
      {{"reason", "StepAdvanced"}, {"message", "phase core step 2/2 (50%) started (was 10%) (promoted): core on for 50% of users"},
       {"lastTimestamp", "2026-03-03T22:00:06Z"}}})}};
  transport->push(200, events.dump());
  EXPECT_EQ(run({"promote", "unified-workflow", "-n", "shop"}), 0) << err.str();
  EXPECT_EQ(out.str(),
            "featurerollout shop/unified-workflow: sent \"promote 2026-03-03T22:00:00.000Z-t3st\"\n"
            "acknowledged by the operator: state Progressing, phase core (1/1), step 2/2 at 50%\n"
            "  event CommandPromote: promote: skipping the pause and gates of phase core step 1/2 (10%) (request promote "
            "2026-03-03T22:00:00.000Z-t3st)\n");
  EXPECT_EQ(out.str().find("pausing, 25s left"), std::string::npos) << "the stale status message is not the answer";
}

// resume of a rolled-back rollout: once the operator answers it with CommandIgnored, the plugin
// says "ignored" and exits 1, like promote of a finished rollout (found by request id, whenever
// the Event was recorded: no managedFields time is needed).
TEST_F(CliTest, ResumeThatTheOperatorIgnoresExitsOneAndSaysIgnored) {
  transport->push(200, rollout("RolledBack").dump());
  transport->push(200, rollout("RolledBack", "", "101").dump());
  transport->pushStream(200, {event("MODIFIED", rollout("RolledBack", std::string("resume ") + kId, "102"))});
  json events = {{"items", json::array({
      {{"reason", "CommandResume"}, {"message", "resume acknowledged (request resume 2026-03-03T21:00:00.000Z-old1)"},
       {"lastTimestamp", "2026-03-03T21:00:00Z"}},
      {{"reason", "CommandIgnored"},
       {"message", std::string("resume ignored: the rollout is RolledBack; retry restarts it (request resume ") + kId + ")"},
       {"lastTimestamp", "2026-03-03T22:00:06Z"}}})}};
  transport->push(200, events.dump());
  EXPECT_EQ(run({"resume", "unified-workflow", "-n", "shop"}), 1);
  EXPECT_EQ(err.str(), "Error: the operator ignored \"resume 2026-03-03T22:00:00.000Z-t3st\": resume ignored: the rollout is "
                       "RolledBack; retry restarts it (request resume 2026-03-03T22:00:00.000Z-t3st)\n");
}

// --- what promote and retry turn on, printed before the patch --------------------------------------

// The shared plan (crds/samples/unified-workflow.yaml) at a given position.
json sharedPlanAt(const std::string& state, const std::string& phase, int phaseIndex, int step,
                  const std::vector<std::pair<std::string, int>>& flagPercents) {
  auto docs = YamlLoader::load(fro::testing::readFile(sourcePath("crds/samples/unified-workflow.yaml")));
  EXPECT_TRUE(docs.ok());
  json o = docs->front().value;
  o["metadata"]["resourceVersion"] = "100";
  json phases = json::array();
  for (int i = 0; i < phaseIndex; ++i) phases.push_back({{"name", o["spec"]["phases"][i]["name"]}, {"state", "Succeeded"}});
  json flags = json::array();
  for (const auto& [n, p] : flagPercents) flags.push_back({{"name", n}, {"percent", p}, {"enabled", p == 100}});
  o["status"] = {{"state", state}, {"phase", phase}, {"phaseIndex", phaseIndex}, {"step", step}, {"phases", phases}, {"flags", flags}};
  return o;
}

TEST_F(CliTest, PromoteAndRetryPrintWhatTheyTurnOnBeforeTheyAct) {
  struct Case {
    std::vector<std::string> args;
    json obj;
    std::string preview;  // the line before "sent ..."; "" = none
  } cases[] = {
      {{"promote", "unified-workflow"}, sharedPlanAt("Progressing", "core", 1, 0, {}),
       "promote moves phase core from step 1/3 (10%) to step 2/3 (50%): unified_workflow_write 10% -> 50%, "
       "unified_workflow_search 10% -> 50%, unified_workflow_frontend 10% -> 50%"},
      {{"promote", "unified-workflow", "--full"}, sharedPlanAt("Holding", "core", 1, 0, {}),
       "promote --full completes phase core and starts phase advanced at 5%: unified_workflow_write 10% -> 100%, "
       "unified_workflow_search 10% -> 100%, unified_workflow_frontend 10% -> 100%, unified_workflow_ai_generation 0% -> 5%, "
       "unified_workflow_analytics 0% -> 5%"},
      // promote of a phase's last step completes the phase.
      {{"promote", "unified-workflow"}, sharedPlanAt("Progressing", "core", 1, 2, {}),
       "promote completes phase core and starts phase advanced at 5%: unified_workflow_ai_generation 0% -> 5%, "
       "unified_workflow_analytics 0% -> 5%"},
      {{"promote", "unified-workflow", "--full"}, sharedPlanAt("Progressing", "legacy-deprecation", 4, 0, {}),
       "promote --full completes phase legacy-deprecation, the last one, and the rollout succeeds: no flag changes"},
      // Paused: the operator ignores promote until resume (and says so); nothing to preview.
      {{"promote", "unified-workflow"}, sharedPlanAt("Paused", "core", 1, 0, {}), ""},
      // After an abort every flag is at its default: retry walks again from the first phase.
      {{"retry", "unified-workflow"}, sharedPlanAt("RolledBack", "core", 1, 1, {}),
       "retry restarts phase infrastructure at 100%: unified_workflow_schema 0% -> 100%, unified_workflow_read 0% -> 100%; "
       "gates of phase infrastructure are checked at today's values first"},
      // After core rolled back at 50% (onFailure: write off, search and frontend keep 50%).
      {{"retry", "unified-workflow"},
       sharedPlanAt("RolledBack", "core", 1, 1,
                    {{"unified_workflow_schema", 100}, {"unified_workflow_read", 100}, {"unified_workflow_write", 0},
                     {"unified_workflow_search", 50}, {"unified_workflow_frontend", 50}}),
       "retry restarts phase core at 10%: unified_workflow_write 0% -> 10%, unified_workflow_search 50% -> 10%, "
       "unified_workflow_frontend 50% -> 10%; gates of phase core are checked at today's values first"},
      {{"retry", "unified-workflow", "--force"}, sharedPlanAt("RolledBack", "core", 1, 1, {}),
       "retry --force restarts phase infrastructure at 100%: unified_workflow_schema 0% -> 100%, unified_workflow_read 0% -> "
       "100%; --force: the gates of phase infrastructure are not checked first"},
      // retry of a rollout that is not rolled back is ignored by the operator: nothing to preview.
      {{"retry", "unified-workflow"}, sharedPlanAt("Progressing", "core", 1, 0, {}), ""},
  };
  for (auto& c : cases) {
    transport = std::make_shared<fro::testing::FakeTransport>();
    transport->push(200, c.obj.dump());
    transport->push(200, c.obj.dump());
    auto args = c.args;
    args.insert(args.end(), {"-n", "shop", "--no-wait"});
    EXPECT_EQ(run(args), 0) << err.str();
    const std::string verb = c.args[0] == "retry" ? (c.args.size() > 2 ? "retry-force" : "retry")
                             : c.args.size() > 2  ? "promote-full"
                                                  : "promote";
    const std::string sent = "featurerollout shop/unified-workflow: sent \"" + verb + " " + kId + "\"\n";
    EXPECT_EQ(out.str().substr(0, out.str().find("not waiting")), (c.preview.empty() ? "" : c.preview + "\n") + sent)
        << ::testing::PrintToString(c.args);
    EXPECT_EQ(patchRequest().body, R"({"metadata":{"annotations":{"rollouts.featureflags.dev/command":")" + verb + " " + kId + "\"}}}");
  }
}

TEST_F(CliTest, EachVerbPatchesExactlyItsAnnotations) {
  struct Case {
    std::vector<std::string> args;
    std::string body;
  } cases[] = {
      {{"promote", "unified-workflow", "--full"},
       R"({"metadata":{"annotations":{"rollouts.featureflags.dev/command":"promote-full 2026-03-03T22:00:00.000Z-t3st"}}})"},
      {{"abort", "unified-workflow"},
       R"({"metadata":{"annotations":{"rollouts.featureflags.dev/command":"abort 2026-03-03T22:00:00.000Z-t3st"}}})"},
      {{"retry", "unified-workflow"},
       R"({"metadata":{"annotations":{"rollouts.featureflags.dev/command":"retry 2026-03-03T22:00:00.000Z-t3st"}}})"},
      {{"retry", "unified-workflow", "--force"},
       R"({"metadata":{"annotations":{"rollouts.featureflags.dev/command":"retry-force 2026-03-03T22:00:00.000Z-t3st"}}})"},
      // resume removes the pause annotation (null) and sends the command in the same patch.
      {{"resume", "unified-workflow"},
       R"({"metadata":{"annotations":{"rollouts.featureflags.dev/command":"resume 2026-03-03T22:00:00.000Z-t3st","rollouts.featureflags.dev/paused":null}}})"},
      {{"pause", "unified-workflow"}, R"({"metadata":{"annotations":{"rollouts.featureflags.dev/paused":"true"}}})"},
  };
  for (auto& c : cases) {
    transport = std::make_shared<fro::testing::FakeTransport>();
    transport->push(200, rollout("Progressing").dump());
    transport->push(200, rollout("Progressing").dump());
    auto args = c.args;
    args.insert(args.end(), {"--namespace", "shop", "--no-wait"});
    EXPECT_EQ(run(args), 0) << c.args[0] << ": " << err.str();
    ASSERT_EQ(transport->requests.size(), 2u) << c.args[0] << ": --no-wait sends nothing after the patch";
    EXPECT_EQ(patchRequest().method, "PATCH");
    EXPECT_EQ(patchRequest().url, std::string("https://127.0.0.1:6443") + kPath);
    EXPECT_EQ(patchRequest().body, c.body) << c.args[0];
    EXPECT_NE(out.str().find("not waiting for the operator (--no-wait)"), std::string::npos) << out.str();
  }
}

TEST_F(CliTest, NotFoundIsExplainedAndNothingIsWritten) {
  transport->push(404, R"({"kind":"Status","status":"Failure","reason":"NotFound","code":404,
                          "message":"featurerollouts.rollouts.featureflags.dev \"nope\" not found"})");
  EXPECT_EQ(run({"abort", "nope", "-n", "shop"}), 1);
  EXPECT_EQ(err.str(), "Error: featurerollout \"nope\" not found in namespace \"shop\" (kubectl featurerollout list -n shop "
                       "shows the rollouts there)\n");
  EXPECT_EQ(transport->requests.size(), 1u);
}

TEST_F(CliTest, NoAcknowledgementInTimeSaysTheOperatorMayNotBeRunning) {
  transport->push(200, rollout("Progressing").dump());
  transport->push(200, rollout("Progressing", "retry earlier").dump());
  transport->fallback = [](const http::HttpRequest&) -> Result<http::HttpResponse> {
    return http::HttpResponse{200, {}, rollout("Progressing", "retry earlier").dump()};
  };
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run({"retry", "unified-workflow", "-n", "shop", "--wait", "300ms"}), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(err.str(),
            "Error: timed out after 300ms waiting for status.lastCommand \"retry 2026-03-03T22:00:00.000Z-t3st\" (it is "
            "\"retry earlier\"). The annotation is set and the operator acts on it when it next reconciles this rollout: "
            "is the operator running and watching namespace shop? Current state Progressing, phase core (1/1), step 1/2 "
            "at 10%\n");
}

TEST_F(CliTest, PauseWaitsForStatePaused) {
  transport->push(200, rollout("Progressing").dump());
  transport->push(200, rollout("Progressing").dump());
  transport->pushStream(200, {event("MODIFIED", rollout("Paused", "", "102"))});
  EXPECT_EQ(run({"pause", "unified-workflow", "-n", "shop"}), 0) << err.str();
  EXPECT_EQ(out.str(),
            "featurerollout shop/unified-workflow: annotation rollouts.featureflags.dev/paused=\"true\" set\n"
            "paused: state Paused, phase core (1/1), step 1/2 at 10%\n");
}

TEST_F(CliTest, PauseOfAFinishedRolloutDoesNotWait) {
  transport->push(200, rollout("Succeeded").dump());
  transport->push(200, rollout("Succeeded").dump());
  EXPECT_EQ(run({"pause", "unified-workflow", "-n", "shop"}), 0) << err.str();
  EXPECT_EQ(transport->requests.size(), 2u);
  EXPECT_NE(out.str().find("the rollout is Succeeded: nothing is advancing now"), std::string::npos) << out.str();
}

TEST_F(CliTest, ResumeWarnsWhenSpecPausedStillHoldsTheRollout) {
  json o = rollout("Paused");
  o["spec"]["paused"] = true;
  transport->push(200, o.dump());
  transport->push(200, o.dump());
  EXPECT_EQ(run({"resume", "unified-workflow", "-n", "shop", "--no-wait"}), 0);
  EXPECT_NE(err.str().find("Warning: spec.paused is true"), std::string::npos) << err.str();
}

TEST_F(CliTest, KubeconfigContextAndNamespaceReachTheConnection) {
  transport->push(200, rollout("Progressing").dump());
  transport->push(200, rollout("Progressing").dump());
  EXPECT_EQ(run({"abort", "unified-workflow", "--kubeconfig", "/tmp/kc", "--context", "staging", "-n", "shop", "--no-wait"}), 0);
  EXPECT_EQ(access.kubeconfig, "/tmp/kc");
  EXPECT_EQ(access.context, "staging");
  EXPECT_EQ(access.ns, "shop");
}

TEST_F(CliTest, ListAllNamespacesUsesTheClusterWidePath) {
  transport->push(200, json{{"items", json::array({rollout("Holding")})}, {"metadata", {{"resourceVersion", "5"}}}}.dump());
  EXPECT_EQ(run({"list", "-A"}), 0) << err.str();
  EXPECT_EQ(transport->requests.at(0).url.rfind("https://127.0.0.1:6443/apis/rollouts.featureflags.dev/v1alpha1/featurerollouts", 0), 0u)
      << transport->requests.at(0).url;
  EXPECT_EQ(out.str().substr(0, out.str().find('\n')),
            "NAMESPACE  NAME              PHASE  STEP  PERCENT  STATE    GATES  LAST COMMAND  AGE");
}

TEST_F(CliTest, StatusOfAMissingRollout) {
  transport->push(404, R"({"kind":"Status","reason":"NotFound","code":404,"message":"not found"})");
  EXPECT_EQ(run({"status", "ghost", "-n", "shop"}), 1);
  EXPECT_EQ(err.str(), "Error: featurerollout \"ghost\" not found in namespace \"shop\"\n");
}

// --- usage -----------------------------------------------------------------------------------------

TEST_F(CliTest, UsageErrorsExitTwoAndNameTheProblem) {
  EXPECT_EQ(run({"promote"}), 2);
  EXPECT_NE(err.str().find("NAME is required"), std::string::npos) << err.str();
  EXPECT_EQ(run({"promote", "x", "--wait", "soon"}), 2);
  EXPECT_NE(err.str().find("invalid value \"soon\" for --wait"), std::string::npos) << err.str();
  EXPECT_EQ(run({"frobnicate"}), 2);
  EXPECT_NE(err.str().find("unknown command \"frobnicate\""), std::string::npos) << err.str();
  EXPECT_EQ(run({"bucket", "--flag", "f", "--user", "u", "--percent", "101"}), 2);
  EXPECT_NE(err.str().find("invalid value \"101\" for --percent"), std::string::npos) << err.str();
  EXPECT_EQ(run({"list", "--color", "sometimes"}), 2);
  EXPECT_EQ(run({"abort", "x", "--full"}), 2) << "--full belongs to promote only";
  EXPECT_EQ(run({"promote", "x", "--force"}), 2) << "--force belongs to retry only";
  EXPECT_EQ(run({}), 2);
  EXPECT_NE(err.str().find("SYNOPSIS"), std::string::npos);
  EXPECT_TRUE(transport->requests.empty());
}

TEST_F(CliTest, EveryCommandHasAManPage) {
  EXPECT_EQ(run({"--help"}), 0);
  for (const auto& c : HelpText::commands())
    EXPECT_NE(out.str().find("    " + c.name + " "), std::string::npos) << c.name << " missing from the overview";
  for (const auto& c : HelpText::commands()) {
    EXPECT_EQ(run({c.name, "--help"}), 0) << c.name;
    const std::string page = out.str();
    for (const char* section : {"NAME\n", "SYNOPSIS\n", "DESCRIPTION\n", "OPTIONS\n"})
      EXPECT_NE(page.find(section), std::string::npos) << c.name << " lacks " << section;
    if (c.name != "version") {
      EXPECT_NE(page.find("EXAMPLES\n"), std::string::npos) << c.name;
      EXPECT_NE(page.find("EXIT STATUS\n"), std::string::npos) << c.name;
    }
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 80u) << c.name << ": " << line;
    // Every option with a value states its default (or that it is required).
    for (const auto& o : c.options) {
      if (o.flags.find("help") != std::string::npos) continue;
      EXPECT_TRUE(o.help.find("Default:") != std::string::npos || o.help.find("Required.") != std::string::npos)
          << c.name << " " << o.flags;
    }
  }
  // "help COMMAND" and "COMMAND -h" print the same page.
  run({"help", "promote"});
  std::string a = out.str();
  run({"promote", "-h"});
  EXPECT_EQ(a, out.str());
  fro::testing::expectGolden(a, "help-promote.txt");
}

// --- offline commands through the CLI ----------------------------------------------------------------

TEST_F(CliTest, LintExitStatus) {
  EXPECT_EQ(run({"lint", sourcePath("crds/samples/quick.yaml"), sourcePath("crds/samples/unified-workflow.yaml")}), 0);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(), "ok: 2 FeatureRollouts checked, no problems\n");
  EXPECT_EQ(run({"lint", sourcePath("tests/crd/invalid/41-step-percent-zero.yaml")}), 1);
  EXPECT_NE(out.str().find("41-step-percent-zero.yaml:1: spec.phases[0].steps[0].percent: Invalid value: 0"), std::string::npos)
      << out.str();
  EXPECT_EQ(run({"lint", "/nonexistent/rollout.yaml"}), 2);
  EXPECT_NE(err.str().find("cannot read /nonexistent/rollout.yaml"), std::string::npos) << err.str();
  EXPECT_EQ(run({"lint", "-"}, "apiVersion: rollouts.featureflags.dev/v1alpha1\nkind: FeatureRollout\nmetadata: {name: x}\n"), 1);
  EXPECT_EQ(out.str(), "-:1: spec: Required value (hint: The desired rollout plan.)\n");
}

// Warnings keep exit 0; one workload targeted by two rollouts of two files is an error (exit 1).
TEST_F(CliTest, LintWarningsAndTheCheckAcrossFiles) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("fro-lint-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string quick = fro::testing::readFile(sourcePath("crds/samples/quick.yaml"));
  std::string noAddress = quick;
  noAddress.erase(noAddress.find("  prometheus:\n"), noAddress.find("  analysis:") - noAddress.find("  prometheus:\n"));
  std::string other = quick;
  other.replace(other.find("name: quick"), 11, "name: other");
  std::ofstream(dir / "no-address.yaml") << noAddress;
  std::ofstream(dir / "other.yaml") << other;
  const std::string a = (dir / "no-address.yaml").string(), b = (dir / "other.yaml").string();

  EXPECT_EQ(run({"lint", a}), 0);
  EXPECT_EQ(out.str().rfind(a + ":1: warning: spec.prometheus.address: not set, but phases are gated (error-rate)", 0), 0u) << out.str();
  EXPECT_EQ(err.str(), "ok: 1 FeatureRollout checked, no problems, 1 warning\n");

  EXPECT_EQ(run({"lint", a, b}), 1);
  EXPECT_NE(out.str().find(b + ":1: spec.targets[0]: Invalid value: Deployment \"web\": FeatureRollout \"other\" targets it, and "
                           "so does FeatureRollout \"quick\" (" + a + ":1) in the same namespace (none set): one workload, one rollout"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(err.str(), "1 problem and 1 warning in 2 files\n");
  fs::remove_all(dir);
}

TEST_F(CliTest, LintAgainstAnotherCrdFile) {
  EXPECT_EQ(run({"lint", "--crd", sourcePath("crds/featurerollouts.rollouts.featureflags.dev.yaml"),
                 sourcePath("crds/samples/quick.yaml")}),
            0)
      << out.str() << err.str();
  EXPECT_EQ(run({"lint", "--crd", sourcePath("crds/samples/quick.yaml"), sourcePath("crds/samples/quick.yaml")}), 2);
  EXPECT_NE(err.str().find("no CustomResourceDefinition"), std::string::npos) << err.str();
}

TEST_F(CliTest, PlanOfAnInvalidSpecShowsTheProblems) {
  EXPECT_EQ(run({"plan", sourcePath("tests/crd/invalid/50-flag-enabled-by-two-phases.yaml")}), 1);
  EXPECT_NE(out.str().find("spec.phases[1].enable: Invalid value: \"read\": already enabled by phase \"read\""), std::string::npos)
      << out.str();
  EXPECT_NE(err.str().find("the operator would not start it"), std::string::npos);
  EXPECT_EQ(run({"plan", sourcePath("crds/samples/quick.yaml")}), 0);
  EXPECT_EQ(out.str().substr(0, out.str().find('\n')), "Plan of FeatureRollout quick");
}

TEST_F(CliTest, BucketForSeveralUsers) {
  EXPECT_EQ(run({"bucket", "--flag", "fractional-flag", "--user", "jack", "--user", "queen", "--percent", "63"}), 0);
  EXPECT_NE(out.str().find("user jack: bucket 62"), std::string::npos);
  EXPECT_NE(out.str().find("at 63%: yes"), std::string::npos);
  EXPECT_NE(out.str().find("user queen: bucket 99"), std::string::npos);
  EXPECT_NE(out.str().find("at 63%: no"), std::string::npos);
}

TEST_F(CliTest, BucketRefusesPercentsOutsideZeroToHundredNamingTheValue) {
  // -1 used to mean "not asked" and "" parsed as nothing: both printed a bucket and exited 0.
  for (const char* bad : {"-1", "", "101", "50.5", "ten", "+5"}) {
    EXPECT_EQ(run({"bucket", "--flag", "f", "--user", "u", "--percent", bad}), 2) << bad;
    EXPECT_NE(err.str().find(std::string("invalid value \"") + bad + "\" for --percent"), std::string::npos) << err.str();
    EXPECT_EQ(out.str(), "") << bad;
  }
  EXPECT_EQ(run({"bucket", "--flag", "f", "--user", "u", "--percent="}), 2);
  EXPECT_NE(err.str().find("invalid value \"\" for --percent"), std::string::npos) << err.str();
  for (const char* ok : {"0", "100", "050"}) EXPECT_EQ(run({"bucket", "--flag", "f", "--user", "u", "--percent", ok}), 0) << ok;
}

TEST_F(CliTest, BucketEmptyUserWithEqualsDoesNotSwallowTheNextOption) {
  EXPECT_EQ(run({"bucket", "--flag", "fractional-flag", "--user=", "--percent", "10"}), 0) << err.str();
  EXPECT_EQ(out.str().find("user --percent"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("user \"\": no bucket"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("at 10%: no, does not have the flag"), std::string::npos) << out.str();
  // The flag's default at 100% is on, for an empty key too.
  EXPECT_EQ(run({"bucket", "--flag=fractional-flag", "--user=", "--percent=100"}), 0) << err.str();
  EXPECT_NE(out.str().find("at 100%: yes"), std::string::npos) << out.str();
}

TEST_F(CliTest, BucketEngineChoosesWhatIsHashed) {
  EXPECT_EQ(run({"bucket", "--flag", "fractional-flag", "--user", "jack", "--engine", "cbor", "--percent", "17"}), 0);
  EXPECT_NE(out.str().find("user jack: bucket 16"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("at 17%: yes"), std::string::npos) << out.str();
  EXPECT_EQ(run({"bucket", "--flag", "fractional-flag", "--user", "jack", "--engine", "murmur3"}), 0);
  EXPECT_NE(out.str().find("user jack: bucket 62"), std::string::npos) << out.str();
  EXPECT_EQ(run({"bucket", "--flag", "f", "--user", "u", "--engine", "CBOR"}), 2);
  EXPECT_NE(err.str().find("invalid value \"CBOR\" for --engine: must be murmur3 or cbor"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace fro::plugin
