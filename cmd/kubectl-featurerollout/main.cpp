// kubectl-featurerollout: the kubectl plugin of the feature-rollout-operator (see Cli.h).
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "plugin/Cli.h"

int main(int argc, char** argv) {
  // The plugin reads files from pull requests: whatever it meets, it exits with a message, never
  // with an abort. Every parser returns errors as values; this is the net under them.
  try {
    std::vector<std::string> args(argv, argv + argc);
    auto env = fro::plugin::Cli::processEnv();
    return fro::plugin::Cli::run(args, env);
  } catch (const std::bad_alloc&) {
    std::fputs("Error: out of memory\n", stderr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "Error: internal error: %s (please report it with the input that caused it)\n", e.what());
  } catch (...) {
    std::fputs("Error: internal error (please report it with the input that caused it)\n", stderr);
  }
  return 1;
}
