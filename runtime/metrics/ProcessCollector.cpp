#include "runtime/metrics/ProcessCollector.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <prometheus/metric_family.h>

namespace fro::metrics {

namespace {

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void add(std::vector<prometheus::MetricFamily>& out, const char* name, const char* help, prometheus::MetricType type,
         std::optional<double> v) {
  if (!v) return;
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) m.counter.value = *v;
  else m.gauge.value = *v;
  f.metric.push_back(m);
  out.push_back(std::move(f));
}

}  // namespace

ProcessCollector::ProcessCollector(std::string procSelf, std::string procStat)
    : self_(std::move(procSelf)), stat_(std::move(procStat)) {}

bool ProcessCollector::parseStat(const std::string& stat, long ticksPerSecond, long pageBytes, double bootTime,
                                 Sample& out) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields count from the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos || ticksPerSecond <= 0) return false;
  std::istringstream in(stat.substr(close + 1));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  for (std::string w; in >> w;) f.push_back(w);
  if (f.size() < 22) return false;
  auto num = [&](size_t field) -> std::optional<double> {  // 1-based field number of proc(5)
    const std::string& w = f[field - 3];
    char* end = nullptr;
    const double v = std::strtod(w.c_str(), &end);
    return end && *end == '\0' ? std::optional<double>(v) : std::nullopt;
  };
  auto utime = num(14), stime = num(15), start = num(22), vsize = num(23), rss = num(24);
  if (utime && stime) out.cpuSeconds = (*utime + *stime) / static_cast<double>(ticksPerSecond);
  if (start && bootTime > 0) out.startTimeSeconds = bootTime + *start / static_cast<double>(ticksPerSecond);
  if (vsize) out.virtualBytes = *vsize;
  if (rss && pageBytes > 0) out.residentBytes = *rss * static_cast<double>(pageBytes);
  return true;
}

std::optional<double> ProcessCollector::parseBootTime(const std::string& procStat) {
  std::istringstream in(procStat);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("btime ", 0) == 0) {
      char* end = nullptr;
      const double v = std::strtod(line.c_str() + 6, &end);
      if (end != line.c_str() + 6) return v;
    }
  return std::nullopt;
}

std::optional<double> ProcessCollector::parseMaxOpenFiles(const std::string& limits) {
  std::istringstream in(limits);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream words(line.substr(14));
    std::string soft;
    words >> soft;
    if (soft == "unlimited") return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(soft.c_str(), &end);
    if (end && *end == '\0' && !soft.empty()) return v;
  }
  return std::nullopt;
}

ProcessCollector::Sample ProcessCollector::sample() const {
  Sample s;
  const auto boot = slurp(stat_);
  if (auto stat = slurp(self_ + "/stat"))
    parseStat(*stat, ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE), boot ? parseBootTime(*boot).value_or(0) : 0, s);
  if (auto limits = slurp(self_ + "/limits")) s.maxFds = parseMaxOpenFiles(*limits);
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator(self_ + "/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    ++fds;
  if (!ec) s.openFds = fds;
  return s;
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  const Sample s = sample();
  std::vector<prometheus::MetricFamily> out;
  using T = prometheus::MetricType;
  add(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", T::Counter, s.cpuSeconds);
  add(out, "process_resident_memory_bytes", "Resident memory size in bytes.", T::Gauge, s.residentBytes);
  add(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", T::Gauge, s.virtualBytes);
  add(out, "process_open_fds", "Number of open file descriptors.", T::Gauge, s.openFds);
  add(out, "process_max_fds", "Maximum number of open file descriptors.", T::Gauge, s.maxFds);
  add(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", T::Gauge,
      s.startTimeSeconds);
  return out;
}

}  // namespace fro::metrics
