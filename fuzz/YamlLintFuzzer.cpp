// The kubectl plugin's `lint` and `plan` on any file (they run in CI on files from pull
// requests): YamlLoader::load, then the Linter with the built-in CRD schema as `lint` runs it
// (plugin/Cli.cpp), then for every FeatureRollout document lint accepts what `plan` does:
// RolloutSpec::parse and PlanView::render. Nothing may crash, throw, or run away with memory;
// a document lint accepts must parse for the operator and render a plan.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/FuzzCheck.h"
#include "plugin/Linter.h"
#include "plugin/PlanView.h"
#include "plugin/SchemaValidator.h"
#include "plugin/WorkloadClaims.h"
#include "plugin/YamlLoader.h"
#include "rollout/planner/RolloutSpec.h"

using namespace fro::plugin;

namespace {

// Built once: the schema is the whole CRD.
const Linter& linter() {
  static const Linter l = [] {
    auto schema = SchemaValidator::builtin();
    FRO_FUZZ_CHECK(schema.ok(), "the built-in CRD schema does not load");
    return Linter(*schema);
  }();
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // lint FILE
  WorkloadClaims claims;
  LintReport report = linter().lintText(text, "fuzz.yaml", &claims);
  (void)claims.conflicts();
  FRO_FUZZ_CHECK(report.errors >= 0 && report.warnings >= 0, "negative problem counts");

  // plan FILE, for each FeatureRollout document
  auto docs = YamlLoader::load(text);
  if (!docs.ok()) return 0;
  for (const auto& d : *docs) {
    if (!d.value.is_object() || !d.value.contains("kind") || d.value["kind"] != "FeatureRollout") continue;
    bool accepted = true;
    for (const auto& p : linter().lintObject(d.value))
      if (p.severity == Severity::Error) accepted = false;
    if (!accepted) continue;
    const auto& meta = d.value["metadata"];
    const std::string name = meta.value("name", ""), ns = meta.value("namespace", "");
    auto spec = fro::rollout::RolloutSpec::parse(d.value["spec"], name);
    FRO_FUZZ_CHECK(spec.ok(), "lint accepted a spec the operator refuses: " + (spec.ok() ? "" : spec.error().message));
    FRO_FUZZ_CHECK(!PlanView::render(*spec, name, ns).empty(), "plan rendered nothing for an accepted spec");
  }
  return 0;
}
