#include "plugin/HelpText.h"

#include <sstream>

namespace fro::plugin {

namespace {

const std::vector<OptionDoc> kClusterOptions = {
    {"-n, --namespace NS", "Namespace of the FeatureRollout. Default: the kubeconfig context's namespace, else default."},
    {"--kubeconfig PATH", "Kubeconfig file to use. Default: $KUBECONFIG (':'-separated files, merged), else ~/.kube/config."},
    {"--context NAME", "Kubeconfig context to use. Default: the current context."},
};

const std::vector<OptionDoc> kWaitOptions = {
    {"--wait DURATION",
     "How long to wait for the operator to acknowledge the command (status.lastCommand), e.g. 10s or 2m. Default: 30s."},
    {"--no-wait", "Send the command and return without waiting for the operator. Default: wait."},
};

const OptionDoc kHelp = {"-h, --help", "Print this help and exit."};

std::vector<OptionDoc> join(std::vector<std::vector<OptionDoc>> parts) {
  std::vector<OptionDoc> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  out.push_back(kHelp);
  return out;
}

const std::string kExit =
    "0 success (lint: warnings only); 1 the command failed (lint found errors; not found, refused by the API server, "
    "ignored by the operator, not acknowledged in time); 2 usage error "
    "(unknown option, missing argument, unreadable file).";

std::vector<CommandDoc> build() {
  const std::string protocol =
      " The command is one JSON merge patch on the resource's metadata.annotations; the spec is never touched, so "
      "Argo CD or Flux, which own the spec, do not revert it. The plugin first checks that the FeatureRollout exists, "
      "then waits (--wait) until the operator acknowledges the request by copying \"<verb> <id>\" to "
      "status.lastCommand, and prints the resulting state and the operator's Event for the request. A command the "
      "operator answers with a CommandIgnored Event (e.g. promote of a finished rollout) exits 1 and says it was "
      "ignored. The id (RFC 3339 time with milliseconds and four random characters) makes every request unique.";
  std::vector<CommandDoc> c;
  c.push_back({"lint", "check FeatureRollout manifests offline, with the API server's and the operator's rules",
               "kubectl featurerollout lint FILE|DIR... [--crd CRD_FILE] [--allow-empty]",
               "Validates every FeatureRollout in the YAML files (several documents per file; '-' reads standard input; a "
               "directory stands for every *.yaml, *.yml and *.json file under it, recursively) without a cluster, for CI "
               "pipelines. The checks are those of the API server (the CRD's schema compiled into "
               "the plugin: types, required and unknown fields, enums, patterns, length and item bounds, duplicate list "
               "entries; apiVersion, kind, metadata.name as a DNS subdomain of at most 63 characters) and the operator's "
               "own validation "
               "(RolloutSpec::parse, which covers the CRD's CEL rules: references between phases, flags and gates, step "
               "percents that never decrease, one enabling phase per flag, env var clashes). Documents of other kinds are "
               "skipped with a note on standard error. Across all files and documents given: two FeatureRollouts in one "
               "namespace (none set counts as the same one) that target the same workload are an error on the later one "
               "(one workload, one rollout). A FILE or DIR without any FeatureRollout is an error (so a pipeline that lints "
               "the wrong directory fails) unless --allow-empty is given. Files are read as kubectl reads them: a key set "
               "twice keeps its last value and is an error that says which value kubectl keeps; bytes that are not UTF-8, "
               "control characters, aliases that refer to themselves or expand beyond a budget and nesting beyond 256 "
               "levels are errors with their line. Each problem is one line on standard output: "
               "FILE:DOC: FIELD: MESSAGE (hint: ...), where DOC is the document's position in the file (1 for the first). "
               "Warnings, FILE:DOC: warning: FIELD: MESSAGE, are accepted by the cluster but likely wrong (gated phases "
               "without spec.prometheus.address, which then depend on the operator's --default-prometheus-address); they "
               "do not change the exit status.",
               {{"--crd PATH", "Check against the schema of this CRD file instead of the built-in one (e.g. the CRD installed "
                               "in a cluster: kubectl get crd featurerollouts.rollouts.featureflags.dev -o yaml). Default: the "
                               "built-in CRD."},
                {"--allow-empty", "A FILE or DIR without a FeatureRollout is not an error. Default: it is one."},
                kHelp},
               {{"Check a manifest:", "kubectl featurerollout lint rollout.yaml"},
                {"Check every manifest of a repository's folder:", "kubectl featurerollout lint deploy/"},
                {"Check everything a kustomization renders:", "kustomize build overlays/prod | kubectl featurerollout lint -"}}});
  c.push_back({"plan", "print the timeline the operator would run, step by step",
               "kubectl featurerollout plan FILE [--name NAME]",
               "Prints the rollout's plan from its spec alone: per phase its steps with percent, pause and earliest start, the "
               "value and percent of every flag at each step (computed by the operator's own function, so the plan and the "
               "ConfigMap agree), the phase's gates with their thresholds, the minimum total duration (the sum of the "
               "pauses) and what a rollback of each phase would revert. The file may hold several documents; without "
               "--name it must hold exactly one FeatureRollout. An invalid spec is reported as by lint.",
               {{"--name NAME", "Which FeatureRollout of the file to plan. Default: the only one in the file."}, kHelp},
               {{"Review a rollout before merging it:", "kubectl featurerollout plan examples/unified-workflow.yaml"}}});
  c.push_back({"bucket", "show a user's bucket for a flag and whether they have it at a percent",
               "kubectl featurerollout bucket --flag KEY --user ID... [options]",
               "Computes the user's bucket (0-99) with flagd's fractional rule, as the operator, the demo service and "
               "OpenFeature flagd providers apply it: h = MurmurHash3_x86_32(input, seed 0), bucket = (h * 100) >> 32, "
               "and a user has the flag when bucket < percent. So a user in bucket 62 has the flag from 63% up, and "
               "raising a percent only ever adds users. The input depends on the engine the application's SDK uses "
               "(docs/SDK-COMPATIBILITY.md): murmur3 hashes the UTF-8 bytes of flagKey + userKey (flagd; the JS flagd "
               "provider agrees on ASCII keys only), cbor the CBOR array [flagKey, userKey] (the Python flagd provider "
               "0.6). Either engine gives each percent the same share "
               "of users, but not the same users. An empty user key has no bucket: as in flagd, it gets the flag's "
               "default, off below 100% and on at 100%.",
               {{"--flag KEY", "Flag key (the flag's name in spec.flags). Required."},
                {"--user ID", "User key as the application passes it (targetingKey); repeat for several users. Required."},
                {"--percent N", "Also say whether the user has the flag at N percent (0-100). Default: not asked."},
                {"--engine NAME", "What is hashed: murmur3 (flagKey + userKey) or cbor (CBOR [flagKey, userKey]). "
                                  "Default: murmur3."},
                kHelp},
               {{"Does user jack have flag checkout at 50%?",
                 "kubectl featurerollout bucket --flag checkout --user jack --percent 50"},
                {"The same for an application that uses the Python flagd provider:",
                 "kubectl featurerollout bucket --flag checkout --user jack --engine cbor"}}});
  c.push_back({"pause", "pause a rollout (nothing advances, timers freeze)", "kubectl featurerollout pause NAME [options]",
               "Sets the annotation rollouts.featureflags.dev/paused: \"true\". The operator treats it like spec.paused: "
               "no step advances and the current step's pause stops counting until resume. Then waits until status.state "
               "is Paused (a rollout that is not progressing has nothing to pause; the annotation still holds it). The "
               "patch touches metadata.annotations only, so GitOps tools that own the spec do not revert it; the plugin "
               "first checks that the FeatureRollout exists.",
               join({kClusterOptions, kWaitOptions}),
               {{"Stop a rollout while you look into an alert:", "kubectl featurerollout pause unified-workflow -n shop"}}});
  c.push_back({"resume", "resume a paused rollout", "kubectl featurerollout resume NAME [options]",
               "Removes the paused annotation and, in the same patch, sends rollouts.featureflags.dev/command: "
               "\"resume <id>\", which also lifts a pause the operator made itself (a critical gate with rollback: "
               "manual). Timers continue where they stopped. A spec.paused: true still holds the rollout (the plugin "
               "warns)." +
                   protocol,
               join({kClusterOptions, kWaitOptions}), {{"Continue:", "kubectl featurerollout resume unified-workflow -n shop"}}});
  c.push_back({"promote", "skip the current step's pause and gates, or finish the phase (--full)",
               "kubectl featurerollout promote NAME [--full] [options]",
               "Sends rollouts.featureflags.dev/command: \"promote <id>\": the current step completes now, without waiting "
               "for its pause or its gates, and the next step starts. With --full, \"promote-full <id>\": the current "
               "phase completes now (its last step's percent) and the next phase starts. Ignored (and reported in an "
               "Event) unless the rollout is progressing, holding or paused. Before it sends the command it prints which "
               "flags change and how (e.g. write 10% -> 50%)." +
                   protocol,
               join({{{"--full", "Finish the whole current phase, not only the current step. Default: the step only."}},
                     kClusterOptions, kWaitOptions}),
               {{"Skip the rest of a 24h pause:", "kubectl featurerollout promote unified-workflow -n shop"},
                {"Finish the current phase:", "kubectl featurerollout promote unified-workflow -n shop --full"}}});
  c.push_back({"abort", "roll every flag back to its default and stop", "kubectl featurerollout abort NAME [options]",
               "Sends rollouts.featureflags.dev/command: \"abort <id>\": every flag goes back to its default, the state "
               "becomes RolledBack with reason Aborted, and the rollout stays there until the spec changes or retry." +
                   protocol,
               join({kClusterOptions, kWaitOptions}), {{"Stop everything:", "kubectl featurerollout abort unified-workflow -n shop"}}});
  c.push_back({"retry", "restart the phase that failed", "kubectl featurerollout retry NAME [--force] [options]",
               "Sends rollouts.featureflags.dev/command: \"retry <id>\": a RolledBack rollout restarts at the first phase "
               "whose flags are not at their final values (after an abort, the first phase), from its first step, so no "
               "flag rises by more than one of its steps; first that phase's gates must pass at the rolled-back values, "
               "so nobody is exposed again while the critical signal is still there. With --force, \"retry-force <id>\": "
               "without that check. Ignored (and reported in an Event) unless the state is RolledBack. Before it sends "
               "the command it prints where the rollout restarts and which flags change." +
                   protocol,
               join({{{"--force", "Restart without first checking the phase's gates at the rolled-back values (the "
                                  "operator says so in its Event). Default: check them first."}},
                     kClusterOptions, kWaitOptions}),
               {{"Try again after fixing the bug:", "kubectl featurerollout retry unified-workflow -n shop"},
                {"Try again although a gate still fails:", "kubectl featurerollout retry unified-workflow -n shop --force"}}});
  c.push_back({"list", "list FeatureRollouts with their progress", "kubectl featurerollout list [-A] [options]",
               "One line per FeatureRollout: phase, step (of the phase's steps), percent, state, gate summary, the verb of "
               "the last acknowledged command and age. Colours only on a terminal and never with NO_COLOR.",
               join({{{"-A, --all-namespaces", "List FeatureRollouts of every namespace. Default: one namespace."},
                      {"--color WHEN", "auto, always or never. Default: auto (only on a terminal, never with NO_COLOR set)."}},
                     kClusterOptions}),
               {{"Every rollout of the cluster:", "kubectl featurerollout list -A"}}});
  c.push_back({"status", "show one rollout in detail, optionally live", "kubectl featurerollout status NAME [--watch] [options]",
               "Shows the state and message, the phases as a timeline (the current step in brackets), every flag's value "
               "and percent, each gate's last value against its thresholds, the rollback (if any), the conditions and the "
               "recent history. With --watch the view is redrawn on every change until Ctrl-C. Colours only on a terminal "
               "and never with NO_COLOR.",
               join({{{"-w, --watch", "Redraw on every change until interrupted. Default: print once."},
                      {"--color WHEN", "auto, always or never. Default: auto (only on a terminal, never with NO_COLOR set)."}},
                     kClusterOptions}),
               {{"Follow a rollout:", "kubectl featurerollout status unified-workflow -n shop --watch"}}});
  c.push_back({"version", "print the plugin's version", "kubectl featurerollout version", "Prints the version.", {kHelp}, {}});
  return c;
}

std::string wrap(const std::string& text, size_t indent, size_t width = 80) {
  std::istringstream words(text);
  std::string word, out, line;
  const std::string pad(indent, ' ');
  while (words >> word) {
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      out += pad + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += pad + line + "\n";
  return out;
}

}  // namespace

const std::vector<CommandDoc>& HelpText::commands() {
  static const std::vector<CommandDoc> docs = build();
  return docs;
}

const CommandDoc* HelpText::find(const std::string& name) {
  for (const auto& c : commands())
    if (c.name == name) return &c;
  return nullptr;
}

std::string HelpText::render(const std::string& name) {
  std::string out;
  const CommandDoc* c = find(name);
  if (!c) {
    out += "NAME\n    kubectl-featurerollout - plan, check and steer FeatureRollouts (rollouts.featureflags.dev)\n\n";
    out += "SYNOPSIS\n    kubectl featurerollout COMMAND [ARGS] [OPTIONS]\n    kubectl featurerollout COMMAND --help\n\n";
    out += "DESCRIPTION\n" +
           wrap("A kubectl plugin for the feature-rollout-operator. Offline commands (no cluster needed, for CI): lint, "
                "plan, bucket. Commands against the cluster: list, status, and the imperative pause, resume, promote, "
                "abort and retry, which talk to the operator through annotations only and never edit the spec, so "
                "GitOps tools do not fight them. Cluster access is read from the kubeconfig as kubectl does "
                "(--kubeconfig, $KUBECONFIG, ~/.kube/config; --context; -n).",
                4) +
           "\nCOMMANDS\n";
    for (const auto& cmd : commands()) {
      std::string head = "    " + cmd.name;
      out += head + std::string(head.size() < 14 ? 14 - head.size() : 1, ' ') + cmd.summary + "\n";
    }
    out += "\nEXIT STATUS\n" + wrap(kExit, 4);
    out += "\nEXAMPLES\n    kubectl featurerollout lint rollouts/*.yaml\n    kubectl featurerollout plan rollout.yaml\n"
           "    kubectl featurerollout status unified-workflow -n shop --watch\n"
           "    kubectl featurerollout promote unified-workflow -n shop\n";
    return out;
  }
  out += "NAME\n" + wrap("kubectl featurerollout " + c->name + " - " + c->summary, 4) + "\n";
  out += "SYNOPSIS\n    " + c->synopsis + "\n\n";
  out += "DESCRIPTION\n" + wrap(c->description, 4) + "\n";
  out += "OPTIONS\n";
  for (const auto& o : c->options) out += "    " + o.flags + "\n" + wrap(o.help, 8);
  if (c->name != "version") out += "\nEXIT STATUS\n" + wrap(kExit, 4);
  if (!c->examples.empty()) {
    out += "\nEXAMPLES\n";
    for (size_t i = 0; i < c->examples.size(); ++i)
      out += (i ? "\n" : "") + wrap(c->examples[i].first, 4) + "        " + c->examples[i].second + "\n";
  }
  return out;
}

}  // namespace fro::plugin
