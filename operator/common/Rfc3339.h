#pragma once
// Kubernetes timestamps: metav1.Time ("2026-11-29T04:47:40Z") and metav1.MicroTime
// ("2026-11-29T04:47:40.123456Z"), always UTC.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace fro {

class Rfc3339 {
 public:
  static std::string format(std::chrono::system_clock::time_point t) { return render(t, false); }
  static std::string formatMicro(std::chrono::system_clock::time_point t) { return render(t, true); }

 private:
  static std::string render(std::chrono::system_clock::time_point t, bool micro) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
    if (secs > t) secs -= std::chrono::seconds(1);  // floor for times before the epoch
    long long us = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
    std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[80];
    if (micro)
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
    else
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                    tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
  }
};

}  // namespace fro
