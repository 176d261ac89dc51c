// fro::gates::PrometheusClient::query on any answer: a fake transport returns the input as the
// body. The first byte picks the HTTP status and the series limit, the rest is the body. Every
// answer is a value (a number, no data, or an Error) whose message is valid UTF-8 and never
// carries the bearer token or the address's credentials; a success needs a 2xx JSON answer.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz/FuzzCheck.h"
#include "rollout/gates/PrometheusClient.h"
#include "runtime/common/Utf8.h"
#include "runtime/http/HttpTransport.h"

namespace {

constexpr const char* kToken = "s3cr3t-t0ken";
constexpr const char* kUserInfo = "fuzz:hunter2-pw";

class BodyTransport final : public fro::http::HttpTransport {
 public:
  fro::http::HttpResponse answer;
  fro::Result<fro::http::HttpResponse> send(const fro::http::HttpRequest&) override { return answer; }
  fro::Result<fro::http::HttpResponse> stream(const fro::http::HttpRequest&,
                                              const std::function<bool(std::string_view)>&) override {
    return fro::Error::of("not used", fro::http::kOtherTransportError);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr int kStatus[] = {200, 200, 400, 422, 503, 204, 302, 0};
  static constexpr std::size_t kMaxSeries[] = {100, 0, 1, 2};
  auto transport = std::make_shared<BodyTransport>();
  transport->answer.status = kStatus[data[0] & 7];
  transport->answer.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);

  fro::gates::PrometheusClient::Config config;
  config.address = std::string("http://") + kUserInfo + "@prometheus.monitoring:9090/";
  config.bearerToken = kToken;
  config.maxSeries = kMaxSeries[(data[0] >> 3) & 3];
  config.maxResponseBytes = (data[0] & 0x20) ? 64 : 4 * 1024 * 1024;
  fro::gates::PrometheusClient client(transport, config);

  auto r = client.query("sum(rate(http_requests_total{code=~\"5..\"}[1m]))");
  if (!r.ok()) {
    const std::string& m = r.error().message;
    FRO_FUZZ_CHECK(fro::Utf8::valid(m), "error message is not valid UTF-8");
    FRO_FUZZ_CHECK(m.find(kToken) == std::string::npos, "error message carries the bearer token");
    FRO_FUZZ_CHECK(m.find(kUserInfo) == std::string::npos, "error message carries the address's credentials");
    return 0;
  }
  const auto& body = transport->answer.body;
  FRO_FUZZ_CHECK(transport->answer.status >= 200 && transport->answer.status < 300, "a non-2xx answer was a value");
  FRO_FUZZ_CHECK(nlohmann::json::accept(body), "an answer that is not JSON was a value");
  FRO_FUZZ_CHECK(config.maxResponseBytes == 0 || body.size() <= config.maxResponseBytes, "an answer over the limit was a value");
  FRO_FUZZ_CHECK(r->resultType == "vector" || (r->resultType == "scalar" && r->value.has_value()),
                 "a value that is neither a vector nor a scalar with a sample: " + r->resultType);
  return 0;
}
