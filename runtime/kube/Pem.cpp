#include "runtime/kube/Pem.h"

#include <cerrno>
#include <ctime>
#include <memory>

#include <fmt/format.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace fro::kube {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

BioPtr memBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Never prompt on a terminal for a passphrase: encrypted keys are simply unreadable here.
int noPassphrase(char*, int, int, void*) { return -1; }

// After a failed parse OpenSSL leaves errors on the thread's queue; clear them so they are not
// misattributed to the next TLS operation on this thread.
struct ErrorQueueGuard {
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

std::string isoTime(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string subjectOf(X509* cert) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || X509_NAME_print_ex(out.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) return "?";
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  std::string s = n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
  return s.empty() ? "(empty subject)" : s;
}

bool hasPemHeader(std::string_view pem) { return pem.find("-----BEGIN ") != std::string_view::npos; }

}  // namespace

Result<int> Pem::checkCaBundle(std::string_view pem) {
  ErrorQueueGuard guard;
  if (!hasPemHeader(pem)) return Error::invalid("not PEM (no -----BEGIN CERTIFICATE----- block)");
  BioPtr bio = memBio(pem);
  if (!bio) return Error::system(ENOMEM, "cannot allocate a memory BIO");
  int count = 0;
  for (;;) {
    ERR_clear_error();
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr));
    if (!cert) {
      unsigned long e = ERR_peek_last_error();
      bool endOfInput = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
      if (endOfInput && count > 0) break;
      if (endOfInput) return Error::invalid("not PEM (no -----BEGIN CERTIFICATE----- block)");
      return Error::invalid(fmt::format("certificate #{} of the PEM bundle does not parse", count + 1));
    }
    ++count;
  }
  return count;
}

Result<Pem::CertificateInfo> Pem::checkCertificate(std::string_view pem, Clock::time_point now) {
  ErrorQueueGuard guard;
  if (!hasPemHeader(pem)) return Error::invalid("not PEM (no -----BEGIN CERTIFICATE----- block)");
  BioPtr bio = memBio(pem);
  if (!bio) return Error::system(ENOMEM, "cannot allocate a memory BIO");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr));
  if (!cert) return Error::invalid("not a parseable PEM certificate");

  CertificateInfo info{subjectOf(cert.get()), isoTime(X509_get0_notBefore(cert.get())),
                       isoTime(X509_get0_notAfter(cert.get()))};
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  // X509_cmp_time: -1 when the certificate time is before (or at) t, 1 when after, 0 on error.
  int afterEnd = X509_cmp_time(X509_get0_notAfter(cert.get()), &t);
  int beforeStart = X509_cmp_time(X509_get0_notBefore(cert.get()), &t);
  if (afterEnd == 0 || beforeStart == 0)
    return Error::invalid(fmt::format("certificate (subject {}) has an unreadable validity period", info.subject));
  if (afterEnd < 0)
    return Error::invalid(fmt::format("certificate (subject {}) expired on {}", info.subject, info.notAfter));
  if (beforeStart > 0)
    return Error::invalid(fmt::format("certificate (subject {}) is not valid before {}", info.subject, info.notBefore));
  return info;
}

Status Pem::checkKeyPair(std::string_view certPem, std::string_view keyPem) {
  ErrorQueueGuard guard;
  BioPtr certBio = memBio(certPem);
  BioPtr keyBio = memBio(keyPem);
  if (!certBio || !keyBio) return Error::system(ENOMEM, "cannot allocate a memory BIO");
  X509Ptr cert(PEM_read_bio_X509(certBio.get(), nullptr, noPassphrase, nullptr));
  if (!cert) return Error::invalid("not a parseable PEM certificate");
  if (!hasPemHeader(keyPem)) return Error::invalid("key is not PEM (no -----BEGIN ... PRIVATE KEY----- block)");
  PkeyPtr key(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, noPassphrase, nullptr));
  if (!key) return Error::invalid("key is not a parseable, unencrypted PEM private key");
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return Error::invalid(fmt::format("key does not match the certificate (subject {})", subjectOf(cert.get())));
  return ok();
}

}  // namespace fro::kube
