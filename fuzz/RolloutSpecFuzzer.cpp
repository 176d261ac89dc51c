// fro::rollout::RolloutSpec::parse on JSON from any bytes (the operator reads every
// FeatureRollout's spec this way; invalid JSON just returns). Every problem is a value: an Error
// with one FieldError per problem. A spec it accepts keeps the promises the planner relies on
// (declared references, step percents 1..100 in order, unique names), and the flag documents of
// its positions have flagd's structure (FlagdSchema).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz/FlagdSchema.h"
#include "fuzz/FuzzCheck.h"
#include "rollout/planner/EffectiveFlags.h"
#include "rollout/planner/FlagDocument.h"
#include "rollout/planner/RolloutSpec.h"

using namespace fro::rollout;

namespace {

void checkAccepted(const RolloutSpec& s) {
  FRO_FUZZ_CHECK(!s.targets.empty() && !s.flags.empty() && !s.phases.empty(), "accepted without targets, flags or phases");
  FRO_FUZZ_CHECK(!s.configMapName.empty(), "accepted without a ConfigMap name");
  std::set<std::string> flags, envs, phases, gates;
  for (const auto& f : s.flags) {
    FRO_FUZZ_CHECK(fro::fuzz::FlagdSchema::validKey(f.name), "accepted a flag name flagd cannot key");
    FRO_FUZZ_CHECK(flags.insert(f.name).second && envs.insert(f.envVar).second, "accepted a duplicate flag or env var");
    FRO_FUZZ_CHECK(!f.envVar.empty(), "accepted a flag without an env var");
  }
  for (const auto& g : s.gates) FRO_FUZZ_CHECK(gates.insert(g.name).second, "accepted a duplicate gate");
  for (const auto& p : s.phases) {
    FRO_FUZZ_CHECK(phases.insert(p.name).second, "accepted a duplicate phase");
    FRO_FUZZ_CHECK(!p.enable.empty() || !p.disable.empty(), "accepted a phase that changes no flag");
    for (const auto* names : {&p.enable, &p.disable})
      for (const auto& n : *names) FRO_FUZZ_CHECK(flags.count(n), "accepted a phase naming an undeclared flag");
    for (const auto& g : p.gates) FRO_FUZZ_CHECK(gates.count(g), "accepted a phase naming an undeclared gate");
    FRO_FUZZ_CHECK(!p.steps.empty(), "accepted a phase without steps");
    int prev = 0;
    for (const auto& st : p.steps) {
      FRO_FUZZ_CHECK(st.percent >= 1 && st.percent <= 100 && st.percent >= prev, "accepted steps out of 1..100 or order");
      FRO_FUZZ_CHECK(st.pause.count() >= 0, "accepted a negative pause");
      prev = st.percent;
    }
  }
}

// The flag documents of the positions the operator writes (bounded: a spec may have many steps).
void checkDocuments(const RolloutSpec& s) {
  std::vector<Position> positions{{Position::Mode::Completed}, {Position::Mode::Aborted}};
  for (int p = 0; p < static_cast<int>(s.phases.size()); ++p) {
    positions.push_back({Position::Mode::RolledBack, p});
    positions.push_back({Position::Mode::NotStarted, p});
    for (int k = 0; k < static_cast<int>(s.phases[p].steps.size()); ++k) positions.push_back({Position::Mode::InProgress, p, k});
  }
  if (positions.size() > 64) positions.resize(64);
  for (const auto& pos : positions) {
    auto values = EffectiveFlags::at(s, pos);
    FRO_FUZZ_CHECK(values.size() == s.flags.size(), "not one value per flag");
    for (const auto& v : values) FRO_FUZZ_CHECK(v.percent >= 0 && v.percent <= 100, "a percent outside 0..100");
    const DocumentMetadata meta{"fuzz/web", 7};
    fro::fuzz::FlagdSchema::checkConfigMap(FlagDocument::configMapData(values, meta), values, meta);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json spec = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded()) return 0;
  std::vector<FieldError> errors;
  auto parsed = RolloutSpec::parse(spec, "web", &errors);
  if (!parsed.ok()) {
    FRO_FUZZ_CHECK(!errors.empty(), "an Error without field errors");
    for (const auto& e : errors) FRO_FUZZ_CHECK(e.field.rfind("spec", 0) == 0, "a field error outside spec: " + e.field);
    return 0;
  }
  FRO_FUZZ_CHECK(errors.empty(), "accepted with field errors");
  checkAccepted(*parsed);
  checkDocuments(*parsed);
  return 0;
}
