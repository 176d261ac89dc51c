#include "plugin/WorkloadClaims.h"

#include <map>
#include <tuple>

#include <fmt/format.h>

#include "plugin/JsonField.h"

namespace fro::plugin {

using nlohmann::json;

namespace {

std::string text(const json& o, const char* key) { return JsonField::text(o, key); }

std::string where(const std::string& ns) {
  return ns.empty() ? "the same namespace (none set)" : fmt::format("namespace \"{}\"", ns);
}

}  // namespace

void WorkloadClaims::add(const std::string& file, int doc, const json& obj) {
  if (!obj.is_object()) return;
  const json meta = obj.value("metadata", json());
  const std::string name = text(meta, "name");
  if (name.empty()) return;
  const std::string ns = text(meta, "namespace");
  const json spec = obj.value("spec", json());
  if (!spec.is_object() || !spec.contains("targets") || !spec["targets"].is_array()) return;
  const json& targets = spec["targets"];
  for (size_t i = 0; i < targets.size(); ++i) {
    std::string kind = text(targets[i], "kind"), workload = text(targets[i], "name");
    if (kind.empty() || workload.empty()) continue;
    claims_.push_back({file, doc, ns, name, static_cast<int>(i), kind, workload});
  }
}

std::vector<WorkloadClaims::Conflict> WorkloadClaims::conflicts() const {
  std::vector<Conflict> out;
  // (namespace, kind, workload) -> the first claim.
  std::map<std::tuple<std::string, std::string, std::string>, const Claim*> first;
  for (const auto& c : claims_) {
    auto [it, inserted] = first.emplace(std::make_tuple(c.ns, c.kind, c.workload), &c);
    if (inserted) continue;
    const Claim& owner = *it->second;
    // The same rollout twice (two versions of one object, or a target listed twice, which the
    // schema refuses on its own): not two rollouts.
    if (owner.name == c.name) continue;
    std::string message = fmt::format(
        "Invalid value: {} \"{}\": FeatureRollout \"{}\" targets it, and so does FeatureRollout \"{}\" ({}:{}) in {}: "
        "one workload, one rollout",
        c.kind, c.workload, c.name, owner.name, owner.file, owner.doc, where(c.ns));
    std::string hint = fmt::format(
        "the operator lets the first rollout that claims {} {} own it and holds the other (TargetClaimed); put these "
        "flags into rollout \"{}\" as another phase, or target another workload",
        c.kind, c.workload, owner.name);
    out.push_back({c.file, c.doc, LintProblem{fmt::format("spec.targets[{}]", c.index), message, hint}});
  }
  return out;
}

}  // namespace fro::plugin
