#pragma once
// The operator PROCESS (build-*/bin/feature-rollout-operator) against the local control plane, for
// the fault and at-rest tests of issue 11 (KillMatrixTest, AtRestTest). A copy of what
// OperatorProcessTest.cpp, RolloutFixture.h and ChildProcess.h do, kept apart so those files can
// change without breaking these tests:
//  - the product CRD, a fresh namespace, the chart's own RBAC for that namespace and a
//    ServiceAccount token kubeconfig (never the admin kubeconfig) for the operator;
//  - the operator run with --watch-namespaces <ns>, its JSON log in a file per incarnation;
//  - a ValidatingAdmissionPolicy "fence" on the namespace: only system: users (our ServiceAccount,
//    the control plane's own controllers) may write rollouts, ConfigMaps, workloads and Events
//    there, so another operator watching all namespaces (hack/demo.sh runs one with the admin
//    kubeconfig) cannot act on our rollouts or add writes and Events to what the tests count.
//    The test client itself only creates and deletes; an edit goes through kubectl impersonating a
//    system: user (patchAsSystemUser).
// FRO_KEEP_FAILED=1 leaves a failed test's namespaces, fence and logs in place for a look.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/kube/ApiError.h"
#include "operator/kube/Resource.h"
#include "tests/integration/IntegrationEnv.h"
#include "tests/support/YamlJson.h"

namespace fro::testing::harness {

using json = nlohmann::json;
using kube::Resource;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline long long msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// A loopback port nothing listens on right now (bind to 0, read it back, close).
inline int loopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A child process, stdout and stderr into a log file; SIGKILLed if still running when destroyed.
class Proc {
 public:
  Proc(const std::vector<std::string>& args, std::string logPath) : log_(std::move(logPath)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Proc() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Proc(const Proc&) = delete;
  Proc& operator=(const Proc&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) { ::kill(pid_, sig); }
  std::optional<int> terminate(std::chrono::milliseconds limit) {
    ::kill(pid_, SIGTERM);
    return waitExit(limit);
  }
  std::optional<int> waitExit(std::chrono::milliseconds limit) {
    auto deadline = Clock::now() + limit;
    do {
      if (reap()) return code_;
      std::this_thread::sleep_for(5ms);
    } while (Clock::now() < deadline);
    return reap() ? std::optional<int>(code_) : std::nullopt;
  }
  bool running() { return !reap(); }
  int exitCode() const { return code_; }
  std::string log() const {
    std::ifstream f(log_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  const std::string& logPath() const { return log_; }

 private:
  bool reap() {
    int status = 0;
    if (!exited_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return exited_;
  }
  pid_t pid_ = -1;
  bool exited_ = false;
  int code_ = -1;
  std::string log_;
};

struct ShellResult {
  int rc = -1;
  std::string out;  // stdout and stderr
};

// A shell command (helm, kubectl): its output and exit code.
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

inline std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// One operator process: its ports and its log (one JSON object per line).
struct Operator {
  std::string label;
  int metricsPort = 0, healthPort = 0;
  std::unique_ptr<Proc> proc;

  std::vector<json> records() const {
    std::vector<json> out;
    std::istringstream in(proc->log());
    std::string line;
    while (std::getline(in, line)) {
      auto j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object()) out.push_back(std::move(j));
    }
    return out;
  }
  bool logged(const std::string& msg) const {
    for (auto& r : records())
      if (r.value("msg", "") == msg) return true;
    return false;
  }
  // The last `n` lines of its log, for failure messages.
  std::string tail(size_t n = 40) const {
    std::istringstream in(proc->log());
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    std::string out;
    for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out += lines[i] + "\n";
    return out;
  }
};

class OperatorHarness : public IntegrationTest {
 protected:
  // What the fence's denial says (and how the test sees that it is active).
  virtual std::string fenceOwner() const = 0;

  void SetUp() override {
    IntegrationTest::SetUp();
    if (HasFatalFailure()) return;
    for (const char* tool : {"helm", "kubectl"})
      ASSERT_EQ(sh(std::string("command -v ") + tool).rc, 0)
          << tool << " is not on PATH: eval \"$(hack/cluster.sh env)\" first (hack/test.sh does)";
    ASSERT_NO_FATAL_FAILURE(installCrd());
    ns = createNamespace("rollout");
    releaseNs = createNamespace("fro-system");
    ASSERT_NO_FATAL_FAILURE(fence());
    ASSERT_NO_FATAL_FAILURE(installChartRbac());
    ASSERT_NO_FATAL_FAILURE(writeServiceAccountKubeconfig());
  }

  void TearDown() override {
    if (std::getenv("FRO_KEEP_FAILED") && HasFailure()) {
      std::printf("[ kept   ] namespaces %s and %s, fence %s, operator logs %s/operator-%s-*.log (FRO_KEEP_FAILED)\n",
                  ns.c_str(), releaseNs.c_str(), fenceName.c_str(), ::testing::TempDir().c_str(), ns.c_str());
      for (auto& op : operators)
        if (op->proc->running()) (void)op->proc->terminate(10s);
      return;
    }
    // Rollouts go first while an operator can still finalize them, then the process, then the
    // fence; whatever finalizer is left is stripped so the namespace can go.
    if (client && !ns.empty() && !kubeconfig.empty()) {
      if (current() == nullptr || !current()->proc->running()) startOperator("teardown");
      if (auto l = client->list(Resource::featureRollouts(), ns); l.ok())
        for (auto& fr : (*l)["items"]) (void)client->remove(Resource::featureRollouts(), ns, fr["metadata"].value("name", ""));
      for (auto until = Clock::now() + 10s; Clock::now() < until;) {
        auto l = client->list(Resource::featureRollouts(), ns);
        if (!l.ok() || (*l)["items"].empty()) break;
        std::this_thread::sleep_for(100ms);
      }
    }
    for (auto& op : operators)
      if (op->proc->running()) (void)op->proc->terminate(10s);
    operators.clear();
    if (!fenceName.empty()) {
      (void)client->remove(Resource{"admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", false}, "",
                           fenceName);
      (void)client->remove(Resource{"admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", false}, "",
                           fenceName);
    }
    if (client && !ns.empty())
      if (auto l = client->list(Resource::featureRollouts(), ns); l.ok())
        for (auto& fr : (*l)["items"])
          (void)client->patch(Resource::featureRollouts(), ns, fr["metadata"].value("name", ""), kube::PatchType::Merge,
                              {{"metadata", {{"finalizers", nullptr}}}});
    if (!kubeconfig.empty()) std::filesystem::remove(kubeconfig);
    if (!rbacFile.empty()) std::filesystem::remove(rbacFile);
    IntegrationTest::TearDown();
  }

  void installCrd() {
    json crd = yamlFileToJson(std::string(FRO_SOURCE_DIR) + "/crds/featurerollouts.rollouts.featureflags.dev.yaml");
    Resource crds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};
    auto applied = client->apply(crds, crd, "fro-integration-tests");
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    for (int i = 0; i < 100; ++i) {
      if (client->list(Resource::featureRollouts(), "default").ok()) return;
      std::this_thread::sleep_for(100ms);
    }
    FAIL() << "FeatureRollout resource not served";
  }

  void fence() {
    fenceName = "fro-fence-" + ns;
    json policy = {
        {"apiVersion", "admissionregistration.k8s.io/v1"},
        {"kind", "ValidatingAdmissionPolicy"},
        {"metadata", {{"name", fenceName}}},
        {"spec",
         {{"failurePolicy", "Fail"},
          {"matchConstraints",
           {{"namespaceSelector",
             {{"matchExpressions", {{{"key", "kubernetes.io/metadata.name"}, {"operator", "In"}, {"values", {ns}}}}}}},
            {"resourceRules",
             {{{"apiGroups", {"rollouts.featureflags.dev"}},
               {"apiVersions", {"*"}},
               {"operations", {"UPDATE"}},
               {"resources", {"featurerollouts", "featurerollouts/status"}}},
              {{"apiGroups", {"apps"}},
               {"apiVersions", {"*"}},
               {"operations", {"UPDATE"}},
               {"resources", {"deployments", "statefulsets", "daemonsets"}}},
              {{"apiGroups", {""}},
               {"apiVersions", {"*"}},
               {"operations", {"CREATE", "UPDATE"}},
               {"resources", {"configmaps", "events"}}}}}}},
          {"matchConditions",
           {{{"name", "not-a-system-user"}, {"expression", "!request.userInfo.username.startsWith(\"system:\")"}}}},
          {"validations",
           {{{"expression", "false"},
             {"message", "fenced by " + fenceOwner() + ": only the operator under test writes in this namespace"}}}}}}};
    auto p = client->create(Resource{"admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", false}, "", policy);
    ASSERT_TRUE(p.ok()) << p.error().message;
    json binding = {{"apiVersion", "admissionregistration.k8s.io/v1"},
                    {"kind", "ValidatingAdmissionPolicyBinding"},
                    {"metadata", {{"name", fenceName}}},
                    {"spec", {{"policyName", fenceName}, {"validationActions", {"Deny"}}}}};
    auto b = client->create(Resource{"admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", false}, "",
                            binding);
    ASSERT_TRUE(b.ok()) << b.error().message;
    json probe = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "fence-probe"}}}};
    for (auto deadline = Clock::now() + 20s; Clock::now() < deadline;) {
      auto c = client->create(Resource::configMaps(), ns, probe);
      if (!c.ok() && c.error().message.find("fenced by " + fenceOwner()) != std::string::npos) return;
      if (c.ok()) (void)client->remove(Resource::configMaps(), ns, "fence-probe");
      std::this_thread::sleep_for(200ms);
    }
    FAIL() << "the admission fence on " << ns << " did not become active within 20s";
  }

  // The chart's ServiceAccount and RBAC for watchNamespaces={ns}, applied as `helm template` renders them.
  void installChartRbac() {
    std::string chart = std::string(FRO_SOURCE_DIR) + "/charts/feature-rollout-operator";
    rbacFile = std::string(::testing::TempDir()) + "/rbac-" + ns + ".yaml";
    auto r = sh("helm template fro '" + chart + "' --namespace " + releaseNs + " --set 'watchNamespaces={" + ns +
                "}' --show-only templates/serviceaccount.yaml --show-only templates/rbac.yaml > '" + rbacFile + "'");
    ASSERT_EQ(r.rc, 0) << r.out;
    auto a = sh("kubectl apply -f '" + rbacFile + "'");
    ASSERT_EQ(a.rc, 0) << a.out;
  }

  // A TokenRequest token of the chart's ServiceAccount, with the cluster's server and CA.
  void writeServiceAccountKubeconfig() {
    auto t = sh("kubectl create token " + sa + " -n " + releaseNs + " --duration=1h");
    ASSERT_EQ(t.rc, 0) << t.out;
    std::string token = trimmed(t.out);
    ASSERT_EQ(std::count(token.begin(), token.end(), '.'), 2) << "not a JWT";
    json admin = yamlFileToJson(env("KUBECONFIG"));
    std::string ctx = admin.value("current-context", "");
    std::string clusterName;
    for (auto& c : admin["contexts"])
      if (c["name"] == ctx) clusterName = c["context"]["cluster"];
    json cluster;
    for (auto& c : admin["clusters"])
      if (c["name"] == clusterName) cluster = c["cluster"];
    ASSERT_TRUE(cluster.is_object()) << "no cluster for context " << ctx << " in $KUBECONFIG";
    std::string server = cluster.value("server", "");
    ASSERT_TRUE(server.rfind("https://127.0.0.1:", 0) == 0 || server.rfind("https://localhost:", 0) == 0)
        << "the API server is not on loopback: " << server;
    std::string caLine;
    if (cluster.contains("certificate-authority-data"))
      caLine = "    certificate-authority-data: " + cluster["certificate-authority-data"].get<std::string>();
    else {
      std::filesystem::path ca = cluster.value("certificate-authority", "");
      if (ca.is_relative()) ca = std::filesystem::path(env("KUBECONFIG")).parent_path() / ca;
      caLine = "    certificate-authority: " + ca.string();
    }
    kubeconfig = std::string(::testing::TempDir()) + "/kubeconfig-" + ns;
    {
      std::ofstream k(kubeconfig);
      k << "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: " << server << "\n"
        << caLine << "\nusers:\n- name: " << sa << "\n  user:\n    token: " << token
        << "\ncontexts:\n- name: sa\n  context: {cluster: local, user: " << sa << "}\ncurrent-context: sa\n";
    }
    ::chmod(kubeconfig.c_str(), 0600);
  }

  // A new operator process (the previous one must have exited), restricted to the test namespace.
  Operator& startOperator(const std::string& label, const std::vector<std::string>& extra = {}) {
    auto op = std::make_unique<Operator>();
    op->label = label;
    op->metricsPort = loopbackPort();
    op->healthPort = loopbackPort();
    std::string logPath = std::string(::testing::TempDir()) + "/operator-" + ns + "-" + label + ".log";
    std::vector<std::string> args{FRO_OPERATOR_BIN,
                                  "--kubeconfig", kubeconfig,
                                  "--watch-namespaces", ns,
                                  "--metrics-bind-address", "127.0.0.1:" + std::to_string(op->metricsPort),
                                  "--health-probe-bind-address", "127.0.0.1:" + std::to_string(op->healthPort),
                                  "--log-format", "json",
                                  "--shutdown-timeout", "5s"};
    args.insert(args.end(), extra.begin(), extra.end());
    op->proc = std::make_unique<Proc>(args, logPath);
    operators.push_back(std::move(op));
    return *operators.back();
  }
  Operator* current() { return operators.empty() ? nullptr : operators.back().get(); }

  // It logged "running" (after its caches synced).
  bool waitRunning(Operator& op, std::chrono::milliseconds limit = 20s) {
    for (auto deadline = Clock::now() + limit; Clock::now() < deadline;) {
      if (op.logged("running")) return true;
      if (!op.proc->running()) return false;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  void createDeployment(const std::string& name, int replicas = 1) {
    json d = {{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", name}}},
              {"spec",
               {{"replicas", replicas},
                {"selector", {{"matchLabels", {{"app", name}}}}},
                {"template",
                 {{"metadata", {{"labels", {{"app", name}}}}},
                  {"spec", {{"containers", {{{"name", "app"}, {"image", "registry.invalid/" + name + ":1"}}}}}}}}}}};
    auto r = client->create(Resource::deployments(), ns, d);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  json createRollout(const json& spec, const std::string& name) {
    json fr = {{"apiVersion", "rollouts.featureflags.dev/v1alpha1"},
               {"kind", "FeatureRollout"},
               {"metadata", {{"name", name}}},
               {"spec", spec}};
    auto r = client->create(Resource::featureRollouts(), ns, fr);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : json();
  }

  // Edits go through kubectl as a system: user (the fence lets only those write here).
  ShellResult patchAsSystemUser(const std::string& resource, const std::string& name, const json& mergePatch) {
    return sh("kubectl patch " + resource + " " + name + " -n " + ns + " --type merge -p '" + mergePatch.dump() +
              "' --as system:fro-test-editor --as-group system:masters");
  }

  json rollout(const std::string& name) {
    auto r = client->get(Resource::featureRollouts(), ns, name);
    return r.ok() ? *r : json();
  }

  // core/v1 Events of one object in the test namespace.
  std::vector<json> eventsOf(const std::string& name) {
    kube::ListOptions lo;
    lo.fieldSelector = "involvedObject.name=" + name;
    auto l = client->list(Resource::coreEvents(), ns, lo);
    std::vector<json> out;
    if (l.ok())
      for (auto& e : (*l)["items"]) out.push_back(e);
    return out;
  }

  std::string ns, releaseNs, fenceName, rbacFile, kubeconfig;
  const std::string sa = "fro-feature-rollout-operator";
  std::vector<std::unique_ptr<Operator>> operators;
};

}  // namespace fro::testing::harness
