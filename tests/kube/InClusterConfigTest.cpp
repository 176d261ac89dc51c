// In-cluster configuration from a fake service account directory and a fake environment.
#include <gtest/gtest.h>

#include "runtime/kube/InClusterConfig.h"
#include "tests/kube/FakeEnv.h"
#include "tests/kube/TempDir.h"
#include "tests/kube/TestPki.h"

namespace fro::kube {
namespace {

using fro::testing::FakeEnv;
using fro::testing::TempDir;
using fro::testing::TestPki;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class InClusterConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::time_t now = std::time(nullptr);
    caPem = TestPki::selfSignedCa("kube-ca", now - 3600, now + 86400).certPem;
    dir.write("token", "sa-token-value\n");
    dir.write("ca.crt", caPem);
    dir.write("namespace", "rollouts");
    env.set("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    env.set("KUBERNETES_SERVICE_PORT", "443");
  }
  InClusterConfig::Options options() const {
    InClusterConfig::Options o;
    o.serviceAccountDir = dir.path().string();
    o.getenv = env.getenv();
    return o;
  }

  TempDir dir;
  FakeEnv env;
  std::string caPem;
};

TEST_F(InClusterConfigTest, LoadsServerTokenCaAndNamespace) {
  auto c = InClusterConfig::load(options());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->bearerToken, "sa-token-value");
  EXPECT_EQ(c->tokenFile, dir.file("token"));
  EXPECT_EQ(c->tls.caPem, caPem);
  EXPECT_FALSE(c->tls.insecureSkipVerify);
  EXPECT_TRUE(c->tls.clientCertPem.empty());
  EXPECT_EQ(c->namespace_, "rollouts");
  EXPECT_TRUE(c->inCluster);
  EXPECT_TRUE(c->contextName.empty());
  EXPECT_EQ(c->source, dir.path().string());
}

TEST_F(InClusterConfigTest, BracketsAnIpv6Host) {
  env.set("KUBERNETES_SERVICE_HOST", "fd00:10:96::1");
  env.set("KUBERNETES_SERVICE_PORT", "6443");
  auto c = InClusterConfig::load(options());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://[fd00:10:96::1]:6443");
}

TEST_F(InClusterConfigTest, JoinHostPortLikeGo) {
  EXPECT_EQ(InClusterConfig::joinHostPort("10.0.0.1", "443"), "10.0.0.1:443");
  EXPECT_EQ(InClusterConfig::joinHostPort("kubernetes.default.svc", "443"), "kubernetes.default.svc:443");
  EXPECT_EQ(InClusterConfig::joinHostPort("::1", "443"), "[::1]:443");
  EXPECT_EQ(InClusterConfig::joinHostPort("[::1]", "443"), "[::1]:443");
}

TEST_F(InClusterConfigTest, MissingHostOrPortIsNamed) {
  env.unset("KUBERNETES_SERVICE_HOST");
  auto noHost = InClusterConfig::load(options());
  ASSERT_FALSE(noHost.ok());
  EXPECT_TRUE(contains(noHost.error().message, "KUBERNETES_SERVICE_HOST not set")) << noHost.error().message;

  env.set("KUBERNETES_SERVICE_HOST", "10.0.0.1");
  env.set("KUBERNETES_SERVICE_PORT", "");  // empty counts as unset
  auto noPort = InClusterConfig::load(options());
  ASSERT_FALSE(noPort.ok());
  EXPECT_TRUE(contains(noPort.error().message, "KUBERNETES_SERVICE_PORT not set")) << noPort.error().message;

  env.unset("KUBERNETES_SERVICE_HOST");
  env.unset("KUBERNETES_SERVICE_PORT");
  auto neither = InClusterConfig::load(options());
  ASSERT_FALSE(neither.ok());
  EXPECT_TRUE(contains(neither.error().message, "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT"))
      << neither.error().message;
  EXPECT_FALSE(InClusterConfig::detected(env.getenv()));
}

TEST_F(InClusterConfigTest, BadPortIsRejected) {
  for (std::string port : {"https", "0", "70000", "443x", "-1"}) {
    env.set("KUBERNETES_SERVICE_PORT", port);
    auto c = InClusterConfig::load(options());
    ASSERT_FALSE(c.ok()) << port;
    EXPECT_TRUE(contains(c.error().message, "\"" + port + "\" is not a port number")) << c.error().message;
  }
}

TEST_F(InClusterConfigTest, MissingTokenNamesTheFile) {
  std::filesystem::remove(dir.file("token"));
  auto c = InClusterConfig::load(options());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(c.error().message, dir.file("token"))) << c.error().message;
}

TEST_F(InClusterConfigTest, EmptyTokenIsAnError) {
  dir.write("token", "");
  auto c = InClusterConfig::load(options());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(c.error().message, "empty")) << c.error().message;
}

TEST_F(InClusterConfigTest, MissingOrBadCaNamesTheFile) {
  std::filesystem::remove(dir.file("ca.crt"));
  auto missing = InClusterConfig::load(options());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error().message, dir.file("ca.crt"))) << missing.error().message;

  dir.write("ca.crt", "not a certificate");
  auto bad = InClusterConfig::load(options());
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error().message, dir.file("ca.crt"))) << bad.error().message;
  EXPECT_TRUE(contains(bad.error().message, "not PEM")) << bad.error().message;
}

TEST_F(InClusterConfigTest, NamespaceDefaultsAndIsTrimmed) {
  std::filesystem::remove(dir.file("namespace"));
  auto c = InClusterConfig::load(options());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->namespace_, "default");

  dir.write("namespace", "  team-a\n");
  auto d = InClusterConfig::load(options());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->namespace_, "team-a");
}

TEST_F(InClusterConfigTest, ErrorsNeverContainTheToken) {
  dir.write("ca.crt", "garbage");
  auto c = InClusterConfig::load(options());
  ASSERT_FALSE(c.ok());
  EXPECT_FALSE(contains(c.error().message, "sa-token-value"));
}

}  // namespace
}  // namespace fro::kube
