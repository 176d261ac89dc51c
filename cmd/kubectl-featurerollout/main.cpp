// kubectl-featurerollout: the kubectl plugin of the feature-rollout-operator (see Cli.h).
#include <string>
#include <vector>

#include "plugin/Cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  auto env = fro::plugin::Cli::processEnv();
  return fro::plugin::Cli::run(args, env);
}
