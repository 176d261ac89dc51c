#include "runtime/kube/InClusterConfig.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "runtime/kube/Pem.h"
#include "runtime/kube/TokenSource.h"

namespace fro::kube {
namespace {

std::optional<std::string> nonEmpty(const Getenv& env, const std::string& name) {
  auto v = env ? env(name) : InClusterConfig::processEnv(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

std::optional<std::string> InClusterConfig::processEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

bool InClusterConfig::detected(const Getenv& getenv) {
  return nonEmpty(getenv, "KUBERNETES_SERVICE_HOST").has_value();
}

std::string InClusterConfig::joinHostPort(const std::string& host, const std::string& port) {
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (!bracketed && host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<ClusterConfig> InClusterConfig::load(const Options& options) {
  auto host = nonEmpty(options.getenv, "KUBERNETES_SERVICE_HOST");
  auto port = nonEmpty(options.getenv, "KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    std::string missing = !host && !port ? "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT"
                          : !host        ? "KUBERNETES_SERVICE_HOST"
                                         : "KUBERNETES_SERVICE_PORT";
    return Error::notFound(fmt::format("in-cluster configuration unavailable: {} not set (not running in a pod?)", missing));
  }
  int portNumber = 0;
  auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), portNumber);
  if (ec != std::errc() || end != port->data() + port->size() || portNumber < 1 || portNumber > 65535)
    return Error::invalid(fmt::format("in-cluster configuration: KUBERNETES_SERVICE_PORT=\"{}\" is not a port number", *port));

  namespace fs = std::filesystem;
  fs::path dir(options.serviceAccountDir);
  ClusterConfig cfg;
  cfg.inCluster = true;
  cfg.source = dir.string();
  cfg.server = fmt::format("https://{}", joinHostPort(*host, *port));

  cfg.tokenFile = (dir / "token").string();
  auto token = TokenSource::readTokenFile(cfg.tokenFile);
  if (!token.ok()) {
    Error e = token.error();  // keeps its kind and errno
    e.message = fmt::format("in-cluster configuration: service account {}", e.message);
    return e;
  }
  cfg.bearerToken = std::move(token).value();

  std::string caPath = (dir / "ca.crt").string();
  std::ifstream caIn(caPath, std::ios::binary);
  if (!caIn) {
    const int err = errno;
    return Error::system(err, fmt::format("in-cluster configuration: CA {}: cannot read ({})", caPath, std::strerror(err)));
  }
  std::ostringstream ca;
  ca << caIn.rdbuf();
  cfg.tls.caPem = ca.str();
  if (auto bundle = Pem::checkCaBundle(cfg.tls.caPem); !bundle.ok())
    return Error::invalid(fmt::format("in-cluster configuration: CA {}: {}", caPath, bundle.error().message));

  std::ifstream nsIn(dir / "namespace");
  if (nsIn) {
    std::ostringstream ns;
    ns << nsIn.rdbuf();
    std::string n = trim(ns.str());
    if (!n.empty()) cfg.namespace_ = n;
  }
  return cfg;
}

}  // namespace fro::kube
