// No credential reaches a log line, whichever way it is handed to the logger.
#include "runtime/process/Redact.h"

#include <gtest/gtest.h>

#include "runtime/process/Logger.h"

namespace fro::log {
namespace {

const std::string kToken = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.sig-Ab_9";
const std::string kBasic = "dXNlcjpodW50ZXIy";

TEST(RedactTest, BearerTokensAndAuthorizationValuesNeverReachTheOutput) {
  for (auto format : {Format::Json, Format::Text}) {
    std::vector<std::string> lines;
    Logger logger({format, Level::Debug, [&](std::string_view l) { lines.emplace_back(l); }});
    logger.log(Level::Error, "GET /api failed: Authorization: Bearer " + kToken);
    logger.log(Level::Info, "request", {{"Authorization", "Bearer " + kToken}, {"header", "authorization: Basic " + kBasic}});
    logger.log(Level::Info, "curl -H 'Authorization: " + kToken + "' https://x");
    logger.log(Level::Info, "token", {{"bearerToken", kToken}, {"token", 42}, {"detail", "bearer " + kToken}});
    logger.log(Level::Info, "kubeconfig", {{"user", R"({"token":")" + kToken + R"(","name":"admin"})"}});
    logger.log(Level::Info, "url", {{"url", "https://admin:" + kBasic + "@prometheus:9090/api?access_token=" + kToken}});
    logger.log(Level::Warn, "header dump\nAuthorization: Bearer " + kToken + "\nAccept: */*");
    ASSERT_EQ(lines.size(), 7u);
    for (const auto& l : lines) {
      EXPECT_EQ(l.find(kToken), std::string::npos) << l;
      EXPECT_EQ(l.find("eyJhbGci"), std::string::npos) << l;
      EXPECT_EQ(l.find(kBasic), std::string::npos) << l;
      EXPECT_NE(l.find("[REDACTED]"), std::string::npos) << l;
    }
  }
}

TEST(RedactTest, FreeText) {
  EXPECT_EQ(redact("Authorization: Bearer abc.def"), "Authorization: [REDACTED]");
  EXPECT_EQ(redact("authorization=s3cr3t&x=1"), "authorization=[REDACTED]&x=1");
  EXPECT_EQ(redact("sent Bearer abc123 to server"), "sent Bearer [REDACTED] to server");
  EXPECT_EQ(redact("https://u:p4ss@host/path"), "https://u:[REDACTED]@host/path");
  EXPECT_EQ(redact("?access_token=abc&limit=5"), "?access_token=[REDACTED]&limit=5");
  EXPECT_EQ(redact(R"({"password": "hunter2", "user": "bob"})"), R"({"password": "[REDACTED]", "user": "bob"})");
  EXPECT_EQ(redact("client_secret: xyz"), "client_secret: [REDACTED]");
}

TEST(RedactTest, OrdinaryTextIsUntouched) {
  for (std::string s : {"reconciled shop/unified-workflow phase core step 1",
                        "using the bearer token from /var/run/secrets/kubernetes.io/serviceaccount",
                        "gate error-rate: value 0.031 above warning 0.02", "https://prometheus:9090/api/v1/query",
                        "user@example.com"})
    EXPECT_EQ(redact(s), s);
}

TEST(RedactTest, SensitiveKeys) {
  for (auto k : {"Authorization", "token", "bearerToken", "password", "client_secret", "X-Api-Key", "Cookie",
                 "private_key"})
    EXPECT_TRUE(isSensitiveKey(k)) << k;
  for (auto k : {"rollout", "namespace", "phase", "gate", "error", "key"}) EXPECT_FALSE(isSensitiveKey(k)) << k;
}

}  // namespace
}  // namespace fro::log
