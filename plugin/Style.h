#pragma once
// Colours for terminal output: on only when stdout is a terminal and NO_COLOR is unset or empty
// (https://no-color.org), or when forced with --color=always. Off, every function returns its
// argument unchanged, so golden tests compare plain text.
#include <string>

namespace fro::plugin {

class Style {
 public:
  explicit Style(bool color = false) : color_(color) {}

  // mode: "auto", "always" or "never"; isTerminal and noColor are read from the process by the caller.
  static Style decide(const std::string& mode, bool isTerminal, const char* noColorEnv);

  bool color() const { return color_; }
  std::string bold(const std::string& s) const { return wrap("1", s); }
  std::string dim(const std::string& s) const { return wrap("2", s); }
  std::string red(const std::string& s) const { return wrap("31", s); }
  std::string green(const std::string& s) const { return wrap("32", s); }
  std::string yellow(const std::string& s) const { return wrap("33", s); }
  std::string cyan(const std::string& s) const { return wrap("36", s); }
  // Colour by meaning: states (Succeeded, RolledBack, ...), gate results, condition statuses.
  std::string state(const std::string& s) const;

 private:
  std::string wrap(const char* code, const std::string& s) const {
    return color_ && !s.empty() ? "\033[" + std::string(code) + "m" + s + "\033[0m" : s;
  }
  bool color_;
};

}  // namespace fro::plugin
