#pragma once
// Kubernetes timestamps: metav1.Time ("2026-11-29T04:47:40Z") and metav1.MicroTime
// ("2026-11-29T04:47:40.123456Z"), always UTC.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace fro {

class Rfc3339 {
 public:
  static std::string format(std::chrono::system_clock::time_point t) { return render(t, false); }
  static std::string formatMicro(std::chrono::system_clock::time_point t) { return render(t, true); }

  // Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)"; nullopt for anything else.
  static std::optional<std::chrono::system_clock::time_point> parse(std::string_view s) {
    int Y, M, D, h, m, sec, n = 0;
    std::string str(s);
    if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) != 6 || n != 19)
      return std::nullopt;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
    size_t i = 19;
    long long micros = 0;
    if (i < str.size() && str[i] == '.') {
      ++i;
      int digits = 0;
      while (i < str.size() && str[i] >= '0' && str[i] <= '9') {
        if (digits < 6) micros = micros * 10 + (str[i] - '0');
        ++digits, ++i;
      }
      if (digits == 0) return std::nullopt;
      for (int d = digits; d < 6; ++d) micros *= 10;
    }
    long offset = 0;
    if (i < str.size() && (str[i] == 'Z' || str[i] == 'z')) {
      ++i;
    } else if (i + 6 == str.size() && (str[i] == '+' || str[i] == '-') && str[i + 3] == ':') {
      int oh = std::atoi(str.substr(i + 1, 2).c_str()), om = std::atoi(str.substr(i + 4, 2).c_str());
      offset = (str[i] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
      i += 6;
    } else {
      return std::nullopt;
    }
    if (i != str.size()) return std::nullopt;
    std::tm tm{};
    tm.tm_year = Y - 1900, tm.tm_mon = M - 1, tm.tm_mday = D, tm.tm_hour = h, tm.tm_min = m, tm.tm_sec = sec;
    std::time_t t = timegm(&tm) - offset;
    return std::chrono::system_clock::from_time_t(t) + std::chrono::microseconds(micros);
  }

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
