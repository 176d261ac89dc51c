#pragma once
// Scrapes http://127.0.0.1:<port>/metrics with the operator's own HTTP client and parses the text
// exposition format back into series -> value, as Prometheus would see it.
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "runtime/http/CurlTransport.h"

namespace fro::metrics::testing {

using Series = std::map<std::string, double>;  // `name{l1="v1",l2="v2"}` (labels sorted) -> value

inline std::string key(const std::string& name, std::map<std::string, std::string> labels = {}) {
  if (labels.empty()) return name;
  std::string k = name + "{";
  bool first = true;
  for (const auto& [l, v] : labels) {
    k += (first ? "" : ",") + l + "=\"" + v + "\"";
    first = false;
  }
  return k + "}";
}

inline Series parseExposition(const std::string& body) {
  Series out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    auto value = line.substr(sp + 1);
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0') {
      ADD_FAILURE() << "not an exposition line: " << line;
      continue;
    }
    out[line.substr(0, sp)] = v;
  }
  return out;
}

struct Scraped {
  int status = 0;
  std::string contentType;
  std::string body;
  Series series;
};

inline Scraped scrape(int port, const std::string& path = "/metrics") {
  static http::CurlTransport transport(http::TlsConfig{});
  http::HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + path;
  req.timeout = std::chrono::seconds(10);
  auto r = transport.send(req);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return {};
  Scraped out{r->status, r->header("content-type").value_or(""), r->body, {}};
  if (r->status == 200) out.series = parseExposition(r->body);
  return out;
}

// Every series whose key contains all of `parts`.
inline int countMatching(const Series& s, std::initializer_list<std::string> parts) {
  int n = 0;
  for (const auto& [k, v] : s) {
    bool all = true;
    for (const auto& p : parts) all = all && k.find(p) != std::string::npos;
    n += all;
  }
  return n;
}

}  // namespace fro::metrics::testing
