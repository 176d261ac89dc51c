#include "plugin/Cli.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "runtime/common/Duration.h"
#include "runtime/http/CurlTransport.h"
#include "runtime/kube/ApiError.h"
#include "runtime/kube/KubeConfig.h"
#include "runtime/kube/TokenSource.h"
#include "plugin/BucketView.h"
#include "plugin/CommandId.h"
#include "plugin/HelpText.h"
#include "plugin/JsonField.h"
#include "plugin/Linter.h"
#include "plugin/PlanView.h"
#include "plugin/RolloutCommands.h"
#include "plugin/StatusView.h"
#include "plugin/YamlLoader.h"
#include "rollout/planner/Bucketing.h"
#include "rollout/planner/RolloutSpec.h"

#ifndef FRO_VERSION
#define FRO_VERSION "0.0.0-dev"
#endif

namespace fro::plugin {

using nlohmann::json;

namespace {

constexpr int kUsage = 2;

struct Usage {
  std::string message;
  std::string command;
};

Result<std::string> readInput(const std::string& file, std::istream& in) {
  std::stringstream ss;
  if (file == "-") {
    ss << in.rdbuf();
    return ss.str();
  }
  // A pull request can carry a symlink to /dev/zero: only regular files, and no more than the
  // YAML reader takes.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return Error::of(fmt::format("cannot read {}: {}", file,
                                 ec ? ec.message() : "not a regular file (a device, FIFO or socket is not read)"));
  if (const auto size = std::filesystem::file_size(file, ec); !ec && size > YamlLoader::kMaxBytes)
    return Error::of(fmt::format("cannot read {}: {} bytes, more than the {} MiB this reads", file, size,
                                 YamlLoader::kMaxBytes >> 20));
  std::ifstream f(file);
  if (!f) return Error::of(fmt::format("cannot read {}: {}", file, std::strerror(errno)));
  ss << f.rdbuf();
  return ss.str();
}

Result<SchemaValidator> schemaFor(const std::string& crdPath, std::istream& in) {
  if (crdPath.empty()) return SchemaValidator::builtin();
  auto text = readInput(crdPath, in);
  if (!text) return text.error();
  auto docs = YamlLoader::load(*text);
  if (!docs) return Error::of(crdPath + ": " + docs.error().message);
  for (const auto& d : *docs)
    if (JsonField::text(d.value, "kind") == "CustomResourceDefinition") {
      auto v = SchemaValidator::fromCrd(d.value, "v1alpha1");
      if (!v) return Error::of(crdPath + ": " + v.error().message);
      return v;
    }
  return Error::of(crdPath + ": no CustomResourceDefinition in the file");
}

// CLI11 reads "--user=" as "--user" with its value still to come and takes the next argument,
// even "--percent", as the user key. An empty value written with "=" is an empty value.
std::vector<std::string> emptyValuesSplit(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    const bool emptyLong = a.size() > 3 && a.rfind("--", 0) == 0 && a.back() == '=' && a.find('=') == a.size() - 1;
    if (!emptyLong) {
      out.push_back(a);
      continue;
    }
    out.push_back(a.substr(0, a.size() - 1));
    out.emplace_back();
  }
  return out;
}

// 0..100 written as plain digits; anything else (empty, a sign, a fraction) is no percent.
std::optional<int> percentValue(const std::string& text) {
  if (text.empty() || text.size() > 3 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  int v = std::stoi(text);
  return v <= 100 ? std::optional<int>(v) : std::nullopt;
}

// What one FILE argument stands for: itself, or every manifest under a directory (sorted, so the
// output is the same on every machine).
struct LintInput {
  std::string path;
  std::string argument;  // the FILE argument it came from
};

bool manifestFile(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

Result<std::vector<LintInput>> expand(const std::string& arg) {
  std::error_code ec;
  if (arg == "-" || !std::filesystem::is_directory(arg, ec)) return std::vector<LintInput>{{arg, arg}};
  std::vector<std::string> found;
  auto it = std::filesystem::recursive_directory_iterator(arg, std::filesystem::directory_options::none, ec);
  for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code fec;
    if (it->is_regular_file(fec) && manifestFile(it->path())) found.push_back(it->path().string());
  }
  if (ec) return Error::of(fmt::format("cannot read directory {}: {}", arg, ec.message()));
  std::sort(found.begin(), found.end());
  std::vector<LintInput> out;
  for (auto& f : found) out.push_back({std::move(f), arg});
  return out;
}

int lint(const std::vector<std::string>& args, const std::string& crdPath, bool allowEmpty, Cli::Env& env) {
  auto schema = schemaFor(crdPath, *env.in);
  if (!schema) {
    *env.err << "Error: " << schema.error().message << "\n";
    return kUsage;
  }
  Linter linter(*schema);
  WorkloadClaims claims;  // one workload, one rollout: across every file given
  int errors = 0, warnings = 0, rollouts = 0, files = 0;
  bool ioError = false;
  for (const auto& arg : args) {
    auto inputs = expand(arg);
    if (!inputs) {
      *env.err << "Error: " << inputs.error().message << "\n";
      ioError = true;
      continue;
    }
    int rolloutsHere = 0, errorsHere = 0;
    for (const auto& input : *inputs) {
      auto text = readInput(input.path, *env.in);
      if (!text) {
        *env.err << "Error: " << text.error().message << "\n";
        ioError = true;
        continue;
      }
      ++files;
      LintReport r = linter.lintText(*text, input.path, &claims);
      for (const auto& line : r.problems) *env.out << line << "\n";
      for (const auto& line : r.notes) *env.err << "note: " << line << "\n";
      errors += r.errors;
      errorsHere += r.errors;
      warnings += r.warnings;
      rolloutsHere += r.featureRollouts;
    }
    rollouts += rolloutsHere;
    // In CI, "ok" over a directory of nothing (or of other kinds) would pass whatever it holds.
    if (rolloutsHere == 0 && errorsHere == 0 && !allowEmpty) {  // an unreadable file already failed
      const bool dir = !(inputs->size() == 1 && inputs->front().path == arg);
      *env.out << fmt::format("{}: no FeatureRollout found{} (hint: pass --allow-empty if that is expected)\n", arg,
                              dir ? fmt::format(" in {} manifest file{} (*.yaml, *.yml, *.json) under this directory",
                                                inputs->size(), inputs->size() == 1 ? "" : "s")
                                  : "");
      ++errors;
    }
  }
  for (const auto& c : claims.conflicts()) {
    *env.out << Linter::format(c.file, c.doc, c.problem) << "\n";
    ++errors;
  }
  auto plural = [](int n, const char* what) { return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s"); };
  const std::string andWarnings = warnings > 0 ? " and " + plural(warnings, "warning") : "";
  if (errors > 0)
    *env.err << plural(errors, "problem") << andWarnings << " in " << plural(files, "file") << "\n";
  else if (!ioError)
    *env.err << "ok: " << plural(rollouts, "FeatureRollout") << " checked, no problems"
             << (warnings > 0 ? ", " + plural(warnings, "warning") : "") << (rollouts == 0 ? " (no FeatureRollout found)" : "")
             << "\n";
  return ioError ? kUsage : errors > 0 ? 1 : 0;
}

int plan(const std::string& file, const std::string& name, Cli::Env& env) {
  auto text = readInput(file, *env.in);
  if (!text) {
    *env.err << "Error: " << text.error().message << "\n";
    return kUsage;
  }
  auto docs = YamlLoader::load(*text);
  if (!docs) {
    *env.err << "Error: " << file << ": " << docs.error().message << "\n";
    return 1;
  }
  std::vector<const YamlDocument*> found;
  std::string names;
  for (const auto& d : *docs) {
    if (JsonField::text(d.value, "kind") != "FeatureRollout") continue;
    std::string n = JsonField::text(JsonField::at(d.value, {"metadata"}), "name");
    names += (names.empty() ? "" : ", ") + n;
    if (name.empty() || n == name) found.push_back(&d);
  }
  if (found.empty()) {
    *env.err << fmt::format("Error: {}: no FeatureRollout{}{}\n", file, name.empty() ? "" : fmt::format(" named \"{}\"", name),
                            names.empty() ? "" : fmt::format(" (found: {})", names));
    return 1;
  }
  if (found.size() > 1) {
    *env.err << "Error: " << file << " holds " << found.size() << " FeatureRollouts (" << names << "); choose one with --name\n";
    return kUsage;
  }
  auto schema = SchemaValidator::builtin();
  if (!schema) {
    *env.err << "Error: " << schema.error().message << "\n";
    return 1;
  }
  const YamlDocument& d = *found.front();
  std::vector<LintProblem> problems;
  // A duplicate key is read as kubectl reads it (the last value): the plan shows that, and says so.
  for (const auto& p : d.problems) {
    if (p.refused) problems.push_back({p.field, p.message, "kubectl refuses this document"});
    else
      *env.err << Linter::format(file, d.index,
                                 {p.field, p.message, "the plan below uses the value kubectl keeps", Severity::Warning})
               << "\n";
  }
  for (auto& p : Linter(*schema).lintObject(d.value)) {
    if (p.severity == Severity::Warning) *env.err << Linter::format(file, d.index, p) << "\n";
    else problems.push_back(std::move(p));
  }
  if (!problems.empty()) {
    for (const auto& p : problems) *env.out << Linter::format(file, d.index, p) << "\n";
    *env.err << "Error: the spec is invalid (" << problems.size() << " problem" << (problems.size() == 1 ? "" : "s")
             << "); the operator would not start it\n";
    return 1;
  }
  const json& meta = JsonField::at(d.value, {"metadata"});
  auto spec = rollout::RolloutSpec::parse(JsonField::at(d.value, {"spec"}), JsonField::text(meta, "name"));
  if (!spec) {
    *env.err << "Error: " << spec.error().message << "\n";
    return 1;
  }
  *env.out << PlanView::render(*spec, JsonField::text(meta, "name"), JsonField::text(meta, "namespace"));
  return 0;
}

Result<Connection> connectOrReport(const ClusterAccess& access, Cli::Env& env) {
  auto c = env.connect(access);
  if (!c) *env.err << "Error: " << c.error().message << "\n";
  return c;
}

int list(const ClusterAccess& access, bool all, const Style& style, Cli::Env& env) {
  auto c = connectOrReport(access, env);
  if (!c) return 1;
  std::string ns = all ? "" : c->ns;
  auto items = c->client->listAll(kube::Resource::featureRollouts(), ns);
  if (!items) {
    *env.err << "Error: cannot list featurerollouts" << (all ? "" : " in namespace " + ns) << ": " << items.error().message << "\n";
    return 1;
  }
  const json& arr = items->value("items", json::array());
  if (arr.empty()) {
    *env.err << "No FeatureRollouts found" << (all ? "" : " in namespace " + ns) << ".\n";
    return 0;
  }
  *env.out << StatusView::renderList(arr, env.now(), style, all);
  return 0;
}

int status(const ClusterAccess& access, const std::string& name, bool watch, const Style& style, Cli::Env& env) {
  auto c = connectOrReport(access, env);
  if (!c) return 1;
  const auto resource = kube::Resource::featureRollouts();
  auto obj = c->client->get(resource, c->ns, name);
  if (!obj) {
    if (kube::ApiError::isNotFound(obj.error()))
      *env.err << "Error: featurerollout \"" << name << "\" not found in namespace \"" << c->ns << "\"\n";
    else
      *env.err << "Error: cannot read featurerollout " << c->ns << "/" << name << ": " << obj.error().message << "\n";
    return 1;
  }
  auto draw = [&](const json& o) {
    // On a terminal, redraw in place; in a pipe, one view after another.
    if (watch && env.stdoutIsTerminal) *env.out << "\033[H\033[2J";
    else if (watch) *env.out << "--- " << CommandId::timestamp(env.now()) << "\n";
    *env.out << StatusView::render(o, env.now(), style) << std::flush;
  };
  draw(*obj);
  if (!watch) return 0;
  json current = *obj;
  for (;;) {  // until Ctrl-C (SIGINT ends the process)
    kube::WatchOptions wo;
    auto rv = "/metadata/resourceVersion"_json_pointer;
    wo.resourceVersion = current.contains(rv) ? current[rv].get<std::string>() : "";
    wo.fieldSelector = "metadata.name=" + name;
    bool deleted = false;
    auto end = c->client->watch(resource, c->ns, wo, [&](const kube::WatchEvent& ev) {
      if (ev.type == kube::WatchEvent::Type::Deleted) {
        deleted = true;
        return false;
      }
      if (ev.type == kube::WatchEvent::Type::Added || ev.type == kube::WatchEvent::Type::Modified) {
        current = ev.object;
        draw(current);
      }
      return true;
    });
    if (deleted) {
      *env.out << "featurerollout " << c->ns << "/" << name << " was deleted\n";
      return 0;
    }
    if (!end || end->reason == kube::WatchEnd::Reason::Expired) {
      if (!end) *env.err << "watch interrupted (" << end.error().message << "); reconnecting\n";
      auto fresh = c->client->get(resource, c->ns, name);
      if (fresh) {
        current = *fresh;
        draw(current);
      } else if (kube::ApiError::isNotFound(fresh.error())) {
        *env.out << "featurerollout " << c->ns << "/" << name << " was deleted\n";
        return 0;
      } else {
        ::sleep(1);
      }
    }
  }
}

bool isCommand(const std::string& s) { return HelpText::find(s) != nullptr || s == "help"; }

}  // namespace

int Cli::run(const std::vector<std::string>& args, Env& env) {
  // --help anywhere: the page of the command it follows (parsed before CLI11, which would first
  // complain about a missing NAME).
  std::string command;
  for (size_t i = 1; i < args.size(); ++i)
    if (!args[i].empty() && args[i][0] != '-') {
      command = args[i];
      break;
    }
  for (size_t i = 1; i < args.size(); ++i)
    if (args[i] == "-h" || args[i] == "--help") {
      *env.out << HelpText::render(HelpText::find(command) ? command : "");
      return 0;
    }
  if (args.size() < 2) {
    *env.err << HelpText::render("");
    return kUsage;
  }
  if (args[1] == "help") {
    std::string topic = args.size() > 2 ? args[2] : "";
    if (!topic.empty() && !HelpText::find(topic)) {
      *env.err << "Error: unknown command \"" << topic << "\"; kubectl featurerollout --help lists them\n";
      return kUsage;
    }
    *env.out << HelpText::render(topic);
    return 0;
  }
  if (!isCommand(args[1])) {
    *env.err << "Error: unknown command \"" << args[1] << "\"; commands: ";
    std::string sep;
    for (const auto& c : HelpText::commands()) *env.err << sep << c.name, sep = ", ";
    *env.err << "\n";
    return kUsage;
  }

  CLI::App app{"kubectl-featurerollout"};
  app.set_help_flag();
  app.require_subcommand(1);
  std::vector<std::string> files;
  std::string crd, file, name, flagKey, color = "auto", wait = "30s";
  std::vector<std::string> users;
  std::string percentText, engineName = "murmur3";
  bool allowEmpty = false, full = false, force = false, noWait = false, all = false, watch = false;
  ClusterAccess access;
  auto cluster = [&](CLI::App* sub) {
    sub->add_option("-n,--namespace", access.ns);
    sub->add_option("--kubeconfig", access.kubeconfig);
    sub->add_option("--context", access.context);
  };
  auto sub = [&](const char* n) {
    CLI::App* s = app.add_subcommand(n);
    s->set_help_flag();
    return s;
  };
  CLI::App* lintCmd = sub("lint");
  lintCmd->add_option("FILE", files)->required();
  lintCmd->add_option("--crd", crd);
  lintCmd->add_flag("--allow-empty", allowEmpty);
  CLI::App* planCmd = sub("plan");
  planCmd->add_option("FILE", file)->required();
  planCmd->add_option("--name", name);
  CLI::App* bucketCmd = sub("bucket");
  bucketCmd->add_option("--flag", flagKey)->required();
  bucketCmd->add_option("--user", users)->required();
  // Text, not int: -1 or "" must be refused naming the value, not taken as "not asked".
  CLI::Option* percentOpt = bucketCmd->add_option("--percent", percentText);
  bucketCmd->add_option("--engine", engineName);
  std::map<std::string, CLI::App*> imperative;
  for (const char* v : {"pause", "resume", "promote", "abort", "retry"}) {
    CLI::App* s = sub(v);
    s->add_option("NAME", name)->required();
    cluster(s);
    s->add_option("--wait", wait);
    s->add_flag("--no-wait", noWait);
    if (std::string(v) == "promote") s->add_flag("--full", full);
    if (std::string(v) == "retry") s->add_flag("--force", force);
    imperative[v] = s;
  }
  CLI::App* listCmd = sub("list");
  listCmd->add_flag("-A,--all-namespaces", all);
  listCmd->add_option("--color", color);
  cluster(listCmd);
  CLI::App* statusCmd = sub("status");
  statusCmd->add_option("NAME", name)->required();
  statusCmd->add_flag("-w,--watch", watch);
  statusCmd->add_option("--color", color);
  cluster(statusCmd);
  CLI::App* versionCmd = sub("version");

  const std::vector<std::string> parsedArgs = args[1] == "bucket" ? emptyValuesSplit(args) : args;
  std::vector<const char*> argv;
  for (const auto& a : parsedArgs) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    *env.err << "Error: " << e.what() << "\nSee: kubectl featurerollout " << args[1] << " --help\n";
    return kUsage;
  }
  auto usage = [&](const std::string& msg) {
    *env.err << "Error: " << msg << "\nSee: kubectl featurerollout " << args[1] << " --help\n";
    return kUsage;
  };
  if (color != "auto" && color != "always" && color != "never")
    return usage(fmt::format("invalid value \"{}\" for --color: must be auto, always or never", color));
  const Style style = Style::decide(color, env.stdoutIsTerminal, env.noColor);

  if (lintCmd->parsed()) return lint(files, crd, allowEmpty, env);
  if (planCmd->parsed()) return plan(file, name, env);
  if (bucketCmd->parsed()) {
    std::optional<int> percent;
    if (percentOpt->count() > 0) {
      percent = percentValue(percentText);
      if (!percent) return usage(fmt::format("invalid value \"{}\" for --percent: must be an integer from 0 to 100", percentText));
    }
    auto engine = rollout::Bucketing::parseEngine(engineName);
    if (!engine) return usage(fmt::format("invalid value \"{}\" for --engine: must be murmur3 or cbor", engineName));
    for (size_t i = 0; i < users.size(); ++i) *env.out << (i ? "\n" : "") << BucketView::render(flagKey, users[i], percent, *engine);
    return 0;
  }
  if (versionCmd->parsed()) {
    *env.out << "kubectl-featurerollout " << FRO_VERSION << "\n";
    return 0;
  }
  if (listCmd->parsed()) return list(access, all, style, env);
  if (statusCmd->parsed()) return status(access, name, watch, style, env);
  for (auto& [verbName, s] : imperative) {
    if (!s->parsed()) continue;
    auto d = Duration::parse(wait);
    if (!d || d->count() <= 0)
      return usage(fmt::format("invalid value \"{}\" for --wait: expected a duration such as 10s or 2m (use --no-wait not to wait)", wait));
    Verb verb = verbName == "pause"    ? Verb::Pause
                : verbName == "resume" ? Verb::Resume
                : verbName == "abort"  ? Verb::Abort
                : verbName == "retry"  ? (force ? Verb::RetryForce : Verb::Retry)
                : full                 ? Verb::PromoteFull
                                       : Verb::Promote;
    auto c = connectOrReport(access, env);
    if (!c) return 1;
    RolloutCommands cmds(c->client, env.commandId, *env.out, *env.err);
    return cmds.run(verb, CommandOptions{c->ns, name, *d, noWait});
  }
  return usage("no command");
}

Result<Connection> Cli::connect(const ClusterAccess& access) {
  kube::KubeConfig::LoadOptions lo;
  lo.kubeconfigPath = access.kubeconfig;
  lo.context = access.context;
  auto cfg = kube::KubeConfig::load(lo);
  if (!cfg) return Error::of("cannot load the cluster configuration: " + cfg.error().message);
  kube::KubeClient::Options o;
  o.server = cfg->server;
  o.bearerToken = kube::TokenSource::bearerProvider(*cfg, std::make_shared<SystemClock>());
  o.userAgent = std::string("kubectl-featurerollout/") + FRO_VERSION;
  o.retry.maxRetries = 2;
  auto client = std::make_shared<kube::KubeClient>(std::make_shared<http::CurlTransport>(cfg->tls), o);
  return Connection{client, access.ns.empty() ? cfg->namespace_ : access.ns};
}

Cli::Env Cli::processEnv() {
  Env env;
  env.in = &std::cin;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.stdoutIsTerminal = ::isatty(STDOUT_FILENO) == 1;
  env.noColor = std::getenv("NO_COLOR");
  env.now = [] { return std::chrono::system_clock::now(); };
  env.connect = &Cli::connect;
  env.commandId = [] { return CommandId::make(std::chrono::system_clock::now()); };
  return env;
}

}  // namespace fro::plugin
