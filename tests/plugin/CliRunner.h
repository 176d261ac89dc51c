#pragma once
// The plugin's command line run in-process, as the tests drive it: standard input from a string,
// standard output and error captured, a fixed clock and command id, and the cluster connection
// the test gives (none by default).
#include <chrono>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "plugin/Cli.h"

namespace fro::plugin::testing {

struct CliRunner {
  int run(std::vector<std::string> args, const std::string& stdinText = "") {
    args.insert(args.begin(), "kubectl-featurerollout");
    in.str(stdinText);
    in.clear();
    out.str("");
    err.str("");
    Cli::Env env;
    env.in = &in;
    env.out = &out;
    env.err = &err;
    env.now = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1772575200)); };
    env.commandId = [this] { return commandId; };
    env.connect = connect ? connect : [](const ClusterAccess&) -> Result<Connection> {
      return Error::of("no cluster in this test");
    };
    return Cli::run(args, env);
  }

  std::string commandId = "id";
  std::function<Result<Connection>(const ClusterAccess&)> connect;
  std::istringstream in;
  std::ostringstream out, err;
};

}  // namespace fro::plugin::testing
