#include "rollout/planner/RolloutObject.h"

#include <fmt/format.h>

#include "rollout/planner/Annotations.h"
#include "rollout/planner/FlagDocument.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;

const json& member(const json& j, const char* key) {
  static const json null;
  if (!j.is_object()) return null;
  auto i = j.find(key);
  return i == j.end() ? null : *i;
}

std::string text(const json& j, const char* key) {
  const json& v = member(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

}  // namespace

RolloutObject RolloutObject::fromJson(const json& fr) {
  RolloutObject o;
  const json& md = member(fr, "metadata");
  o.nameSpace = text(md, "namespace");
  o.name = text(md, "name");
  o.uid = text(md, "uid");
  if (const json& g = member(md, "generation"); g.is_number_integer()) o.generation = g.get<std::int64_t>();
  const json& annotations = member(md, "annotations");
  o.command = text(annotations, names::kCommandAnnotation);
  o.pausedByAnnotation = text(annotations, names::kPausedAnnotation) == "true";

  const json& spec = member(fr, "spec");
  std::vector<FieldError> errors;
  auto parsed = RolloutSpec::parse(spec.is_object() ? spec : json::object(), o.name, &errors);
  // The name is the value of the ConfigMap's rollout label (at most 63 characters); the CRD's
  // rule refuses longer ones, but an object stored before that rule must not fail every write.
  if (o.name.size() > kMaxNameLength)
    errors.insert(errors.begin(),
                  FieldError{"metadata.name",
                             fmt::format("Invalid value: \"{}\": must be no more than {} characters (it is the value of "
                                         "the label {} on the flag ConfigMap)",
                                         o.name, kMaxNameLength, names::kRolloutLabel)});
  if (parsed.ok() && errors.empty()) {
    o.spec = std::move(*parsed);
    o.configMapName = o.spec->configMapName;
  } else {
    for (const auto& e : errors) o.specProblems.push_back(e.field + ": " + e.message);
    if (o.specProblems.empty()) o.specProblems.push_back(parsed.error().message);
    o.configMapName = RolloutSpec::configMapNameOf(spec, o.name);
  }
  const json& phases = member(spec, "phases");
  if (phases.is_array())
    for (const auto& p : phases) o.phaseHashes.push_back(FlagDocument::checksum({{"phase", p.dump()}}).substr(0, 16));
  o.status = RolloutStatus::fromJson(member(fr, "status"));
  return o;
}

}  // namespace fro::rollout
