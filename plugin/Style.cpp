#include "plugin/Style.h"

namespace fro::plugin {

Style Style::decide(const std::string& mode, bool isTerminal, const char* noColorEnv) {
  if (mode == "always") return Style(true);
  if (mode == "never") return Style(false);
  return Style(isTerminal && (noColorEnv == nullptr || *noColorEnv == '\0'));
}

std::string Style::state(const std::string& s) const {
  if (s == "Succeeded" || s == "Passed" || s == "True") return green(s);
  if (s == "Progressing") return cyan(s);
  if (s == "Holding" || s == "Paused" || s == "Warning" || s == "NoData" || s == "Unknown") return yellow(s);
  if (s == "RolledBack" || s == "Invalid" || s == "Critical" || s == "Error") return red(s);
  if (s == "Pending" || s == "False") return dim(s);
  return s;
}

}  // namespace fro::plugin
