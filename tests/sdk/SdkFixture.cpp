// Writes what the SDK compatibility tests feed to third-party OpenFeature code (tests/sdk):
//   flags-<P>.json  the flags.flagd.json value the operator writes (FlagDocument::configMapData)
//                   with the flag at P percent, plus the flag-set metadata object the operator is
//                   to stamp ({"rollout": "<ns>/<name>", "revision": N}) when it does not yet;
//   fixture.json    the flag key, the percents, the user keys (ASCII and non-ASCII) and, per
//                   engine and percent, which users fro::rollout::Bucketing says have the flag;
//                   the same for flagd's published vectors (flag "fractional-flag", also in the
//                   documents at P percent).
// Usage: fro_sdk_fixture OUTDIR
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rollout/planner/Bucketing.h"
#include "rollout/planner/FlagDocument.h"

using fro::rollout::Bucketing;
using fro::rollout::FlagDocument;
using fro::rollout::FlagValue;
using nlohmann::json;

namespace {

constexpr const char* kFlag = "unified_workflow_ai_generation";
constexpr int kUsers = 20000;
// flagd's published fractional vectors (docs/DESIGN.md section 4): flag key "fractional-flag".
constexpr const char* kVectorFlag = "fractional-flag";
const char* const kVectorUsers[] = {"jack", "queen", "ten", "nine", "3"};
const int kPercents[] = {0, 10, 50, 100};

std::vector<std::string> asciiUsers() {
  std::vector<std::string> u;
  for (int i = 1; i <= kUsers; ++i) u.push_back(fmt::format("user-{:05d}", i));
  return u;
}

// Latin-1 (2 UTF-8 bytes, one UTF-16 unit below 0x100), Cyrillic, CJK (3 bytes), an emoji
// (4 bytes, a UTF-16 surrogate pair) and mixed: where hashing "characters" and hashing UTF-8 differ.
std::vector<std::string> nonAsciiUsers() {
  const char* forms[] = {"us\u00e9r-{:05d}", "\u043f\u043e\u043b\u044c\u0437\u043e\u0432\u0430\u0442\u0435\u043b\u044c-{:05d}",
                         "\u7528\u6237-{:05d}", "\U0001F464-{:05d}", "\u00dcn\u00efc\u00f8d\u00e9-user-{:05d}"};
  std::vector<std::string> u;
  for (int i = 1; i <= kUsers; ++i) u.push_back(fmt::format(fmt::runtime(forms[i % 5]), i));
  return u;
}

bool writeFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) std::fprintf(stderr, "fro_sdk_fixture: cannot write %s\n", path.c_str());
  return bool(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fro_sdk_fixture OUTDIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  json fixture = {{"flag", kFlag}, {"percents", json::array()}, {"documents", json::object()}, {"metadata", json::object()}};
  int revision = 0;
  for (int p : kPercents) {
    // A second flag, so the document is a real multi-flag one and the lookup is by key.
    std::vector<FlagValue> flags = {{kFlag, "UNIFIED_WORKFLOW_AI_GENERATION", p},
                                    {"unified_workflow_core", "UNIFIED_WORKFLOW_CORE", 30},
                                    {kVectorFlag, "FRACTIONAL_FLAG", p}};
    json doc = json::parse(FlagDocument::configMapData(flags).at(FlagDocument::kFlagdKey));
    if (!doc.contains("metadata")) doc["metadata"] = {{"rollout", "sdk-compat/unified-workflow"}, {"revision", ++revision}};
    const std::string name = fmt::format("flags-{}.json", p);
    if (!writeFile(dir + "/" + name, doc.dump(2) + "\n")) return 1;
    fixture["percents"].push_back(p);
    fixture["documents"][std::to_string(p)] = name;
    fixture["metadata"][std::to_string(p)] = doc["metadata"];
  }
  const auto ascii = asciiUsers(), other = nonAsciiUsers();
  fixture["users"] = {{"ascii", ascii}, {"nonAscii", other}};
  fixture["vectors"] = {{"flag", kVectorFlag}, {"users", kVectorUsers}};
  for (auto e : {Bucketing::Engine::Murmur3, Bucketing::Engine::Cbor}) {
    json byPercent = json::object();
    for (int p : kPercents) {
      std::string bits;  // one '1'/'0' per user: ascii first, then nonAscii
      for (const auto* set : {&ascii, &other})
        for (const auto& u : *set) bits += Bucketing::inRollout(kFlag, u, p, e) ? '1' : '0';
      byPercent[std::to_string(p)] = bits;
      std::string vectorBits;
      for (const char* u : kVectorUsers) vectorBits += Bucketing::inRollout(kVectorFlag, u, p, e) ? '1' : '0';
      fixture["vectorsExpected"][Bucketing::toString(e)][std::to_string(p)] = vectorBits;
    }
    fixture["expected"][Bucketing::toString(e)] = byPercent;
  }
  return writeFile(dir + "/fixture.json", fixture.dump() + "\n") ? 0 : 1;
}
