#include "plugin/CommandId.h"

#include <cstdio>
#include <ctime>
#include <random>

namespace fro::plugin {

std::string CommandId::timestamp(std::chrono::system_clock::time_point now) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  if (ms % 1000 < 0) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buf;
}

std::string CommandId::make(std::chrono::system_clock::time_point now) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string id = timestamp(now) + "-";
  for (int i = 0; i < 4; ++i) id += kAlphabet[rd() % 36];
  return id;
}

}  // namespace fro::plugin
