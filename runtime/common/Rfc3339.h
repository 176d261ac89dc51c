#pragma once
// Kubernetes timestamps: metav1.Time ("2026-11-29T04:47:40Z") and metav1.MicroTime
// ("2026-11-29T04:47:40.123456Z"), always UTC.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace fro {

class Rfc3339 {
 public:
  static std::string format(std::chrono::system_clock::time_point t) { return render(t, false); }
  static std::string formatMicro(std::chrono::system_clock::time_point t) { return render(t, true); }

  // Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" (RFC 3339; 't' and 'z' too), every field a
  // run of digits in range (a day that exists in its month, a leap second allowed); fractions past
  // microseconds are dropped. nullopt for anything else, and for instants system_clock cannot hold
  // (its nanoseconds span about 1678..2262): converting those would overflow.
  static std::optional<std::chrono::system_clock::time_point> parse(std::string_view s) {
    using namespace std::chrono;
    const auto field = [&s](std::size_t at, std::size_t n, int& out) {
      if (at + n > s.size()) return false;
      out = 0;
      for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
      }
      return true;
    };
    int Y, M, D, h, m, sec;
    if (!field(0, 4, Y) || s.size() < 20 || s[4] != '-' || !field(5, 2, M) || s[7] != '-' || !field(8, 2, D) ||
        (s[10] != 'T' && s[10] != 't') || !field(11, 2, h) || s[13] != ':' || !field(14, 2, m) || s[16] != ':' ||
        !field(17, 2, sec))
      return std::nullopt;
    const year_month_day date{year{Y}, month{static_cast<unsigned>(M)}, day{static_cast<unsigned>(D)}};
    if (!date.ok() || h > 23 || m > 59 || sec > 60) return std::nullopt;
    std::size_t i = 19;
    long long micros = 0;
    if (s[i] == '.') {
      ++i;
      int digits = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (digits < 6) micros = micros * 10 + (s[i] - '0');
        ++digits, ++i;
      }
      if (digits == 0) return std::nullopt;
      for (int d = digits; d < 6; ++d) micros *= 10;
    }
    long long offset = 0;
    int oh = 0, om = 0;
    if (i + 1 == s.size() && (s[i] == 'Z' || s[i] == 'z')) {
      // UTC
    } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && field(i + 1, 2, oh) && s[i + 3] == ':' &&
               field(i + 4, 2, om) && oh <= 23 && om <= 59) {
      offset = (s[i] == '+' ? 1 : -1) * (oh * 3600LL + om * 60LL);
    } else {
      return std::nullopt;
    }
    const long long secs = sys_days(date).time_since_epoch().count() * 86400LL + h * 3600LL + m * 60LL + sec - offset;
    constexpr long long kMin = duration_cast<seconds>(system_clock::time_point::min().time_since_epoch()).count() + 1;
    constexpr long long kMax = duration_cast<seconds>(system_clock::time_point::max().time_since_epoch()).count() - 1;
    if (secs < kMin || secs > kMax) return std::nullopt;
    return system_clock::time_point(duration_cast<system_clock::duration>(seconds(secs) + microseconds(micros)));
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
