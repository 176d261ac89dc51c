#pragma once
// In-process HttpTransport for unit tests: answers from a script, records every request.
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/http/HttpTransport.h"
#include "runtime/http/LineSplitter.h"

namespace fro::testing {

class FakeTransport : public http::HttpTransport {
 public:
  using Handler = std::function<Result<http::HttpResponse>(const http::HttpRequest&)>;

  // Responses are consumed in order; when the script runs out, `fallback` answers (default 500).
  void push(Result<http::HttpResponse> r) {
    std::lock_guard l(mu_);
    script_.push_back(std::move(r));
  }
  void push(int status, std::string body, http::Headers headers = {}) {
    push(http::HttpResponse{status, std::move(headers), std::move(body)});
  }
  void pushStream(int status, std::vector<std::string> chunks) {
    std::lock_guard l(mu_);
    streams_.push_back({status, std::move(chunks)});
  }
  Handler fallback;

  Result<http::HttpResponse> send(const http::HttpRequest& req) override {
    std::lock_guard l(mu_);
    requests.push_back(req);
    if (!script_.empty()) {
      auto r = std::move(script_.front());
      script_.pop_front();
      return r;
    }
    if (fallback) return fallback(req);
    return http::HttpResponse{500, {}, "no scripted response"};
  }

  // Feeds scripted chunks through the line splitter the real transport uses.
  Result<http::HttpResponse> stream(const http::HttpRequest& req,
                                    const std::function<bool(std::string_view)>& onLine) override {
    Stream s;
    {
      std::lock_guard l(mu_);
      requests.push_back(req);
      if (streams_.empty()) return Error::of("connection refused", http::kConnectFailed);
      s = std::move(streams_.front());
      streams_.pop_front();
    }
    if (s.status < 200 || s.status >= 300) {
      std::string body;
      for (auto& c : s.chunks) body += c;
      return http::HttpResponse{s.status, {}, body};
    }
    http::LineSplitter lines;
    for (auto& c : s.chunks)
      if (!lines.feed(c, onLine)) return http::HttpResponse{s.status, {}, {}};
    lines.finish(onLine);
    return http::HttpResponse{s.status, {}, {}};
  }

  std::vector<http::HttpRequest> requests;

 private:
  struct Stream {
    int status = 200;
    std::vector<std::string> chunks;
  };
  std::mutex mu_;
  std::deque<Result<http::HttpResponse>> script_;
  std::deque<Stream> streams_;
};

}  // namespace fro::testing
