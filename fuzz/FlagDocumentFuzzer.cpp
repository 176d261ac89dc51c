// fro::rollout::FlagDocument for any flag names, env var names and percents derived from the
// bytes: what it writes must always be JSON that parses back with the same flag keys (every name
// flagd can key) and has the structure flagd's flag-definition schema requires, with values that
// agree with the percents (FlagdSchema); same input, byte-identical output.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/FlagdSchema.h"
#include "fuzz/FuzzCheck.h"
#include "rollout/planner/FlagDocument.h"

using fro::rollout::FlagDocument;
using fro::rollout::FlagValue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  fro::rollout::DocumentMetadata meta;
  meta.revision = in.ConsumeBool() ? in.ConsumeIntegral<std::int64_t>() : 0;
  meta.rollout = in.ConsumeRandomLengthString(64);
  std::vector<FlagValue> flags(in.ConsumeIntegralInRange<std::size_t>(0, 12));
  for (auto& f : flags) {
    f.name = in.ConsumeRandomLengthString(48);
    f.envVar = in.ConsumeRandomLengthString(32);
    // Mostly around 0..100, where the document's shape changes; sometimes any int.
    f.percent = in.ConsumeBool() ? in.ConsumeIntegral<int>() : in.ConsumeIntegralInRange(-2, 102);
  }

  const auto cm = FlagDocument::configMapData(flags, meta);
  fro::fuzz::FlagdSchema::checkConfigMap(cm, flags, meta);
  FRO_FUZZ_CHECK(FlagDocument::flagd(flags, meta).dump(2) == cm.at(FlagDocument::kFlagdKey),
                 "flagd() and configMapData() disagree");
  FRO_FUZZ_CHECK(FlagDocument::configMapData(flags, meta) == cm, "the same values gave different data");
  for (auto on : {fro::rollout::RestartOn::Never, fro::rollout::RestartOn::BooleanChange, fro::rollout::RestartOn::EveryChange})
    (void)FlagDocument::restartChecksum(flags, cm, on);
  return 0;
}
