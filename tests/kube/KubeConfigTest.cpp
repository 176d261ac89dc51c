// KubeConfig::load against kubeconfig files written to a temp dir, certificates minted at test
// time, a fake environment and a manual clock: every supported field and every refusal.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "runtime/kube/Base64.h"
#include "runtime/kube/KubeConfig.h"
#include "tests/kube/FakeEnv.h"
#include "tests/kube/TempDir.h"
#include "tests/kube/TestPki.h"
#include "tests/support/ManualClock.h"

namespace fro::kube {
namespace {

using fro::testing::FakeEnv;
using fro::testing::ManualClock;
using fro::testing::TempDir;
using fro::testing::TestPki;
using namespace std::chrono_literals;

constexpr std::time_t kDay = 24 * 3600;
constexpr std::time_t kNow = 1'800'000'000;  // ManualClock's wall time: 2027-01-15T08:00:00Z
constexpr const char* kToken = "s3cr3t-token-value";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string indent(const std::string& text, int n) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) out += std::string(static_cast<std::size_t>(n), ' ') + line + "\n";
  return out;
}

std::string b64(const std::string& s) { return Base64::encode(s); }

// A kubeconfig with cluster "c1", user "u1", context "main" (c1/u1, namespace ns) as current
// context, and context "other" (cluster c2, no user).
std::string kubeconfig(const std::string& clusterBody, const std::string& userBody, const std::string& ns = "") {
  std::string doc = "apiVersion: v1\nkind: Config\ncurrent-context: main\nclusters:\n- name: c1\n  cluster:\n" +
                    indent(clusterBody, 4) +
                    "- name: c2\n  cluster:\n    server: https://other.example:6443\n"
                    "    insecure-skip-tls-verify: true\n"
                    "users:\n- name: u1\n  user:\n" +
                    (userBody.empty() ? std::string("    {}\n") : indent(userBody, 4)) +
                    "contexts:\n- name: main\n  context:\n    cluster: c1\n    user: u1\n";
  if (!ns.empty()) doc += "    namespace: " + ns + "\n";
  doc += "- name: other\n  context:\n    cluster: c2\n";
  return doc;
}

class KubeConfigTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca = new TestPki::KeyPair(TestPki::selfSignedCa("test-ca", kNow - 100 * kDay, kNow + 3650 * kDay));
    client = new TestPki::KeyPair(TestPki::clientCert(*ca, "operator", "rollouts", kNow - kDay, kNow + 30 * kDay));
  }
  static void TearDownTestSuite() {
    delete ca;
    delete client;
  }

  void SetUp() override { env.set("HOME", dir.file("home")); }

  KubeConfig::LoadOptions options(const std::string& path = {}) const {
    KubeConfig::LoadOptions o;
    o.kubeconfigPath = path;
    o.getenv = env.getenv();
    o.clock = clock;
    o.serviceAccountDir = dir.file("sa");
    return o;
  }

  Result<ClusterConfig> loadYaml(const std::string& yaml, const std::string& rel = "kube/config") {
    return KubeConfig::load(options(dir.write(rel, yaml)));
  }

  std::string loadError(const std::string& yaml) {
    auto r = loadYaml(yaml);
    EXPECT_FALSE(r.ok()) << "expected an error";
    if (r.ok()) return {};
    // Nothing secret, whatever went wrong.
    EXPECT_FALSE(contains(r.error().message, kToken)) << r.error().message;
    EXPECT_FALSE(contains(r.error().message, "PRIVATE KEY")) << r.error().message;
    EXPECT_FALSE(contains(r.error().message, client->keyPem.substr(40, 30))) << r.error().message;
    return r.error().message;
  }

  void writeServiceAccount() {
    dir.write("sa/token", "sa-token\n");
    dir.write("sa/ca.crt", ca->certPem);
    dir.write("sa/namespace", "operators");
    env.set("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    env.set("KUBERNETES_SERVICE_PORT", "443");
  }

  static TestPki::KeyPair* ca;
  static TestPki::KeyPair* client;
  TempDir dir;
  FakeEnv env;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
};
TestPki::KeyPair* KubeConfigTest::ca = nullptr;
TestPki::KeyPair* KubeConfigTest::client = nullptr;

const std::string kServer = "server: https://127.0.0.1:6443";

// ---- the happy paths, field by field ----

TEST_F(KubeConfigTest, CurrentContextSelectsClusterUserAndNamespace) {
  auto c = loadYaml(kubeconfig(kServer + "\ncertificate-authority-data: " + b64(ca->certPem),
                               std::string("token: ") + kToken, "shop"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://127.0.0.1:6443");
  EXPECT_EQ(c->tls.caPem, ca->certPem);
  EXPECT_FALSE(c->tls.insecureSkipVerify) << "TLS is verified by default";
  EXPECT_TRUE(c->tls.serverName.empty());
  EXPECT_EQ(c->bearerToken, kToken);
  EXPECT_TRUE(c->tokenFile.empty());
  EXPECT_EQ(c->namespace_, "shop");
  EXPECT_EQ(c->contextName, "main");
  EXPECT_EQ(c->source, dir.file("kube/config"));
  EXPECT_FALSE(c->inCluster);
}

TEST_F(KubeConfigTest, ContextOverrideWins) {
  auto path = dir.write("config", kubeconfig(kServer, "", "shop"));
  auto o = options(path);
  o.context = "other";
  auto c = KubeConfig::load(o);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->contextName, "other");
  EXPECT_EQ(c->server, "https://other.example:6443");
  EXPECT_TRUE(c->tls.insecureSkipVerify);
  EXPECT_EQ(c->namespace_, "default") << "context without namespace";
  EXPECT_TRUE(c->bearerToken.empty()) << "context without user: no credentials";
}

TEST_F(KubeConfigTest, NamespaceDefaultsToDefault) {
  auto c = loadYaml(kubeconfig(kServer, ""));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->namespace_, "default");
}

TEST_F(KubeConfigTest, CertificateAuthorityPathIsRelativeToTheKubeconfigDirectory) {
  dir.write("conf/pki/ca.crt", ca->certPem);
  // The process's working directory is elsewhere; the path must resolve against conf/.
  auto c = loadYaml(kubeconfig(kServer + "\ncertificate-authority: pki/ca.crt", ""), "conf/config");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tls.caPem, ca->certPem);
}

TEST_F(KubeConfigTest, CertificateAuthorityAbsolutePath) {
  auto caPath = dir.write("elsewhere/ca.pem", ca->certPem);
  auto c = loadYaml(kubeconfig(kServer + "\ncertificate-authority: " + caPath, ""));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tls.caPem, ca->certPem);
}

TEST_F(KubeConfigTest, CertificateAuthorityDataWinsOverTheFile) {
  auto c = loadYaml(kubeconfig(
      kServer + "\ncertificate-authority: does/not/exist.crt\ncertificate-authority-data: " + b64(ca->certPem), ""));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tls.caPem, ca->certPem);
}

TEST_F(KubeConfigTest, CertificateAuthorityDataMayBeFoldedOverLines) {
  std::string data = b64(ca->certPem);
  std::string folded;
  for (std::size_t i = 0; i < data.size(); i += 64) folded += "  " + data.substr(i, 64) + "\n";
  auto c = loadYaml(kubeconfig(kServer + "\ncertificate-authority-data: >-\n" + folded, ""));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tls.caPem, ca->certPem);
}

TEST_F(KubeConfigTest, InsecureSkipTlsVerifyAndTlsServerName) {
  auto c = loadYaml(kubeconfig(kServer + "\ninsecure-skip-tls-verify: true\ntls-server-name: kubernetes.default", ""));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->tls.insecureSkipVerify);
  EXPECT_EQ(c->tls.serverName, "kubernetes.default");

  auto f = loadYaml(kubeconfig(kServer + "\ninsecure-skip-tls-verify: false", ""));
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_FALSE(f->tls.insecureSkipVerify);
}

TEST_F(KubeConfigTest, ClientCertificateAndKeyFilesRelativeToTheKubeconfig) {
  dir.write("kube/certs/client.crt", client->certPem);
  dir.write("kube/certs/client.key", client->keyPem);
  auto c = loadYaml(
      kubeconfig(kServer, "client-certificate: certs/client.crt\nclient-key: ./certs/../certs/client.key"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tls.clientCertPem, client->certPem);
  EXPECT_EQ(c->tls.clientKeyPem, client->keyPem);
  EXPECT_TRUE(c->bearerToken.empty());
}

TEST_F(KubeConfigTest, ClientCertificateAndKeyData) {
  auto c = loadYaml(kubeconfig(kServer, "client-certificate-data: " + b64(client->certPem) +
                                            "\nclient-key-data: " + b64(client->keyPem)));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tls.clientCertPem, client->certPem);
  EXPECT_EQ(c->tls.clientKeyPem, client->keyPem);
}

TEST_F(KubeConfigTest, TokenFileIsResolvedReadAndKeptForRotation) {
  dir.write("kube/tokens/op", std::string(kToken) + "\n");
  auto c = loadYaml(kubeconfig(kServer, "tokenFile: tokens/op"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tokenFile, dir.file("kube/tokens/op"));
  EXPECT_EQ(c->bearerToken, kToken) << "read once at load time";
}

TEST_F(KubeConfigTest, TokenAndTokenFileTogether) {
  // Like client-go: the static token is the fallback, the file need not exist yet.
  auto c = loadYaml(kubeconfig(kServer, "token: static-one\ntokenFile: /nonexistent/token"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->bearerToken, "static-one");
  EXPECT_EQ(c->tokenFile, "/nonexistent/token");
}

TEST_F(KubeConfigTest, ServerTrailingSlashIsDroppedAndPathPrefixKept) {
  auto c = loadYaml(kubeconfig("server: https://proxy.example/k8s/clusters/c-1/", ""));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://proxy.example/k8s/clusters/c-1");

  auto h = loadYaml(kubeconfig("server: HTTP://localhost:8080/", ""));
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->server, "http://localhost:8080");

  auto v6 = loadYaml(kubeconfig("server: https://[::1]:6443", ""));
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->server, "https://[::1]:6443");
}

TEST_F(KubeConfigTest, ParseFromMemoryResolvesAgainstTheGivenDirectory) {
  dir.write("mem/ca.crt", ca->certPem);
  auto c = KubeConfig::parse(kubeconfig(kServer + "\ncertificate-authority: ca.crt", ""), "<inline>",
                             dir.file("mem"), options());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tls.caPem, ca->certPem);
  EXPECT_EQ(c->source, "<inline>");
}

// ---- where the kubeconfig comes from ----

TEST_F(KubeConfigTest, KubeconfigEnvironmentVariable) {
  auto path = dir.write("a/config", kubeconfig(kServer, ""));
  env.set("KUBECONFIG", path);
  auto c = KubeConfig::load(options());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->source, path);
}

TEST_F(KubeConfigTest, ExplicitPathBeatsTheEnvironment) {
  env.set("KUBECONFIG", dir.write("env/config", kubeconfig("server: https://from-env:1", "")));
  auto c = KubeConfig::load(options(dir.write("flag/config", kubeconfig("server: https://from-flag:1", ""))));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://from-flag:1");
}

TEST_F(KubeConfigTest, KubeconfigListIsMergedFirstDefinitionWins) {
  // File a: current-context, context and cluster c1 (CA path relative to a/). File b: another
  // current-context (ignored), a redefinition of c1 (ignored) and the user, whose tokenFile is
  // relative to b/. The list also holds a missing file, an empty entry and a repeat.
  auto a = dir.write("a/config",
                     "current-context: merged\n"
                     "clusters:\n- name: c1\n  cluster:\n    server: https://a.example:6443\n"
                     "    certificate-authority: ca.crt\n"
                     "contexts:\n- name: merged\n  context: {cluster: c1, user: u-from-b, namespace: team}\n");
  dir.write("a/ca.crt", ca->certPem);
  auto b = dir.write("b/config",
                     "current-context: ignored\n"
                     "clusters:\n- name: c1\n  cluster:\n    server: https://b.example:6443\n"
                     "users:\n- name: u-from-b\n  user:\n    tokenFile: token\n");
  dir.write("b/token", "tok-b");
  env.set("KUBECONFIG", a + ":" + dir.file("missing/config") + "::" + b + ":" + a);
  auto c = KubeConfig::load(options());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->contextName, "merged");
  EXPECT_EQ(c->server, "https://a.example:6443");
  EXPECT_EQ(c->tls.caPem, ca->certPem);
  EXPECT_EQ(c->tokenFile, dir.file("b/token")) << "relative to the file that defined the user";
  EXPECT_EQ(c->bearerToken, "tok-b");
  EXPECT_EQ(c->namespace_, "team");
  EXPECT_EQ(c->source, a + ":" + b) << "missing entries skipped, duplicates dropped";
}

TEST_F(KubeConfigTest, SplitPathList) {
  EXPECT_EQ(KubeConfig::splitPathList("a:b::c:a:"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(KubeConfig::splitPathList("").empty());
  EXPECT_TRUE(KubeConfig::splitPathList(":::").empty());
}

TEST_F(KubeConfigTest, KubeconfigListWithNoExistingFile) {
  env.set("KUBECONFIG", dir.file("x") + ":" + dir.file("y"));
  auto c = KubeConfig::load(options());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(c.error().message, "KUBECONFIG names no existing file")) << c.error().message;
  EXPECT_TRUE(contains(c.error().message, dir.file("x")));
  EXPECT_TRUE(contains(c.error().message, dir.file("y")));
}

TEST_F(KubeConfigTest, HomeKubeConfigIsTheDefault) {
  dir.write("home/.kube/config", kubeconfig(kServer, "", "home-ns"));
  auto c = KubeConfig::load(options());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->namespace_, "home-ns");
  EXPECT_EQ(c->source, dir.file("home/.kube/config"));
}

TEST_F(KubeConfigTest, PreferInClusterUsesTheServiceAccountWhenInAPod) {
  dir.write("home/.kube/config", kubeconfig(kServer, ""));
  writeServiceAccount();
  auto o = options();
  o.preferInCluster = true;
  auto c = KubeConfig::load(o);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->inCluster);
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->namespace_, "operators");
  EXPECT_EQ(c->tokenFile, dir.file("sa/token"));

  o.preferInCluster = false;
  auto k = KubeConfig::load(o);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_FALSE(k->inCluster) << "without the preference ~/.kube/config comes first";
}

TEST_F(KubeConfigTest, PreferInClusterOutsideAPodFallsBackToHomeConfig) {
  dir.write("home/.kube/config", kubeconfig(kServer, ""));
  auto o = options();
  o.preferInCluster = true;
  auto c = KubeConfig::load(o);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->inCluster);
}

TEST_F(KubeConfigTest, PreferInClusterDoesNotOverrideKubeconfigOrContext) {
  writeServiceAccount();
  auto o = options(dir.write("flag/config", kubeconfig(kServer, "")));
  o.preferInCluster = true;
  auto flag = KubeConfig::load(o);
  ASSERT_TRUE(flag.ok()) << flag.error().message;
  EXPECT_FALSE(flag->inCluster);

  dir.write("home/.kube/config", kubeconfig(kServer, ""));
  auto o2 = options();
  o2.preferInCluster = true;
  o2.context = "other";
  auto ctx = KubeConfig::load(o2);
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_FALSE(ctx->inCluster);
  EXPECT_EQ(ctx->contextName, "other");
}

TEST_F(KubeConfigTest, InClusterIsTheLastResort) {
  writeServiceAccount();
  auto c = KubeConfig::load(options());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->inCluster);
}

TEST_F(KubeConfigTest, NothingFoundExplainsEverySource) {
  auto c = KubeConfig::load(options());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(c.error().message, dir.file("home/.kube/config") + " does not exist")) << c.error().message;
  EXPECT_TRUE(contains(c.error().message, "KUBECONFIG is not set"));
  EXPECT_TRUE(contains(c.error().message, "KUBERNETES_SERVICE_HOST is not set"));

  env.unset("HOME");
  auto noHome = KubeConfig::load(options());
  ASSERT_FALSE(noHome.ok());
  EXPECT_TRUE(contains(noHome.error().message, "HOME is not set")) << noHome.error().message;
}

TEST_F(KubeConfigTest, MountedServiceAccountWithoutTheVariablesNamesThem) {
  // The token is mounted but KUBERNETES_SERVICE_HOST/PORT are missing: that is the error, not
  // "nothing found", and not ~/.kube/config when in-cluster is preferred.
  dir.write("sa/token", "sa-token\n");
  dir.write("sa/ca.crt", ca->certPem);
  auto c = KubeConfig::load(options());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(c.error().message, "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT not set"))
      << c.error().message;
  EXPECT_FALSE(contains(c.error().message, "sa-token")) << c.error().message;

  dir.write("home/.kube/config", kubeconfig(kServer, ""));
  auto o = options();
  o.preferInCluster = true;
  auto preferred = KubeConfig::load(o);
  ASSERT_FALSE(preferred.ok());
  EXPECT_TRUE(contains(preferred.error().message, "KUBERNETES_SERVICE_HOST")) << preferred.error().message;

  o.preferInCluster = false;
  auto home = KubeConfig::load(o);
  ASSERT_TRUE(home.ok()) << home.error().message;
  EXPECT_FALSE(home->inCluster);
}

TEST_F(KubeConfigTest, NothingFoundNamesTheServiceAccountToken) {
  auto c = KubeConfig::load(options());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(c.error().message, "no service account token " + dir.file("sa/token")))
      << c.error().message;
}

TEST_F(KubeConfigTest, RequestedContextWithoutAnyKubeconfig) {
  writeServiceAccount();
  auto o = options();
  o.context = "prod";
  auto c = KubeConfig::load(o);
  ASSERT_FALSE(c.ok()) << "a context cannot be honoured in-cluster";
  EXPECT_TRUE(contains(c.error().message, "context \"prod\" was requested")) << c.error().message;
}

TEST_F(KubeConfigTest, InClusterErrorsComeThroughLoad) {
  env.set("KUBERNETES_SERVICE_HOST", "10.0.0.1");  // no port, no service account
  auto o = options();
  o.preferInCluster = true;
  auto c = KubeConfig::load(o);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(c.error().message, "KUBERNETES_SERVICE_PORT not set")) << c.error().message;
}

// ---- refusals ----

TEST_F(KubeConfigTest, MissingFileNamesThePath) {
  auto path = dir.file("nowhere/config");
  auto c = KubeConfig::load(options(path));
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(c.error().message, path)) << c.error().message;
  EXPECT_TRUE(contains(c.error().message, "No such file")) << c.error().message;
}

TEST_F(KubeConfigTest, DirectoryIsNotAKubeconfig) {
  std::filesystem::create_directories(dir.file("adir"));
  auto c = KubeConfig::load(options(dir.file("adir")));
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(c.error().message, "is a directory")) << c.error().message;
  EXPECT_EQ(c.error().kind, ErrorKind::System);
}

TEST_F(KubeConfigTest, YamlSyntaxErrorNamesFileAndLine) {
  std::string msg = loadError("apiVersion: v1\nclusters:\n- name: c1\n  cluster: [unclosed\nusers: []\n");
  EXPECT_TRUE(contains(msg, dir.file("kube/config"))) << msg;
  EXPECT_TRUE(contains(msg, "YAML syntax error at line")) << msg;
  auto bad = KubeConfig::parse("clusters:\n- name: c1\n  cluster: [unclosed\n", "inline", "", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::Invalid);

  // A syntax error right after a token: the message locates it without quoting the document.
  std::string near = loadError("current-context: a\nusers:\n- name: u\n  user:\n    token: " + std::string(kToken) +
                               "\n    other: [x\n  bad: y\n");
  EXPECT_TRUE(contains(near, "YAML syntax error at line")) << near;
}

TEST_F(KubeConfigTest, YamlErrorsDoNotQuoteTheDocument) {
  // yaml-cpp appends the offending character or code point to some messages; inside a quoted
  // token that would be a piece of the secret.
  std::string escape = loadError("users:\n- name: u\n  user:\n    token: \"abc\\qXYZ\"\n");
  EXPECT_TRUE(contains(escape, "YAML syntax error at line 4")) << escape;
  EXPECT_TRUE(contains(escape, "unknown escape character")) << escape;
  EXPECT_FALSE(contains(escape, "character: q")) << escape;

  std::string unicode = loadError("users:\n- name: u\n  user:\n    token: \"\\uD800\"\n");
  EXPECT_TRUE(contains(unicode, "invalid unicode")) << unicode;
  EXPECT_FALSE(contains(unicode, "55296")) << unicode;
}

TEST_F(KubeConfigTest, YamlSyntaxErrorLineIsAccurate) {
  std::string msg = loadError("current-context: a\nclusters: []\nusers: []\nkey: value: other\n");
  EXPECT_TRUE(contains(msg, "line 4")) << msg;
}

TEST_F(KubeConfigTest, WrongShapesAreReportedWithLines) {
  EXPECT_TRUE(contains(loadError("- just\n- a list\n"), "not a mapping"));
  std::string list = loadError("current-context: main\nclusters:\n  c1: {server: x}\n");
  EXPECT_TRUE(contains(list, "clusters must be a list")) << list;
  EXPECT_TRUE(contains(list, "line 3")) << list;
  std::string server = loadError(kubeconfig("server:\n  nested: map", ""));
  EXPECT_TRUE(contains(server, "server must be a string")) << server;
  EXPECT_TRUE(contains(server, "cluster \"c1\"")) << server;
  std::string insecure = loadError(kubeconfig(kServer + "\ninsecure-skip-tls-verify: maybe", ""));
  EXPECT_TRUE(contains(insecure, "insecure-skip-tls-verify must be true or false")) << insecure;
  std::string noName = loadError("clusters:\n- cluster: {server: https://x}\n");
  EXPECT_TRUE(contains(noName, "has no name")) << noName;
  std::string body = loadError("users:\n- name: u\n  user: [a, b]\n");
  EXPECT_TRUE(contains(body, "user must be a mapping")) << body;
}

TEST_F(KubeConfigTest, DuplicateNamesInOneFile) {
  std::string msg = loadError(
      "current-context: main\n"
      "clusters:\n- name: c1\n  cluster: {server: https://a}\n- name: c1\n  cluster: {server: https://b}\n");
  EXPECT_TRUE(contains(msg, "two entries named \"c1\" (lines 3 and 5)")) << msg;
}

TEST_F(KubeConfigTest, UnknownContextIsNamedWithTheKnownOnes) {
  auto path = dir.write("config", kubeconfig(kServer, ""));
  auto o = options(path);
  o.context = "prod";
  auto c = KubeConfig::load(o);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(c.error().message, "context \"prod\" not found")) << c.error().message;
  EXPECT_TRUE(contains(c.error().message, "known contexts: \"main\", \"other\"")) << c.error().message;
}

TEST_F(KubeConfigTest, CurrentContextNotSet) {
  std::string msg = loadError("clusters: []\ncontexts:\n- name: only\n  context: {cluster: x}\n");
  EXPECT_TRUE(contains(msg, "current-context is not set")) << msg;
  EXPECT_TRUE(contains(msg, "\"only\"")) << msg;
  std::string empty = loadError("");
  EXPECT_TRUE(contains(empty, "current-context is not set")) << empty;
  EXPECT_TRUE(contains(empty, "no contexts defined")) << empty;
}

TEST_F(KubeConfigTest, ContextReferencingUnknownClusterOrUser) {
  std::string doc = kubeconfig(kServer, "");
  std::string cluster = doc;
  cluster.replace(cluster.find("cluster: c1\n    user"), 11, "cluster: cX");
  std::string msg = loadError(cluster);
  EXPECT_TRUE(contains(msg, "context \"main\": cluster \"cX\" is not defined")) << msg;
  EXPECT_TRUE(contains(msg, "known clusters: \"c1\", \"c2\"")) << msg;

  std::string user = doc;
  user.replace(user.find("user: u1"), 8, "user: uX");
  msg = loadError(user);
  EXPECT_TRUE(contains(msg, "context \"main\": user \"uX\" is not defined")) << msg;
  EXPECT_TRUE(contains(msg, "known users: \"u1\"")) << msg;

  msg = loadError("current-context: n\ncontexts:\n- name: n\n  context: {user: u}\n");
  EXPECT_TRUE(contains(msg, "context \"n\": names no cluster")) << msg;
}

TEST_F(KubeConfigTest, BadBase64NamesTheField) {
  std::string caMsg = loadError(kubeconfig(kServer + "\ncertificate-authority-data: not*base64", ""));
  EXPECT_TRUE(contains(caMsg, "cluster \"c1\": certificate-authority-data: invalid base64")) << caMsg;

  std::string certMsg = loadError(kubeconfig(
      kServer, "client-certificate-data: abc$def\nclient-key-data: " + b64(client->keyPem)));
  EXPECT_TRUE(contains(certMsg, "user \"u1\": client-certificate-data: invalid base64")) << certMsg;

  std::string keyMsg = loadError(kubeconfig(
      kServer, "client-certificate-data: " + b64(client->certPem) + "\nclient-key-data: " + b64(client->keyPem) + "!"));
  EXPECT_TRUE(contains(keyMsg, "user \"u1\": client-key-data: invalid base64")) << keyMsg;
}

TEST_F(KubeConfigTest, ClientCertificateWithoutKeyAndKeyWithoutCertificate) {
  std::string noKey = loadError(kubeconfig(kServer, "client-certificate-data: " + b64(client->certPem)));
  EXPECT_TRUE(contains(noKey, "user \"u1\": client certificate given without a client key")) << noKey;
  std::string noCert = loadError(kubeconfig(kServer, "client-key-data: " + b64(client->keyPem)));
  EXPECT_TRUE(contains(noCert, "client key given without a client certificate")) << noCert;
}

TEST_F(KubeConfigTest, ExpiredClientCertificateNamesSubjectAndDate) {
  auto expired = TestPki::clientCert(*ca, "old-operator", "rollouts", kNow - 400 * kDay, kNow - 35 * kDay);
  std::string msg = loadError(kubeconfig(kServer, "client-certificate-data: " + b64(expired.certPem) +
                                                      "\nclient-key-data: " + b64(expired.keyPem)));
  EXPECT_TRUE(contains(msg, "user \"u1\": client-certificate-data")) << msg;
  EXPECT_TRUE(contains(msg, "CN=old-operator,O=rollouts")) << msg;
  EXPECT_TRUE(contains(msg, "expired on 2026-12-11T08:00:00Z")) << msg;
}

TEST_F(KubeConfigTest, ExpiryIsJudgedOnTheInjectedClock) {
  std::string doc = kubeconfig(kServer, "client-certificate-data: " + b64(client->certPem) +
                                            "\nclient-key-data: " + b64(client->keyPem));
  ASSERT_TRUE(loadYaml(doc).ok());
  clock->advance(std::chrono::hours(24 * 31));
  std::string msg = loadError(doc);
  EXPECT_TRUE(contains(msg, "expired on")) << msg;
}

TEST_F(KubeConfigTest, NotYetValidClientCertificateFromAFile) {
  auto future = TestPki::clientCert(*ca, "tomorrow", "", kNow + kDay, kNow + 10 * kDay);
  dir.write("kube/f.crt", future.certPem);
  dir.write("kube/f.key", future.keyPem);
  std::string msg = loadError(kubeconfig(kServer, "client-certificate: f.crt\nclient-key: f.key"));
  EXPECT_TRUE(contains(msg, "user \"u1\": client-certificate: certificate (subject CN=tomorrow)")) << msg;
  EXPECT_TRUE(contains(msg, "not valid before 2027-01-16T08:00:00Z")) << msg;
}

TEST_F(KubeConfigTest, ClientKeyThatDoesNotMatch) {
  std::string msg = loadError(kubeconfig(kServer, "client-certificate-data: " + b64(client->certPem) +
                                                      "\nclient-key-data: " + b64(TestPki::newKeyPem())));
  EXPECT_TRUE(contains(msg, "client-key-data: key does not match the certificate")) << msg;
}

TEST_F(KubeConfigTest, ClientCertificateThatIsNotPem) {
  std::string msg = loadError(kubeconfig(kServer, "client-certificate-data: " + b64("hello") +
                                                      "\nclient-key-data: " + b64(client->keyPem)));
  EXPECT_TRUE(contains(msg, "client-certificate-data: not PEM")) << msg;
}

TEST_F(KubeConfigTest, MissingReferencedFilesNameTheirResolvedPaths) {
  std::string caMsg = loadError(kubeconfig(kServer + "\ncertificate-authority: pki/missing.crt", ""));
  EXPECT_TRUE(contains(caMsg, "certificate-authority " + dir.file("kube/pki/missing.crt") + ": cannot read"))
      << caMsg;

  std::string certMsg = loadError(kubeconfig(kServer, "client-certificate: c.crt\nclient-key: c.key"));
  EXPECT_TRUE(contains(certMsg, "client-certificate " + dir.file("kube/c.crt"))) << certMsg;

  std::string tokMsg = loadError(kubeconfig(kServer, "tokenFile: tok"));
  EXPECT_TRUE(contains(tokMsg, "user \"u1\": tokenFile: token file " + dir.file("kube/tok"))) << tokMsg;
}

TEST_F(KubeConfigTest, CertificateAuthorityThatIsNotPem) {
  std::string data = loadError(kubeconfig(kServer + "\ncertificate-authority-data: " + b64("hello world"), ""));
  EXPECT_TRUE(contains(data, "cluster \"c1\": certificate-authority-data: not PEM")) << data;

  dir.write("kube/ca.der", std::string("\x30\x82\x03\x01\x02", 5));
  std::string file = loadError(kubeconfig(kServer + "\ncertificate-authority: ca.der", ""));
  EXPECT_TRUE(contains(file, "cluster \"c1\": certificate-authority: not PEM")) << file;

  // An empty data field does not count: the file is used, and named.
  std::string emptyData =
      loadError(kubeconfig(kServer + "\ncertificate-authority-data: \"\"\ncertificate-authority: ca.der", ""));
  EXPECT_TRUE(contains(emptyData, "cluster \"c1\": certificate-authority: not PEM")) << emptyData;
}

TEST_F(KubeConfigTest, InsecureWithACertificateAuthorityIsContradictory) {
  std::string msg = loadError(
      kubeconfig(kServer + "\ninsecure-skip-tls-verify: true\ncertificate-authority-data: " + b64(ca->certPem), ""));
  EXPECT_TRUE(contains(msg, "certificate-authority-data together with insecure-skip-tls-verify")) << msg;
  dir.write("kube/ca.crt", ca->certPem);
  std::string file =
      loadError(kubeconfig(kServer + "\ninsecure-skip-tls-verify: true\ncertificate-authority: ca.crt", ""));
  EXPECT_TRUE(contains(file, "certificate-authority together with insecure-skip-tls-verify")) << file;
}

TEST_F(KubeConfigTest, EmptyOrMalformedServer) {
  EXPECT_TRUE(contains(loadError(kubeconfig("certificate-authority-data: " + b64(ca->certPem), "")),
                       "cluster \"c1\": server is empty"));
  EXPECT_TRUE(contains(loadError(kubeconfig("server: \"\"", "")), "server is empty"));
  std::string noScheme = loadError(kubeconfig("server: 127.0.0.1:6443", ""));
  EXPECT_TRUE(contains(noScheme, "server \"127.0.0.1:6443\" is not an https:// or http:// URL")) << noScheme;
  EXPECT_TRUE(contains(loadError(kubeconfig("server: ftp://host", "")), "is not an https:// or http:// URL"));
  EXPECT_TRUE(contains(loadError(kubeconfig("server: https://", "")), "has no host"));
  EXPECT_TRUE(contains(loadError(kubeconfig("server: https://h/?x=1", "")), "query or fragment"));
}

TEST_F(KubeConfigTest, ServerCredentialsAreRedactedInMessages) {
  std::string msg = loadError(kubeconfig("server: ftp://admin:hunter2@host:21/x", ""));
  EXPECT_FALSE(contains(msg, "hunter2")) << msg;
  EXPECT_TRUE(contains(msg, "ftp://***@host:21/x")) << msg;
}

TEST_F(KubeConfigTest, UnsupportedAuthenticationIsRefused) {
  std::string exec = loadError(kubeconfig(kServer, "exec:\n  command: gke-gcloud-auth-plugin\n  apiVersion: x"));
  EXPECT_TRUE(contains(exec, "user \"u1\": exec (credential plugin) is not supported")) << exec;
  std::string provider = loadError(kubeconfig(kServer, "auth-provider:\n  name: oidc"));
  EXPECT_TRUE(contains(provider, "auth-provider is not supported")) << provider;
  std::string basic = loadError(kubeconfig(kServer, "username: admin\npassword: " + std::string(kToken)));
  EXPECT_TRUE(contains(basic, "basic auth")) << basic;
}

TEST_F(KubeConfigTest, NoSecretInAnyMessage) {
  // A user with a token and a key that fails to parse: the message names the field only.
  std::string msg = loadError(kubeconfig(
      kServer, std::string("token: ") + kToken + "\nclient-certificate-data: " + b64(client->certPem) +
                   "\nclient-key-data: " + b64("-----BEGIN PRIVATE KEY-----\nAAAA" + std::string(kToken) +
                                               "\n-----END PRIVATE KEY-----\n")));
  EXPECT_TRUE(contains(msg, "client-key-data")) << msg;
  // loadError() already checked that neither the token nor key text appears.
}

}  // namespace
}  // namespace fro::kube
