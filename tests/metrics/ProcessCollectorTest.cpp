// process_* as stock dashboards read them: parsed from /proc text (a comm with spaces and
// parentheses included), and served for real beside the operator's own series.
#include "runtime/metrics/ProcessCollector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fcntl.h>
#include <unistd.h>

#include <prometheus/registry.h>

#include "runtime/metrics/MetricsServer.h"
#include "tests/metrics/Scrape.h"

namespace fro::metrics {
namespace {

// proc(5) stat of a process whose comm is "a) b (c": utime 250, stime 150 ticks, start 1000 ticks,
// vsize 104857600, rss 2560 pages.
const char* kStat =
    "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 9 0 1000 104857600 2560 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";

TEST(ProcessCollector, ParsesStatCountingFieldsFromTheLastParenthesis) {
  ProcessCollector::Sample s;
  ASSERT_TRUE(ProcessCollector::parseStat(kStat, 100, 4096, 1.7e9, s));
  EXPECT_DOUBLE_EQ(*s.cpuSeconds, 4.0);
  EXPECT_DOUBLE_EQ(*s.startTimeSeconds, 1.7e9 + 10.0);
  EXPECT_DOUBLE_EQ(*s.virtualBytes, 104857600.0);
  EXPECT_DOUBLE_EQ(*s.residentBytes, 2560.0 * 4096);
  ProcessCollector::Sample bad;
  EXPECT_FALSE(ProcessCollector::parseStat("4242 (x) S 1 2", 100, 4096, 0, bad));
  EXPECT_FALSE(bad.cpuSeconds.has_value());
}

TEST(ProcessCollector, BootTimeAndOpenFileLimit) {
  EXPECT_EQ(ProcessCollector::parseBootTime("cpu  1 2 3\nbtime 1764600000\nprocesses 9\n"), 1764600000.0);
  EXPECT_FALSE(ProcessCollector::parseBootTime("cpu 1 2 3\n").has_value());
  EXPECT_EQ(ProcessCollector::parseMaxOpenFiles("Limit                     Soft Limit           Hard Limit           Units\n"
                                                "Max open files            1024                 524288               files\n"),
            1024.0);
  EXPECT_FALSE(ProcessCollector::parseMaxOpenFiles("Max open files            unlimited            unlimited            files\n")
                   .has_value());
}

TEST(ProcessCollector, ServedBesideTheRegistryWithThisProcesssValues) {
  auto server = MetricsServer::start("127.0.0.1:0", std::make_shared<prometheus::Registry>());
  ASSERT_TRUE(server.ok()) << server.error().message;
  const auto before = testing::scrape((*server)->port()).series;
  const int fd = ::open("/dev/null", O_RDONLY);  // one more open descriptor, seen by the next scrape
  ASSERT_GE(fd, 0);
  const auto s = testing::scrape((*server)->port()).series;
  ::close(fd);
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_open_fds", "process_max_fds", "process_start_time_seconds"})
    ASSERT_TRUE(s.count(name)) << name << " is not served";
  EXPECT_GT(s.at("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(s.at("process_virtual_memory_bytes"), s.at("process_resident_memory_bytes"));
  EXPECT_GE(s.at("process_open_fds"), before.at("process_open_fds") + 1);  // + a lingering keep-alive, maybe
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(s.at("process_start_time_seconds"), now + 1);
  EXPECT_GT(s.at("process_start_time_seconds"), now - 3600) << "this test process started within the hour";
}

}  // namespace
}  // namespace fro::metrics
