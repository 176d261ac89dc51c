#pragma once
// Man-page style --help for kubectl-featurerollout and each of its commands: NAME, SYNOPSIS,
// DESCRIPTION, OPTIONS (each with its default), EXIT STATUS, EXAMPLES, wrapped to 80 columns.
// One table per command, so every option the parser accepts is documented (a test checks both).
#include <string>
#include <vector>

namespace fro::plugin {

struct OptionDoc {
  std::string flags;  // "-n, --namespace NS"
  std::string help;   // ends with "Default: ..."
};

struct CommandDoc {
  std::string name;      // "promote"; "" for the top level
  std::string summary;   // one line
  std::string synopsis;  // usage line(s)
  std::string description;
  std::vector<OptionDoc> options;
  std::vector<std::pair<std::string, std::string>> examples;  // what it does, the command
};

class HelpText {
 public:
  static const std::vector<CommandDoc>& commands();  // every command, in display order
  static const CommandDoc* find(const std::string& name);
  // The whole page for one command ("" = the overview with the list of commands).
  static std::string render(const std::string& name);
};

}  // namespace fro::plugin
