#pragma once
// Shell commands for the tests that set a cluster up the way users do (helm, kubectl): the output
// and exit code as values, so a test can assert on them and print them when they fail.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace fro::testing {

struct ShellResult {
  int rc = -1;
  std::string out;  // stdout and stderr
};

inline ShellResult sh(const std::string& cmd) {
  ShellResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Without the trailing newline a command's one-line answer ends with.
inline std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// helm and kubectl come from the cluster's environment, not from the build.
inline void requireHelmAndKubectl() {
  for (const char* tool : {"helm", "kubectl"})
    ASSERT_EQ(sh(std::string("command -v ") + tool).rc, 0)
        << tool << " is not on PATH: eval \"$(hack/cluster.sh env)\" first (hack/test.sh does)";
}

}  // namespace fro::testing
