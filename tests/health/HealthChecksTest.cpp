// The probe answers themselves, kube-apiserver style, without a socket.
#include "runtime/health/HealthChecks.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace fro::health {
namespace {

TEST(HealthChecksTest, OnlyPingMeansHealthyAndReady) {
  HealthChecks c;
  EXPECT_EQ(c.handle("/healthz").status, 200);
  EXPECT_EQ(c.handle("/healthz").body, "ok");
  EXPECT_EQ(c.handle("/livez").body, "ok");
  EXPECT_EQ(c.handle("/readyz").body, "ok");
  EXPECT_EQ(c.handle("/readyz?verbose").body, "[+]ping ok\nreadyz check passed\n");
}

TEST(HealthChecksTest, ReadyzFailsWithTheFailingChecksNameAndReasonUntilItPasses) {
  HealthChecks c;
  std::atomic<bool> synced{false};
  ASSERT_TRUE(c.addReadiness("informers-synced", [&]() -> Status {
                 if (!synced) return Error::of("2 of 3 informers not synced (featurerollouts, configmaps)");
                 return ok();
               }).ok());
  ASSERT_TRUE(c.addReadiness("leader-elector", [] { return ok(); }).ok());
  auto r = c.handle("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body,
            "[+]ping ok\n[-]informers-synced failed: 2 of 3 informers not synced (featurerollouts, configmaps)\n"
            "[+]leader-elector ok\nreadyz check failed\n");
  // Liveness is not affected by readiness checks.
  EXPECT_EQ(c.handle("/healthz").status, 200);
  synced = true;
  EXPECT_EQ(c.handle("/readyz").status, 200);
  EXPECT_EQ(c.handle("/readyz?verbose=true").body,
            "[+]ping ok\n[+]informers-synced ok\n[+]leader-elector ok\nreadyz check passed\n");
}

TEST(HealthChecksTest, SingleCheckAndExclude) {
  HealthChecks c;
  ASSERT_TRUE(c.addReadiness("cache", [] { return Status(Error::of("cold")); }).ok());
  ASSERT_TRUE(c.addReadiness("api", [] { return ok(); }).ok());
  EXPECT_EQ(c.handle("/readyz/api").status, 200);
  EXPECT_EQ(c.handle("/readyz/api").body, "ok");
  EXPECT_EQ(c.handle("/readyz/cache").status, 503);
  EXPECT_EQ(c.handle("/readyz/cache").body, "[-]cache failed: cold\n");
  EXPECT_EQ(c.handle("/readyz/ping").status, 200);
  EXPECT_EQ(c.handle("/readyz/nope").status, 404);
  EXPECT_EQ(c.handle("/readyz/nope").body, "no readyz check named \"nope\"\n");
  auto ex = c.handle("/readyz?exclude=cache&verbose");
  EXPECT_EQ(ex.status, 200);
  EXPECT_EQ(ex.body, "[+]ping ok\n[+]cache excluded: ok\n[+]api ok\nreadyz check passed\n");
}

TEST(HealthChecksTest, DetailLinesAppearIndentedUnderTheirCheckWithVerboseOnly) {
  HealthChecks c;
  std::atomic<bool> synced{false};
  ASSERT_TRUE(c.addReadiness(
                   "informers", [&]() -> Status { return synced ? ok() : Status(Error::of("not synced")); },
                   [&] { return std::vector<std::string>{std::string("configmaps: ") + (synced ? "synced" : "not synced"),
                                                         "two\nlines"}; })
                  .ok());
  EXPECT_EQ(c.handle("/readyz").body, "[+]ping ok\n[-]informers failed: not synced\nreadyz check failed\n");
  EXPECT_EQ(c.handle("/readyz?verbose").body,
            "[+]ping ok\n[-]informers failed: not synced\n    configmaps: not synced\n    two lines\nreadyz check failed\n");
  EXPECT_EQ(c.handle("/readyz/informers?verbose").body, "[-]informers failed: not synced\n    configmaps: not synced\n    two lines\n");
  synced = true;
  EXPECT_EQ(c.handle("/readyz").body, "ok");
  EXPECT_EQ(c.handle("/readyz?verbose").body,
            "[+]ping ok\n[+]informers ok\n    configmaps: synced\n    two lines\nreadyz check passed\n");
  ASSERT_TRUE(c.addReadiness("x", [] { return ok(); }, []() -> std::vector<std::string> { throw std::runtime_error("bad"); }).ok());
  EXPECT_NE(c.handle("/readyz?verbose").body.find("[+]x ok\n    detail threw: bad\n"), std::string::npos);
}

TEST(HealthChecksTest, UnknownPathsAre404) {
  HealthChecks c;
  EXPECT_EQ(c.handle("/").status, 404);
  EXPECT_EQ(c.handle("/metrics").status, 404);
  EXPECT_EQ(c.handle("/readyzz").status, 404);
  EXPECT_EQ(c.handle("/healthz/").status, 200);  // trailing slash is the same endpoint
}

TEST(HealthChecksTest, ThrowingCheckFailsInsteadOfCrashing) {
  HealthChecks c;
  ASSERT_TRUE(c.addLiveness("workers", []() -> Status { throw std::runtime_error("deadlock detector fired"); }).ok());
  auto r = c.handle("/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "[+]ping ok\n[-]workers failed: check threw: deadlock detector fired\nhealthz check failed\n");
}

TEST(HealthChecksTest, ReasonsStayOnOneLineAndCarryNoCredentials) {
  HealthChecks c;
  ASSERT_TRUE(c.addReadiness("kube-api", [] {
                 return Status(Error::of("GET /version: 401\nAuthorization: Bearer abcdef0123456789"));
               }).ok());
  auto body = c.handle("/readyz").body;
  EXPECT_EQ(body.find("abcdef0123456789"), std::string::npos) << body;
  EXPECT_NE(body.find("[-]kube-api failed: GET /version: 401 Authorization: [REDACTED]\n"), std::string::npos) << body;
}

TEST(HealthChecksTest, NamesAreValidatedAndUnique) {
  HealthChecks c;
  EXPECT_TRUE(c.addReadiness("a", [] { return ok(); }).ok());
  EXPECT_EQ(c.addReadiness("a", [] { return ok(); }).error().message, "health check \"a\" is already registered");
  EXPECT_EQ(c.addReadiness("ping", [] { return ok(); }).error().message, "health check \"ping\" is already registered");
  EXPECT_TRUE(c.addLiveness("a", [] { return ok(); }).ok()) << "liveness and readiness are separate lists";
  EXPECT_EQ(c.addLiveness("has space", [] { return ok(); }).error().message,
            "health check name \"has space\" is invalid (letters, digits, '-', '_', '.')");
  EXPECT_EQ(c.addLiveness("x", nullptr).error().message, "health check \"x\" has no function");
}

}  // namespace
}  // namespace fro::health
