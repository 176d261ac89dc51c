// PEM checks with certificates minted at test time.
#include <gtest/gtest.h>

#include <chrono>

#include "runtime/kube/Pem.h"
#include "tests/kube/TestPki.h"

namespace fro::kube {
namespace {

using fro::testing::TestPki;
using namespace std::chrono_literals;

constexpr std::time_t kDay = 24 * 3600;
// 2027-01-15T08:00:00Z, the ManualClock epoch used across the tests.
constexpr std::time_t kNow = 1'800'000'000;
const Clock::time_point kNowTp = std::chrono::system_clock::from_time_t(kNow);

class PemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca = new TestPki::KeyPair(TestPki::selfSignedCa("test-ca", kNow - 10 * kDay, kNow + 3650 * kDay));
  }
  static void TearDownTestSuite() { delete ca; }
  static TestPki::KeyPair* ca;
};
TestPki::KeyPair* PemTest::ca = nullptr;

TEST_F(PemTest, CaBundleCountsCertificatesAndIgnoresSurroundingText) {
  auto other = TestPki::selfSignedCa("other-ca", kNow - kDay, kNow + kDay);
  auto n = Pem::checkCaBundle("# our CA\n" + ca->certPem + "\n# and another\n" + other.certPem);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 2);
}

TEST_F(PemTest, CaBundleRejectsNonPem) {
  for (std::string bad : {std::string("hello"), std::string(""), std::string("\x30\x82\x01\x0a", 4)}) {
    auto r = Pem::checkCaBundle(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not PEM"), std::string::npos) << r.error().message;
  }
}

TEST_F(PemTest, CaBundleWithOnlyAKeyIsNotACa) {
  auto r = Pem::checkCaBundle(TestPki::newKeyPem());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("CERTIFICATE"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("PRIVATE"), std::string::npos);
}

TEST_F(PemTest, CaBundleWithACorruptBlockIsRejected) {
  std::string broken = ca->certPem;
  broken.replace(broken.find("MII"), 10, "!!!!!!!!!!");
  auto r = Pem::checkCaBundle(ca->certPem + broken);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("#2"), std::string::npos) << r.error().message;
}

TEST_F(PemTest, ValidCertificateReportsSubjectAndDates) {
  auto c = TestPki::clientCert(*ca, "admin", "system:masters", kNow - kDay, kNow + kDay);
  auto info = Pem::checkCertificate(c.certPem, kNowTp);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->subject, "CN=admin,O=system:masters");
  EXPECT_EQ(info->notBefore, "2027-01-14T08:00:00Z");
  EXPECT_EQ(info->notAfter, "2027-01-16T08:00:00Z");
}

TEST_F(PemTest, ExpiredCertificateNamesSubjectAndExpiry) {
  auto c = TestPki::clientCert(*ca, "old-admin", "ops", kNow - 30 * kDay, kNow - 2 * kDay);
  auto r = Pem::checkCertificate(c.certPem, kNowTp);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expired on 2027-01-13T08:00:00Z"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("CN=old-admin,O=ops"), std::string::npos) << r.error().message;
}

TEST_F(PemTest, NotYetValidCertificateNamesStart) {
  auto c = TestPki::clientCert(*ca, "future", "", kNow + kDay, kNow + 10 * kDay);
  auto r = Pem::checkCertificate(c.certPem, kNowTp);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not valid before 2027-01-16T08:00:00Z"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("CN=future"), std::string::npos);
}

TEST_F(PemTest, CertificateCheckUsesTheGivenTime) {
  auto c = TestPki::clientCert(*ca, "admin", "", kNow - kDay, kNow + kDay);
  EXPECT_TRUE(Pem::checkCertificate(c.certPem, kNowTp).ok());
  EXPECT_FALSE(Pem::checkCertificate(c.certPem, kNowTp + 48h).ok());
  EXPECT_FALSE(Pem::checkCertificate(c.certPem, kNowTp - 48h).ok());
}

TEST_F(PemTest, GarbageIsNotACertificate) {
  EXPECT_FALSE(Pem::checkCertificate("not a cert", kNowTp).ok());
  auto r = Pem::checkCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", kNowTp);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a parseable"), std::string::npos) << r.error().message;
}

TEST_F(PemTest, KeyPairMustMatch) {
  auto c = TestPki::clientCert(*ca, "admin", "", kNow - kDay, kNow + kDay);
  EXPECT_TRUE(Pem::checkKeyPair(c.certPem, c.keyPem).ok());
  std::string otherKey = TestPki::newKeyPem();
  auto r = Pem::checkKeyPair(c.certPem, otherKey);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("does not match"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("CN=admin"), std::string::npos);
  EXPECT_EQ(r.error().message.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(PemTest, EncryptedOrMalformedKeysAreRejectedWithoutPrompting) {
  auto c = TestPki::clientCert(*ca, "admin", "", kNow - kDay, kNow + kDay);
  auto enc = Pem::checkKeyPair(c.certPem, TestPki::newKeyPem("secret-pass"));
  ASSERT_FALSE(enc.ok());
  EXPECT_NE(enc.error().message.find("unencrypted"), std::string::npos) << enc.error().message;
  EXPECT_FALSE(Pem::checkKeyPair(c.certPem, "just text").ok());
  EXPECT_FALSE(Pem::checkKeyPair(c.certPem, c.certPem).ok());  // a certificate is not a key
}

TEST_F(PemTest, RsaAndTraditionalKeyFormatsAreAccepted) {
  auto rsa = TestPki::clientCert(*ca, "rsa-user", "", kNow - kDay, kNow + kDay, TestPki::KeyType::Rsa2048);
  EXPECT_TRUE(Pem::checkKeyPair(rsa.certPem, rsa.keyPem).ok());  // PKCS#8
  std::string pkcs1 = TestPki::traditionalKeyPem(rsa.keyPem);
  ASSERT_NE(pkcs1.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(Pem::checkKeyPair(rsa.certPem, pkcs1).ok());

  auto ec = TestPki::clientCert(*ca, "ec-user", "", kNow - kDay, kNow + kDay);
  std::string sec1 = TestPki::traditionalKeyPem(ec.keyPem);
  ASSERT_NE(sec1.find("BEGIN EC PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(Pem::checkKeyPair(ec.certPem, sec1).ok());
  EXPECT_FALSE(Pem::checkKeyPair(rsa.certPem, sec1).ok());
}

}  // namespace
}  // namespace fro::kube
