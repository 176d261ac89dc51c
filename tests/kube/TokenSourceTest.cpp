// TokenSource re-reads a rotating token file on an injected clock.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <thread>
#include <vector>

#include "runtime/kube/TokenSource.h"
#include "tests/kube/TempDir.h"
#include "tests/support/ManualClock.h"

namespace fro::kube {
namespace {

using fro::testing::ManualClock;
using fro::testing::TempDir;
using namespace std::chrono_literals;

class TokenSourceTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
};

TEST_F(TokenSourceTest, ReadsAndTrimsTheFile) {
  auto path = dir.write("token", "  tok-1\n");
  TokenSource ts(path, clock);
  auto t = ts.token();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(*t, "tok-1");
  EXPECT_EQ(ts.path(), path);
}

TEST_F(TokenSourceTest, CachesWithinTheRefreshPeriodAndRereadsAfterIt) {
  auto path = dir.write("token", "tok-1");
  TokenSource ts(path, clock);  // default: one minute
  EXPECT_EQ(*ts.token(), "tok-1");
  dir.write("token", "tok-2");  // the kubelet rotated it
  clock->advance(59s);
  EXPECT_EQ(*ts.token(), "tok-1") << "still fresh: no re-read";
  clock->advance(1s);
  EXPECT_EQ(*ts.token(), "tok-2") << "a minute old: re-read";
  dir.write("token", "tok-3");
  clock->advance(30s);
  EXPECT_EQ(*ts.token(), "tok-2") << "the period restarts at the last read";
  clock->advance(30s);
  EXPECT_EQ(*ts.token(), "tok-3");
}

TEST_F(TokenSourceTest, HonoursACustomRefreshPeriod) {
  auto path = dir.write("token", "a");
  TokenSource ts(path, clock, 5s);
  EXPECT_EQ(*ts.token(), "a");
  dir.write("token", "b");
  clock->advance(4s);
  EXPECT_EQ(*ts.token(), "a");
  clock->advance(1s);
  EXPECT_EQ(*ts.token(), "b");
}

TEST_F(TokenSourceTest, KeepsTheLastGoodTokenWhileTheFileIsUnreadableAndRetries) {
  auto path = dir.write("token", "good");
  TokenSource ts(path, clock);
  EXPECT_EQ(*ts.token(), "good");
  std::filesystem::remove(path);
  clock->advance(2min);
  auto t = ts.token();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "good");
  dir.write("token", "   \n");  // mid-rotation: empty
  EXPECT_EQ(*ts.token(), "good");
  dir.write("token", "better");  // no clock advance needed: a failed read does not restart the period
  EXPECT_EQ(*ts.token(), "better");
}

TEST_F(TokenSourceTest, MissingFileIsAnErrorNamingThePath) {
  TokenSource ts(dir.file("nope"), clock);
  auto t = ts.token();
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find(dir.file("nope")), std::string::npos) << t.error().message;
  EXPECT_EQ(t.error().kind, ErrorKind::System);
  EXPECT_EQ(t.error().code, ENOENT);
}

TEST_F(TokenSourceTest, EmptyFileIsAnErrorWithoutContent) {
  auto path = dir.write("token", "\n\n");
  auto t = TokenSource(path, clock).token();
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("empty"), std::string::npos) << t.error().message;
  EXPECT_EQ(t.error().kind, ErrorKind::Invalid);
}

TEST_F(TokenSourceTest, FallsBackToTheStaticTokenUntilTheFileIsReadable) {
  TokenSource ts(dir.file("token"), clock, 1min, "static");
  EXPECT_EQ(*ts.token(), "static");
  dir.write("token", "from-file");
  EXPECT_EQ(*ts.token(), "from-file") << "a file that was never read is tried on every call";
}

TEST_F(TokenSourceTest, NoPathMeansTheStaticToken) {
  EXPECT_EQ(*TokenSource("", clock, 1min, "static").token(), "static");
  EXPECT_FALSE(TokenSource("", clock).token().ok());
}

TEST_F(TokenSourceTest, ErrorsNeverContainTokens) {
  auto path = dir.write("token", "super-secret-token");
  TokenSource ts(path, clock);
  ASSERT_TRUE(ts.token().ok());
  auto read = TokenSource::readTokenFile(dir.file("missing"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().message.find("super-secret-token"), std::string::npos);
}

TEST_F(TokenSourceTest, BearerProviderForEachKindOfConfig) {
  ClusterConfig certOnly;
  EXPECT_FALSE(TokenSource::bearerProvider(certOnly, clock)) << "no token: no Authorization header";

  ClusterConfig fixed;
  fixed.bearerToken = "static";
  auto p = TokenSource::bearerProvider(fixed, clock);
  ASSERT_TRUE(p);
  EXPECT_EQ(p(), "static");

  ClusterConfig rotating;
  rotating.tokenFile = dir.write("sa-token", "v1");
  rotating.bearerToken = "v1";
  auto r = TokenSource::bearerProvider(rotating, clock, 10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r(), "v1");
  dir.write("sa-token", "v2");
  EXPECT_EQ(r(), "v1");
  clock->advance(10s);
  EXPECT_EQ(r(), "v2");
  auto copy = r;  // copies share one cache
  EXPECT_EQ(copy(), "v2");
}

TEST_F(TokenSourceTest, UnreadableTokenGivesAnEmptyBearer) {
  ClusterConfig c;
  c.tokenFile = dir.file("missing");
  auto p = TokenSource::bearerProvider(c, clock);
  ASSERT_TRUE(p);
  EXPECT_EQ(p(), "");
}

TEST_F(TokenSourceTest, IsSafeToShareBetweenThreads) {
  auto path = dir.write("token", "shared");
  TokenSource ts(path, clock, 0s);  // re-read on every call
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 200; ++j)
        if (auto t = ts.token(); t.ok() && *t == "shared") ++good;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 800);
}

}  // namespace
}  // namespace fro::kube
