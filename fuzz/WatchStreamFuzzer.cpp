// A Kubernetes watch stream from any bytes, arriving in fuzzer-chosen chunks: first
// http::LineSplitter alone against a model of its contract (lines split at '\n', one trailing
// '\r' dropped, chunk boundaries invisible, nothing after the handler says stop), then the same
// chunks through KubeClient::watch, which decodes every line with WatchEvent::parse (and a non-2xx
// answer with ApiError). Input: byte 0 the HTTP status, byte 1 after how many lines to stop
// (0: never), byte 2 the number of chunk boundaries (mod 16), then one byte per chunk length,
// then the stream.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/FuzzCheck.h"
#include "runtime/http/HttpTransport.h"
#include "runtime/http/LineSplitter.h"
#include "runtime/kube/KubeClient.h"
#include "runtime/kube/WatchEvent.h"

namespace {

using fro::http::LineSplitter;

// Streams the chunks the way CurlTransport does: through a LineSplitter, or whole for a non-2xx.
class ChunkTransport final : public fro::http::HttpTransport {
 public:
  int status = 200;
  std::vector<std::string_view> chunks;

  fro::Result<fro::http::HttpResponse> send(const fro::http::HttpRequest&) override {
    return fro::Error::of("not used", fro::http::kOtherTransportError);
  }
  fro::Result<fro::http::HttpResponse> stream(const fro::http::HttpRequest&,
                                              const std::function<bool(std::string_view)>& onLine) override {
    fro::http::HttpResponse resp{status, {}, {}};
    if (status < 200 || status >= 300) {
      for (auto c : chunks) resp.body += c;
      return resp;
    }
    LineSplitter lines;
    for (auto c : chunks)
      if (!lines.feed(c, onLine)) return resp;
    lines.finish(onLine);
    return resp;
  }
};

// The lines of `s` as the splitter's contract defines them.
std::vector<std::string> modelLines(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto nl = s.find('\n');
    std::string_view line = s.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.emplace_back(line);
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  static constexpr int kStatus[] = {200, 200, 200, 410, 500, 403, 404, 422};
  const int status = kStatus[data[0] & 7];
  const std::size_t stopAfter = data[1];
  std::size_t boundaries = data[2] % 16, at = 3;
  std::vector<std::size_t> lengths;
  while (boundaries-- > 0 && at < size) lengths.push_back(data[at++]);
  const std::string_view stream(reinterpret_cast<const char*>(data) + at, size - at);
  std::vector<std::string_view> chunks;
  std::string_view rest = stream;
  for (std::size_t n : lengths) {
    n = std::min(n, rest.size());
    chunks.push_back(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  chunks.push_back(rest);

  // 1. The splitter against its model.
  std::vector<std::string> want = modelLines(stream);
  if (stopAfter > 0 && want.size() > stopAfter) want.resize(stopAfter);
  std::vector<std::string> got;
  auto onLine = [&](std::string_view line) {
    got.emplace_back(line);
    return stopAfter == 0 || got.size() < stopAfter;
  };
  LineSplitter splitter;
  bool going = true;
  for (auto c : chunks) going = splitter.feed(c, onLine) && going;
  const bool finished = splitter.finish(onLine);
  FRO_FUZZ_CHECK(got == want, "LineSplitter delivered other lines than the stream holds");
  const bool stopped = stopAfter > 0 && got.size() == stopAfter;
  FRO_FUZZ_CHECK(splitter.stopped() == stopped && finished == !stopped && (stopped || going),
                 "LineSplitter's stop state disagrees with what the handler answered");

  // 2. The decoder, through the client's watch.
  auto transport = std::make_shared<ChunkTransport>();
  transport->status = status;
  transport->chunks = chunks;
  fro::kube::KubeClient::Options options;
  options.server = "https://127.0.0.1:6443";
  options.qps = 0;  // no client-side rate limit: nothing sleeps
  fro::kube::KubeClient client(transport, options, std::make_shared<fro::SystemClock>(), [](std::chrono::nanoseconds) {});
  std::size_t events = 0;
  auto end = client.watch(fro::kube::Resource::configMaps(), "default", {}, [&](const fro::kube::WatchEvent& ev) {
    FRO_FUZZ_CHECK(ev.type != fro::kube::WatchEvent::Type::Error, "an ERROR event reached the handler");
    FRO_FUZZ_CHECK(ev.object.is_object(), "an event without an object reached the handler");
    ++events;
    return stopAfter == 0 || events < stopAfter;
  });
  if (end.ok() && status >= 200 && status < 300)
    FRO_FUZZ_CHECK(end->reason != fro::kube::WatchEnd::Reason::StoppedByHandler || events == stopAfter,
                   "the watch says the handler stopped it, but it did not");
  if (status != 410 && (status < 200 || status >= 300)) FRO_FUZZ_CHECK(!end.ok(), "a non-2xx watch answer was not an error");
  return 0;
}
