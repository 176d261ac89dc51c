#pragma once
// Test-time PKI built with the OpenSSL C API (no openssl CLI, no fixtures on disk): a CA, and
// certificates it signs with any validity window, including one that ended in the past.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>

namespace fro::testing {

class TestPki {
 public:
  struct KeyPair {
    std::string certPem;
    std::string keyPem;
  };

  // A fresh EC P-256 private key, PEM (PKCS#8). With a passphrase: encrypted (AES-128-CBC).
  static std::string newKeyPem(const char* passphrase = nullptr) {
    auto key = newKey();
    return keyPem(key.get(), passphrase);
  }

  // A self-signed CA valid from notBefore to notAfter.
  static KeyPair selfSignedCa(const std::string& cn, std::time_t notBefore, std::time_t notAfter) {
    auto key = newKey();
    auto cert = build(cn, "", key.get(), nullptr, key.get(), notBefore, notAfter, /*ca=*/true);
    return {certPem(cert.get()), keyPem(key.get(), nullptr)};
  }

  enum class KeyType { EcP256, Rsa2048 };

  // A client certificate for CN=cn,O=org signed by `issuer` (a pair from selfSignedCa).
  static KeyPair clientCert(const KeyPair& issuer, const std::string& cn, const std::string& org, std::time_t notBefore,
                            std::time_t notAfter, KeyType type = KeyType::EcP256) {
    auto issuerCert = readCert(issuer.certPem);
    auto issuerKey = readKey(issuer.keyPem);
    auto key = type == KeyType::Rsa2048 ? KeyPtr(EVP_RSA_gen(2048)) : newKey();
    check(key != nullptr, "key generation");
    auto cert = build(cn, org, key.get(), issuerCert.get(), issuerKey.get(), notBefore, notAfter, /*ca=*/false);
    return {certPem(cert.get()), keyPem(key.get(), nullptr)};
  }

 private:
  struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
  };
  struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
  };
  using CertPtr = std::unique_ptr<X509, X509Free>;
  using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
  using BioPtr = std::unique_ptr<BIO, BioFree>;

  static void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("TestPki: ") + what);
  }

 public:
  // The same key in its algorithm's traditional format ("BEGIN RSA PRIVATE KEY",
  // "BEGIN EC PRIVATE KEY"), as older tools write it.
  static std::string traditionalKeyPem(const std::string& pem) {
    auto key = readKey(pem);
    BioPtr b(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_PrivateKey_traditional(b.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey_traditional");
    return drain(b.get());
  }

 private:
  static KeyPtr newKey() {
    KeyPtr k(EVP_EC_gen("P-256"));
    check(k != nullptr, "EVP_EC_gen");
    return k;
  }

  static CertPtr build(const std::string& cn, const std::string& org, EVP_PKEY* subjectKey, X509* issuer,
                       EVP_PKEY* issuerKey, std::time_t notBefore, std::time_t notAfter, bool ca) {
    static long serial = 1000;
    CertPtr x(X509_new());
    check(x && X509_set_version(x.get(), 2) == 1, "X509_set_version");
    check(ASN1_INTEGER_set(X509_get_serialNumber(x.get()), ++serial) == 1, "serial");
    check(ASN1_TIME_set(X509_getm_notBefore(x.get()), notBefore) != nullptr, "notBefore");
    check(ASN1_TIME_set(X509_getm_notAfter(x.get()), notAfter) != nullptr, "notAfter");
    check(X509_set_pubkey(x.get(), subjectKey) == 1, "pubkey");
    X509_NAME* name = X509_get_subject_name(x.get());
    if (!org.empty())
      check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0) == 1,
            "O");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                                     -1, -1, 0) == 1,
          "CN");
    check(X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name) == 1, "issuer");
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints,
                                              ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    check(ext != nullptr && X509_add_ext(x.get(), ext, -1) == 1, "basicConstraints");
    X509_EXTENSION_free(ext);
    check(X509_sign(x.get(), issuerKey, EVP_sha256()) > 0, "X509_sign");
    return x;
  }

  static std::string drain(BIO* b) {
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    return std::string(data, static_cast<std::size_t>(n));
  }

  static std::string certPem(X509* x) {
    BioPtr b(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_X509(b.get(), x) == 1, "PEM_write_bio_X509");
    return drain(b.get());
  }

  static std::string keyPem(EVP_PKEY* k, const char* passphrase) {
    BioPtr b(BIO_new(BIO_s_mem()));
    const EVP_CIPHER* cipher = passphrase ? EVP_aes_128_cbc() : nullptr;
    auto* pass = reinterpret_cast<unsigned char*>(const_cast<char*>(passphrase));
    int passLen = passphrase ? static_cast<int>(std::char_traits<char>::length(passphrase)) : 0;
    check(PEM_write_bio_PrivateKey(b.get(), k, cipher, pass, passLen, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
    return drain(b.get());
  }

  static CertPtr readCert(const std::string& pem) {
    BioPtr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    CertPtr x(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
    check(x != nullptr, "PEM_read_bio_X509");
    return x;
  }

  static KeyPtr readKey(const std::string& pem) {
    BioPtr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    KeyPtr k(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
    check(k != nullptr, "PEM_read_bio_PrivateKey");
    return k;
  }
};

}  // namespace fro::testing
