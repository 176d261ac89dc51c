// Test helper: prints the ConfigMap the operator would write for given flag percents, as JSON
// ({"apiVersion":"v1","kind":"ConfigMap","metadata":{...},"data":{...}}), made by the operator's
// own code (rollout::FlagDocument::configMapData), so the demo app's tests feed the OpenFeature
// SDK exactly the document the operator writes rather than a hand-copied one.
//   fro-flagdoc-gen [--name CM] [--namespace NS] [--rollout NS/NAME --revision N] FLAG=PERCENT...
// With --revision N (N > 0), the flag document gets the top-level "metadata": {"rollout", "revision"}
// the operator's file delivery stamps (rollout::DocumentMetadata).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollout/planner/FlagDocument.h"

int main(int argc, char** argv) {
  using nlohmann::json;
  std::string name = "flags", ns = "default", rollout;
  long revision = -1;
  std::vector<fro::rollout::FlagValue> flags;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "fro-flagdoc-gen: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--name") name = next();
    else if (a == "--namespace") ns = next();
    else if (a == "--rollout") rollout = next();
    else if (a == "--revision") revision = std::strtol(next().c_str(), nullptr, 10);
    else if (auto eq = a.find('='); eq != std::string::npos && eq > 0) {
      std::string flag = a.substr(0, eq);
      std::string env = "FLAG_" + flag;
      for (auto& c : env) c = static_cast<char>(c == '-' || c == '.' ? '_' : std::toupper(static_cast<unsigned char>(c)));
      flags.push_back({flag, env, std::atoi(a.c_str() + eq + 1)});
    } else {
      std::fprintf(stderr, "usage: fro-flagdoc-gen [--name CM] [--namespace NS] [--rollout NS/NAME --revision N] FLAG=PERCENT...\n");
      return 2;
    }
  }
  fro::rollout::DocumentMetadata meta;
  if (revision > 0) meta = {rollout.empty() ? ns + "/" + name : rollout, revision};
  auto data = fro::rollout::FlagDocument::configMapData(flags, meta);
  json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}, {"namespace", ns}}}, {"data", data}};
  std::printf("%s\n", cm.dump(2).c_str());
  return 0;
}
