#pragma once
// The process_* series that client_golang and client_python export and stock dashboards read
// (prometheus-cpp has no process collector): CPU seconds, resident and virtual memory, open and
// maximum file descriptors, start time. Read from /proc at each scrape; a file that cannot be
// read leaves its series out rather than exporting a wrong value.
#include <optional>
#include <string>
#include <vector>

#include <prometheus/collectable.h>

namespace fro::metrics {

class ProcessCollector final : public prometheus::Collectable {
 public:
  struct Sample {
    std::optional<double> cpuSeconds, residentBytes, virtualBytes, openFds, maxFds, startTimeSeconds;
  };

  // `procSelf` is /proc/self, `procStat` /proc/stat (tests give files of their own).
  explicit ProcessCollector(std::string procSelf = "/proc/self", std::string procStat = "/proc/stat");

  std::vector<prometheus::MetricFamily> Collect() const override;
  Sample sample() const;

  // The parts of /proc/<pid>/stat, /proc/stat and /proc/<pid>/limits that matter, as pure functions.
  // `ticksPerSecond` and `pageBytes` come from sysconf; `bootTime` is /proc/stat's btime.
  static bool parseStat(const std::string& stat, long ticksPerSecond, long pageBytes, double bootTime, Sample& out);
  static std::optional<double> parseBootTime(const std::string& procStat);
  static std::optional<double> parseMaxOpenFiles(const std::string& limits);

 private:
  std::string self_, stat_;
};

}  // namespace fro::metrics
