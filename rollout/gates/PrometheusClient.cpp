#include "rollout/gates/PrometheusClient.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/common/JsonExcerpt.h"
#include "runtime/common/Utf8.h"

namespace fro::gates {

namespace {

// One line of at most 200 bytes of a body, for error messages (HTML error pages can be long); cut
// at a character boundary and valid UTF-8, since it goes into status and Events.
std::string snippet(std::string_view body) {
  constexpr std::size_t kMax = 203;  // 200 bytes and "..."
  std::string out = Utf8::truncate(body, kMax);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "4 MiB" for whole MiB, else the byte count.
std::string bytesText(std::size_t n) {
  constexpr std::size_t kMiB = 1024 * 1024;
  if (n >= kMiB && n % kMiB == 0) return fmt::format("{} MiB", n / kMiB);
  return fmt::format("{} bytes", n);
}

std::string tooLarge(std::size_t limit) {
  return fmt::format("Prometheus answer is larger than the limit of {}; a gate needs one sample: sum() the query",
                     bytesText(limit));
}

// Prometheus sends sample values as strings: "1.5", "NaN", "+Inf", "-Inf".
std::optional<double> parseSample(std::string_view s) {
  if (s == "+Inf" || s == "Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);  // from_chars refuses a leading '+'
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// A sample pair [<unix time>, "<value>"].
Result<double> sampleValue(const nlohmann::json& pair) {
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string())
    return Error::of(
        fmt::format("Prometheus returned a malformed sample {} (want [<time>, \"<value>\"])", snippet(JsonExcerpt::of(pair))));
  auto v = parseSample(pair[1].get_ref<const std::string&>());
  if (!v)
    return Error::of(
        fmt::format("Prometheus returned a sample value that is not a number: {}", snippet(pair[1].dump())));
  return *v;
}

// SAX pass over an answer that counts the series (objects) in data.result; 0 for anything else,
// including text that is not JSON (the DOM parse after it reports that).
class SeriesCounter final : public nlohmann::json_sax<nlohmann::json> {
 public:
  static std::size_t count(const std::string& body) {
    SeriesCounter c;
    if (!nlohmann::json::sax_parse(body, &c, nlohmann::json::input_format_t::json, /*strict=*/true)) return 0;
    return c.series_;
  }

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    if (inResult()) ++series_;  // a vector's (or matrix's) element; a scalar's are not objects
    return open();
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (depth_ == 1) key1_ = k;
    if (depth_ == 2) key2_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  // depth_: containers open. A series is a value directly inside {"data": {"result": [ ... ]}}.
  bool inResult() const { return depth_ == 3 && key1_ == "data" && key2_ == "result"; }
  static bool value() { return true; }
  bool open() {
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }

  int depth_ = 0;
  std::string key1_, key2_;
  std::size_t series_ = 0;
};

std::string transportMessage(const Error& e, std::chrono::milliseconds timeout) {
  switch (e.code) {
    case http::kTimedOut: return fmt::format("Prometheus query timed out after {} ms ({})", timeout.count(), e.message);
    case http::kConnectFailed: return fmt::format("Prometheus unreachable: {}", e.message);
    case http::kTlsFailed: return fmt::format("TLS connection to Prometheus failed: {}", e.message);
    case http::kCancelled: return fmt::format("Prometheus query cancelled: {}", e.message);
    case http::kResponseTooLarge: return fmt::format("Prometheus query failed: {}", e.message);
    default: return fmt::format("Prometheus request failed: {}", e.message);
  }
}

}  // namespace

PrometheusClient::PrometheusClient(std::shared_ptr<http::HttpTransport> transport, Config config)
    : transport_(std::move(transport)), config_(std::move(config)), display_(displayAddress(config_.address)) {
  while (!config_.address.empty() && config_.address.back() == '/') config_.address.pop_back();
}

std::string PrometheusClient::urlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string PrometheusClient::displayAddress(std::string_view address) {
  std::string a(address.substr(0, address.find_first_of("?#")));
  auto scheme = a.find("://");
  auto hostStart = scheme == std::string::npos ? 0 : scheme + 3;
  auto pathStart = a.find('/', hostStart);
  auto at = a.rfind('@', pathStart == std::string::npos ? std::string::npos : pathStart);
  if (at != std::string::npos && at >= hostStart) a.erase(hostStart, at + 1 - hostStart);
  while (!a.empty() && a.back() == '/') a.pop_back();
  return a;
}

// Belt and braces: a proxy echoing the request could put the token into a body we quote.
std::string PrometheusClient::redact(std::string s) const {
  auto hide = [&s](const std::string& secret) {
    if (secret.empty()) return;
    for (auto p = s.find(secret); p != std::string::npos; p = s.find(secret, p))
      s.replace(p, secret.size(), "[redacted]");
  };
  hide(config_.bearerToken);
  auto scheme = config_.address.find("://");
  auto at = config_.address.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme + 3)
    hide(config_.address.substr(scheme + 3, at - scheme - 3));  // user:password
  return s;
}

Result<QueryValue> PrometheusClient::query(const std::string& promql) const {
  http::HttpRequest req;
  req.method = "GET";
  // Prometheus's own timeout too, so it stops evaluating a query nobody waits for any more.
  req.url = fmt::format("{}/api/v1/query?query={}", config_.address, urlEncode(promql));
  if (config_.timeout.count() > 0) req.url += fmt::format("&timeout={}ms", config_.timeout.count());
  req.timeout = config_.timeout;
  req.cancel = config_.cancel;
  req.maxResponseBytes = config_.maxResponseBytes;
  req.headers.emplace_back("Accept", "application/json");
  if (!config_.bearerToken.empty())
    req.headers.emplace_back("Authorization", fmt::format("Bearer {}", config_.bearerToken));

  auto resp = transport_->send(req);
  if (!resp) {
    Error e = resp.error();
    if (e.code == http::kResponseTooLarge) {
      e.message = fmt::format("{} ({})", tooLarge(config_.maxResponseBytes), e.message);
      e.reason = "ResponseTooLarge";
    } else {
      e.message = transportMessage(e, config_.timeout);
    }
    e.message = Utf8::sanitize(redact(std::move(e.message)));
    return e;
  }
  // Also when the transport does not enforce the limit itself.
  if (config_.maxResponseBytes > 0 && resp->body.size() > config_.maxResponseBytes)
    return Error::of(fmt::format("{} (got {} bytes)", tooLarge(config_.maxResponseBytes), resp->body.size()),
                     http::kResponseTooLarge, "ResponseTooLarge");
  auto parsed = parse(*resp);
  if (!parsed) {
    Error e = parsed.error();
    e.message = Utf8::sanitize(redact(std::move(e.message)));
    return e;
  }
  return parsed;
}

Result<QueryValue> PrometheusClient::parse(const http::HttpResponse& resp) const {
  // Count the series first without building anything: a long vector never becomes a DOM
  // (nlohmann needs about ten times the text).
  if (config_.maxSeries > 0)
    if (auto n = SeriesCounter::count(resp.body); n > config_.maxSeries)
      return Error::of(fmt::format("answer has {} series; the limit is {} (sum() the query)", n, config_.maxSeries), 0,
                       "TooManySeries");
  nlohmann::json doc = nlohmann::json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    if (resp.status < 200 || resp.status >= 300)
      return Error::of(resp.body.empty() ? fmt::format("Prometheus {} answered HTTP {}", display_, resp.status)
                                         : fmt::format("Prometheus {} answered HTTP {}: {}", display_, resp.status,
                                                       snippet(resp.body)),
                       resp.status, "HttpError");
    return Error::of(fmt::format("Prometheus {} answered HTTP {} with a body that is not JSON ({} bytes: {})", display_,
                                 resp.status, resp.body.size(), snippet(resp.body)),
                     resp.status, "BadResponse");
  }
  try {
    const std::string st = doc.value("status", "");
    if (st == "error") {
      // Prometheus's own words, e.g. "1:21: parse error: unexpected end of input".
      std::string type = doc.value("errorType", "unknown");
      return Error::of(fmt::format("Prometheus error {} (HTTP {}): {}", type, resp.status, doc.value("error", "")),
                       resp.status, type);
    }
    if (resp.status < 200 || resp.status >= 300)
      return Error::of(fmt::format("Prometheus {} answered HTTP {}: {}", display_, resp.status, snippet(resp.body)),
                       resp.status, "HttpError");
    if (st != "success")
      return Error::of(fmt::format("Prometheus response has status {}, want \"success\" or \"error\"",
                                   snippet(doc["status"].dump())),
                       resp.status, "BadResponse");
    const auto& data = doc.at("data");
    const std::string type = data.at("resultType").get<std::string>();
    const auto& result = data.at("result");
    if (type == "scalar") {
      auto v = sampleValue(result);
      if (!v) return v.error();
      return QueryValue{*v, type};
    }
    if (type == "vector") {
      if (!result.is_array()) return Error::of("Prometheus vector result is not an array", resp.status, "BadResponse");
      if (result.empty()) return QueryValue{std::nullopt, type};
      if (result.size() != 1)
        return Error::of(
            fmt::format(
                "query returned {} series; a gate query must return exactly one (aggregate it, e.g. with sum())",
                result.size()),
            0, "TooManySeries");
      auto v = sampleValue(result[0].at("value"));
      if (!v) return v.error();
      return QueryValue{*v, type};
    }
    return Error::of(
        fmt::format("query returned a {} result; a gate query must return a scalar or an instant vector", type), 0,
        "UnsupportedResultType");
  } catch (const nlohmann::json::exception& e) {
    return Error::of(fmt::format("Prometheus response has an unexpected shape: {}", e.what()), resp.status,
                     "BadResponse");
  }
}

}  // namespace fro::gates
