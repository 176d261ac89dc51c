#include "tests/http/TestServer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

extern char** environ;

namespace fro::testing {

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "TestServer: " << what << std::endl;
  std::abort();
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("cannot read " + path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TestServer::TestServer(const std::string& script, int startTimeoutMs) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) fail("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  std::vector<std::string> args = {"python3", "-u", script};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = posix_spawnp(&pid_, "python3", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (rc != 0) fail("cannot start python3 " + script);
  stdinFd_ = in[1];
  stdoutFd_ = out[0];

  // Wait for the one JSON line announcing the ports.
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(startTimeoutMs);
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) fail("not ready within " + std::to_string(startTimeoutMs) + " ms");
    pollfd p{stdoutFd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[512];
    ssize_t n = read(stdoutFd_, buf, sizeof buf);
    if (n <= 0) fail("exited before becoming ready");
    line.append(buf, static_cast<size_t>(n));
  }
  auto j = nlohmann::json::parse(line.substr(0, line.find('\n')), nullptr, false);
  if (j.is_discarded() || j.contains("error")) fail("failed to start: " + line);
  httpPort = j.at("http");
  httpsPort = j.at("https");
  mtlsPort = j.at("mtls");
  mtls13Port = j.at("mtls13");
  namedPort = j.at("named");
  const std::string dir = j.at("dir");
  caPem = readFile(dir + "/ca.crt");
  otherCaPem = readFile(dir + "/other-ca.crt");
  clientCertPem = readFile(dir + "/client.crt");
  clientKeyPem = readFile(dir + "/client.key");
}

TestServer::~TestServer() {
  if (stdinFd_ >= 0) close(stdinFd_);  // the server exits on EOF and removes its temp dir
  if (pid_ > 0) {
    int status = 0;
    for (int i = 0; i < 100; ++i) {  // up to ~2 s for a clean exit, then insist
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      usleep(20000);
    }
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, &status, 0);
    }
  }
  if (stdoutFd_ >= 0) close(stdoutFd_);
}

int unusedPort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    fail("cannot find an unused port");
  int port = ntohs(a.sin_port);
  close(s);
  return port;
}

}  // namespace fro::testing
