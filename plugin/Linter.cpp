#include "plugin/Linter.h"

#include <set>

#include <fmt/format.h>

#include "plugin/JsonField.h"
#include "plugin/YamlLoader.h"
#include "rollout/planner/NameSyntax.h"
#include "rollout/planner/RolloutObject.h"
#include "rollout/planner/RolloutSpec.h"

namespace fro::plugin {

using nlohmann::json;

namespace {

constexpr const char* kGroup = "rollouts.featureflags.dev";
constexpr const char* kApiVersion = "rollouts.featureflags.dev/v1alpha1";
constexpr const char* kKind = "FeatureRollout";

const std::set<std::string> kMetadataFields = {
    "name", "namespace", "labels", "annotations", "generateName", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "finalizers",
    "managedFields", "selfLink"};

// `inner` is `outer` or inside it.
bool within(const std::string& inner, const std::string& outer) {
  if (inner.rfind(outer, 0) != 0) return false;
  return inner.size() == outer.size() || inner[outer.size()] == '.' || inner[outer.size()] == '[';
}

std::string names(const json& list, const char* key) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& e : list)
    if (e.is_object() && e.contains(key) && e[key].is_string()) out += (out.empty() ? "" : ", ") + e[key].get<std::string>();
  return out;
}

// Hints for what RolloutSpec::parse reports (its messages name the value; these say what to do).
std::string specHint(const std::string& message, const json& spec) {
  if (message.find("not a flag declared in spec.flags") != std::string::npos) {
    std::string f = names(spec.value("flags", json()), "name");
    return f.empty() ? "spec.flags declares no flags" : "declared flags: " + f;
  }
  if (message.find("not a gate declared in spec.analysis.gates") != std::string::npos) {
    std::string g = names(JsonField::at(spec, {"analysis", "gates"}), "name");
    return g.empty() ? "spec.analysis.gates declares no gates" : "declared gates: " + g;
  }
  if (message.find("already enabled by phase") != std::string::npos)
    return "a flag is turned on by one phase only; to raise it further, give that phase more steps";
  if (message.find("must not be below the previous step") != std::string::npos)
    return "percents never decrease within a phase (raising a percent only ever adds users)";
  if (message.find("_PERCENT") != std::string::npos)
    return "the ConfigMap key <envVar>_PERCENT holds a flag's percent; rename one of the env vars";
  if (message.find("is used by two flags") != std::string::npos) return "each flag needs an env var of its own";
  if (message.find("both enables and disables") != std::string::npos)
    return "remove the flag from either enable or disable";
  if (message.find("must enable or disable at least one flag") != std::string::npos)
    return "add the flags this phase turns on (enable) or off (disable)";
  if (message.find("needs a warning or a critical threshold") != std::string::npos)
    return "add warning: {above: N} (holds the rollout) and/or critical: {above: N} (rolls it back)";
  if (message.find("below (") != std::string::npos)
    return "the healthy band is [below, above]; an empty band breaches on every value";
  if (message.find("must set above or below") != std::string::npos) return "e.g. {above: 0.05} or {below: 1}";
  return {};
}

}  // namespace

Linter::Linter(SchemaValidator schema) : schema_(std::move(schema)) {}

std::string Linter::format(const std::string& file, int doc, const LintProblem& p) {
  return fmt::format("{}:{}: {}{}{}{}", file, doc, p.severity == Severity::Warning ? "warning: " : "",
                     p.field.empty() ? "" : p.field + ": ", p.message, p.hint.empty() ? "" : " (hint: " + p.hint + ")");
}

std::vector<LintProblem> Linter::lintObject(const json& obj) const {
  std::vector<LintProblem> out;
  if (!obj.is_object()) {
    out.push_back({"", "the document is not a mapping (a FeatureRollout is an object with apiVersion, kind, metadata, spec)", ""});
    return out;
  }
  // 1. apiVersion, kind, metadata.
  const json apiVersion = obj.value("apiVersion", json());
  if (apiVersion.is_null()) {
    out.push_back({"apiVersion", "Required value", std::string("write apiVersion: ") + kApiVersion});
  } else if (!apiVersion.is_string() || apiVersion.get<std::string>() != kApiVersion) {
    std::string got = apiVersion.is_string() ? apiVersion.get<std::string>() : apiVersion.dump();
    out.push_back({"apiVersion", fmt::format("Unsupported value: \"{}\": supported values: {}", got, kApiVersion),
                   got.rfind(std::string(kGroup) + "/", 0) == 0 ? "the CRD serves only version v1alpha1"
                                                               : fmt::format("the group is {}", kGroup)});
  }
  const json kind = obj.value("kind", json());
  if (kind.is_null()) out.push_back({"kind", "Required value", std::string("write kind: ") + kKind});
  else if (!kind.is_string())
    out.push_back({"kind", fmt::format("Invalid value: {}: must be a string", kind.dump()), std::string("write kind: ") + kKind});
  else if (kind != kKind)
    out.push_back({"kind", fmt::format("Unsupported value: {}: supported values: {}", kind.dump(), kKind),
                   "kinds are case-sensitive"});

  std::string name;
  const json metadata = obj.value("metadata", json());
  if (!metadata.is_object()) {
    out.push_back({"metadata", metadata.is_null() ? "Required value" : fmt::format("Invalid value: {}: must be an object", metadata.dump()),
                   "metadata needs at least a name"});
  } else {
    const json n = metadata.value("name", json());
    if (n.is_null()) {
      if (!metadata.contains("generateName"))
        out.push_back({"metadata.name", "Required value", "every FeatureRollout needs a name (a lowercase DNS label)"});
    } else if (!n.is_string()) {
      out.push_back({"metadata.name", fmt::format("Invalid value: {}: must be a string", n.dump()), "quote the name"});
    } else {
      name = n.get<std::string>();
      // What the API server takes (a DNS subdomain: dots allowed) and the CRD's rule adds: at most
      // 63 characters, since the name is a label value on the flag ConfigMap.
      if (name.size() > rollout::RolloutObject::kMaxNameLength)
        out.push_back({"metadata.name",
                       fmt::format("Invalid value: \"{}\": must be no more than {} characters, got {}",
                                   name.size() > 80 ? name.substr(0, 77) + "..." : name,
                                   rollout::RolloutObject::kMaxNameLength, name.size()),
                       "the name is also the value of the label rollouts.featureflags.dev/rollout on the flag ConfigMap, "
                       "and label values are at most 63 characters"});
      else if (!rollout::NameSyntax::dnsSubdomain(name))
        out.push_back({"metadata.name",
                       fmt::format("Invalid value: \"{}\": must be lowercase letters, digits, '-' and '.', starting and "
                                   "ending with a letter or digit",
                                   name),
                       "the API server takes a lowercase DNS subdomain, e.g. web-rollout or web.rollout"});
    }
    if (const json ns = metadata.value("namespace", json()); !ns.is_null()) {
      if (!ns.is_string() || ns.get<std::string>().size() > 63 || !rollout::NameSyntax::dnsLabel(ns.get<std::string>()))
        out.push_back({"metadata.namespace", fmt::format("Invalid value: {}: must be a lowercase DNS label", ns.dump()),
                       "namespace names are lowercase letters, digits and '-'"});
    }
    for (const char* field : {"labels", "annotations"}) {
      const json m = metadata.value(field, json());
      if (m.is_null()) continue;
      if (!m.is_object()) {
        out.push_back({std::string("metadata.") + field, "Invalid value: must be a mapping of strings to strings", ""});
        continue;
      }
      for (auto it = m.begin(); it != m.end(); ++it)
        if (!it.value().is_string())
          out.push_back({fmt::format("metadata.{}.{}", field, it.key()),
                         fmt::format("Invalid value: {}: must be a string", it.value().dump()),
                         fmt::format("quote the value, e.g. \"{}\"", it.value().is_null() ? "" : it.value().dump())});
    }
    for (auto it = metadata.begin(); it != metadata.end(); ++it)
      if (!kMetadataFields.count(it.key()))
        out.push_back({"metadata." + it.key(), fmt::format("Unknown field: \"{}\" is not an ObjectMeta field", it.key()),
                       "fields allowed here: name, namespace, labels, annotations, ..."});
  }

  // 2. The CRD's structural schema (apiVersion, kind and metadata were checked above).
  json rest = obj;
  rest.erase("metadata");
  std::vector<LintProblem> schemaProblems;
  for (auto& p : schema_.validate(rest, "")) {
    if (p.field != "apiVersion" && p.field != "kind") schemaProblems.push_back(p);
  }
  for (const auto& p : schemaProblems) out.push_back(p);

  // 3. The operator's validation (CEL rules and more), hidden where the schema already spoke.
  const json spec = obj.value("spec", json());
  if (spec.is_object()) {
    std::vector<rollout::FieldError> errors;
    (void)rollout::RolloutSpec::parse(spec, name.empty() ? "x" : name, &errors);
    std::set<std::string> seen;
    for (const auto& e : errors) {
      bool hidden = false;
      for (const auto& p : schemaProblems)
        if (within(p.field, e.field) || within(e.field, p.field)) hidden = true;
      if (hidden || !seen.insert(e.field + "\n" + e.message).second) continue;
      std::string hint = specHint(e.message, spec);
      if (hint.empty()) hint = schema_.describe(e.field);
      out.push_back({e.field, e.message, hint});
    }
    // Gated phases without an address rely on the operator's --default-prometheus-address.
    std::set<std::string> used;
    for (const auto& ph : spec.value("phases", json::array()))
      if (ph.is_object() && ph.value("gates", json()).is_array())
        for (const auto& g : ph["gates"])
          if (g.is_string()) used.insert(g.get<std::string>());
    const json& address = JsonField::at(spec, {"prometheus", "address"});
    if (!used.empty() && (address.is_null() || (address.is_string() && address.get<std::string>().empty()))) {
      std::string gates;
      for (const auto& g : used) gates += (gates.empty() ? "" : ", ") + g;
      out.push_back({"spec.prometheus.address",
                     "not set, but phases are gated (" + gates +
                         "): the gates run only if the operator was started with --default-prometheus-address "
                         "(the Helm chart's defaultPrometheusAddress, empty unless you set it)",
                     "set spec.prometheus.address to your Prometheus, e.g. http://prometheus.monitoring.svc:9090",
                     Severity::Warning});
    }
  }
  return out;
}

LintReport Linter::lintText(const std::string& text, const std::string& file, WorkloadClaims* claims) const {
  LintReport report;
  auto docs = YamlLoader::load(text);
  if (!docs) {
    report.problems.push_back(file + ": " + docs.error().message);
    report.errors = 1;
    return report;
  }
  for (const auto& d : *docs) {
    const json& v = d.value;
    // Any type may stand where a string belongs: a kind that is not a string is not another
    // kind's document, so it is checked (and refused) as ours.
    const json kindValue = v.is_object() ? v.value("kind", json()) : json();
    std::string kind = JsonField::text(v, "kind");
    std::string apiVersion = JsonField::text(v, "apiVersion");
    bool ours = kind == kKind || apiVersion.rfind(std::string(kGroup) + "/", 0) == 0 || (kind.empty() && apiVersion.empty()) ||
                (!kindValue.is_null() && !kindValue.is_string());
    if (!ours) {
      std::string what = kind.empty() ? "document" : kind;
      if (const json& n = JsonField::at(v, {"metadata", "name"}); n.is_string()) what += fmt::format(" \"{}\"", n.get<std::string>());
      report.notes.push_back(fmt::format("{}:{}: skipped {} ({}): not a FeatureRollout", file, d.index, what, apiVersion));
      continue;
    }
    ++report.featureRollouts;
    std::vector<LintProblem> problems;
    for (const auto& p : d.problems)
      problems.push_back({p.field, p.message,
                          p.refused ? "kubectl refuses this document"
                                    : "remove one of them: the value kubectl keeps may not be the one you meant"});
    for (auto& p : lintObject(v)) problems.push_back(std::move(p));
    for (const auto& p : problems) {
      report.problems.push_back(format(file, d.index, p));
      ++(p.severity == Severity::Warning ? report.warnings : report.errors);
    }
    if (claims) claims->add(file, d.index, v);
  }
  return report;
}

}  // namespace fro::plugin
