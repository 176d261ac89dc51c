// What a person sees of failing informers: log lines (the first failure at once, then at most one
// per interval with the count held back) and /readyz?verbose text. A ManualClock moves time.
#include "runtime/health/InformerMonitor.h"

#include <gtest/gtest.h>

#include "runtime/health/HealthChecks.h"
#include "tests/support/ManualClock.h"

namespace fro::health {
namespace {

using namespace std::chrono_literals;
using Notice = kube::Informer::Notice;
using Kind = Notice::Kind;

struct Record {
  log::Level level;
  std::string msg;
  log::Fields fields;
  std::string field(const std::string& key) const {
    for (const auto& f : fields)
      if (f.key == key) {
        const auto& v = f.value.get();
        if (auto* s = std::get_if<std::string>(&v)) return *s;
        if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
        if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
      }
    return "<none>";
  }
};

class InformerMonitorTest : public ::testing::Test {
 protected:
  InformerMonitor::Options options() {
    InformerMonitor::Options o;
    o.clock = clock;
    o.sink = [this](log::Level l, std::string_view m, const log::Fields& f) { records.push_back({l, std::string(m), f}); };
    return o;
  }
  static Notice failed(const std::string& resource, const std::string& ns, const std::string& verb, Error e, int n) {
    Notice x;
    x.kind = Kind::Failed;
    x.resource = resource;
    x.namespace_ = ns;
    x.verb = verb;
    x.error = std::move(e);
    x.failures = n;
    return x;
  }
  static Notice of(Kind k, const std::string& resource, const std::string& ns, int failures = 0) {
    Notice x;
    x.kind = k;
    x.resource = resource;
    x.namespace_ = ns;
    x.failures = failures;
    return x;
  }
  std::vector<Record> warnings() const {
    std::vector<Record> out;
    for (const auto& r : records)
      if (r.level == log::Level::Warn) out.push_back(r);
    return out;
  }

  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
  std::vector<Record> records;
  InformerMonitor monitor{options()};
};

const Error kForbidden = Error::of(
    "GET /apis/apps/v1/namespaces/shop/deployments?limit=500: 403 Forbidden: deployments.apps is forbidden: User "
    "\"system:serviceaccount:fro:op\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"shop\"",
    403, "Forbidden");

TEST_F(InformerMonitorTest, TheFirstFailureIsLoggedAtOnceNamingResourceNamespaceVerbAndStatus) {
  monitor.observe(of(Kind::Started, "deployments.apps", "shop"));
  monitor.observe(failed("deployments.apps", "shop", "list", kForbidden, 1));
  auto w = warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].msg, "cannot list deployments.apps; retrying with backoff");
  EXPECT_EQ(w[0].field("resource"), "deployments.apps");
  EXPECT_EQ(w[0].field("namespace"), "shop");
  EXPECT_EQ(w[0].field("verb"), "list");
  EXPECT_EQ(w[0].field("status"), "403");
  EXPECT_EQ(w[0].field("reason"), "Forbidden");
  EXPECT_NE(w[0].field("error").find("cannot list resource \"deployments\""), std::string::npos);
  EXPECT_EQ(w[0].field("suppressed"), "0");
}

TEST_F(InformerMonitorTest, RepeatedFailuresAreHeldBackFor30sThenLoggedWithTheirCount) {
  auto refused = Error::of("GET https://127.0.0.1:1: connect failed: Connection refused", 7, "TransportError");
  monitor.observe(failed("configmaps", "", "list", refused, 1));
  for (int i = 2; i <= 6; ++i) {
    clock->advance(5s);  // 25 s in all: still inside the window
    monitor.observe(failed("configmaps", "", "list", refused, i));
  }
  ASSERT_EQ(warnings().size(), 1u);
  EXPECT_EQ(warnings()[0].field("namespace"), "all");
  EXPECT_EQ(warnings()[0].field("status"), "<none>") << "a transport failure has no HTTP status";
  EXPECT_NE(warnings()[0].field("error").find("Connection refused"), std::string::npos);
  clock->advance(5s);  // 30 s after the first line
  monitor.observe(failed("configmaps", "", "watch", refused, 7));
  auto w = warnings();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[1].field("verb"), "watch");
  EXPECT_EQ(w[1].field("failures"), "7");
  EXPECT_EQ(w[1].field("suppressed"), "5");
}

TEST_F(InformerMonitorTest, EachInformerHasItsOwnWindow) {
  monitor.observe(failed("configmaps", "a", "list", kForbidden, 1));
  monitor.observe(failed("configmaps", "b", "list", kForbidden, 1));
  monitor.observe(failed("deployments.apps", "a", "list", kForbidden, 1));
  monitor.observe(failed("configmaps", "a", "list", kForbidden, 2));
  EXPECT_EQ(warnings().size(), 3u);
}

TEST_F(InformerMonitorTest, RecoveryIsLoggedOnceAndAFlappingWatchStaysQuiet) {
  auto reset = Error::of("watch: connection reset", 56, "TransportError");
  monitor.observe(failed("configmaps", "", "watch", reset, 1));
  monitor.observe(of(Kind::Recovered, "configmaps", "", 1));
  for (int i = 0; i < 10; ++i) {
    clock->advance(1s);
    monitor.observe(failed("configmaps", "", "watch", reset, 1));
    monitor.observe(of(Kind::Recovered, "configmaps", "", 1));
  }
  int infos = 0;
  for (const auto& r : records)
    if (r.level == log::Level::Info) {
      ++infos;
      EXPECT_EQ(r.msg, "informer works again");
    }
  EXPECT_EQ(infos, 1);
  EXPECT_EQ(warnings().size(), 1u);
}

TEST_F(InformerMonitorTest, DescribesEachInformersSyncStateAndLastError) {
  monitor.observe(of(Kind::Started, "featurerollouts.rollouts.featureflags.dev", "shop"));
  monitor.observe(of(Kind::Started, "deployments.apps", "shop"));
  monitor.observe(of(Kind::Synced, "featurerollouts.rollouts.featureflags.dev", "shop"));
  monitor.observe(failed("deployments.apps", "shop", "list", kForbidden, 1));
  monitor.observe(failed("deployments.apps", "shop", "list", kForbidden, 2));
  clock->advance(3s);
  auto d = monitor.describe();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], "featurerollouts.rollouts.featureflags.dev in shop: synced");
  EXPECT_EQ(d[1], "deployments.apps in shop: not synced, 2 failures in a row; last error (list, 3s ago): " +
                      kForbidden.message);
  EXPECT_EQ(monitor.unsynced(), std::vector<std::string>{d[1]});
  monitor.observe(of(Kind::Recovered, "deployments.apps", "shop", 2));
  monitor.observe(of(Kind::Synced, "deployments.apps", "shop"));
  EXPECT_EQ(monitor.describe()[1].rfind("deployments.apps in shop: synced; last error (list, 3s ago): ", 0), 0u)
      << monitor.describe()[1];
  EXPECT_TRUE(monitor.unsynced().empty());
}

// /readyz?verbose shows the informers under the check; plain /readyz is unchanged.
TEST_F(InformerMonitorTest, ReadyzVerboseNamesTheFailingInformerAndItsError) {
  HealthChecks checks;
  ASSERT_TRUE(checks
                  .addReadiness(
                      "informers", [] { return Status(Error::of("informer caches not synced yet")); },
                      [this] { return monitor.describe(); })
                  .ok());
  monitor.observe(of(Kind::Started, "deployments.apps", ""));
  monitor.observe(failed("deployments.apps", "", "list",
                         Error::of("GET https://127.0.0.1:1: connect failed: Connection refused", 7), 1));
  auto plain = checks.handle("/readyz");
  EXPECT_EQ(plain.status, 503);
  EXPECT_EQ(plain.body, "[+]ping ok\n[-]informers failed: informer caches not synced yet\nreadyz check failed\n");
  auto verbose = checks.handle("/readyz?verbose");
  EXPECT_EQ(verbose.status, 503);
  EXPECT_EQ(verbose.body,
            "[+]ping ok\n[-]informers failed: informer caches not synced yet\n"
            "    deployments.apps in all namespaces: not synced, 1 failure in a row; last error (list, 0s ago): "
            "GET https://127.0.0.1:1: connect failed: Connection refused\n"
            "readyz check failed\n");
}

TEST_F(InformerMonitorTest, ASinkThatThrowsDoesNotReachTheInformer) {
  InformerMonitor::Options o = options();
  o.sink = [](log::Level, std::string_view, const log::Fields&) { throw std::runtime_error("disk full"); };
  InformerMonitor m(o);
  EXPECT_NO_THROW(m.observe(failed("configmaps", "", "list", kForbidden, 1)));
  EXPECT_EQ(m.describe().size(), 1u);
}

}  // namespace
}  // namespace fro::health
