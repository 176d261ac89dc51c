#pragma once
// Golden files for the plugin's tests. To regenerate after an intended change of output:
//   FRO_UPDATE_GOLDEN=1 ctest --test-dir build-plugin -R '^plugin\.' -LE integration; git diff tests/plugin
// (the tests then write what they got instead of comparing, and pass; review the diff).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace fro::testing {

inline std::string sourcePath(const std::string& rel) { return std::string(FRO_SOURCE_DIR) + "/" + rel; }

inline std::string readFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline bool updatingGolden() {
  const char* v = std::getenv("FRO_UPDATE_GOLDEN");
  return v && *v && std::string(v) != "0";
}

// Compares `actual` with tests/plugin/golden/<name>.
inline void expectGolden(const std::string& actual, const std::string& name) {
  const std::string path = sourcePath("tests/plugin/golden/" + name);
  if (updatingGolden()) {
    std::ofstream(path) << actual;
    return;
  }
  std::ifstream probe(path);
  ASSERT_TRUE(probe.good()) << path << " is missing; create it with FRO_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, readFile(path)) << "output differs from " << path << " (FRO_UPDATE_GOLDEN=1 rewrites it)";
}

}  // namespace fro::testing
