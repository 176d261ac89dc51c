#pragma once
// A fake Prometheus behind the HttpTransport seam for GateEvaluator tests: answers by query,
// records requests, and can hold chosen queries until released or cancelled (a hung Prometheus). Unlike
// tests/support/FakeTransport it answers without holding its lock, so one hung request does not
// block requests from other threads.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/http/HttpTransport.h"

namespace fro::testing {

class PromStub : public http::HttpTransport {
 public:
  static std::string vector(const std::string& value) {
    return R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1795929885.762,")" +
           value + R"("]}]}})";
  }
  static std::string emptyVector() { return R"({"status":"success","data":{"resultType":"vector","result":[]}})"; }

  // Queries here are plain metric names, so they appear in the URL unencoded.
  void answer(const std::string& query, std::string body, int status = 200) {
    std::lock_guard l(mu_);
    answers_[query] = http::HttpResponse{status, {}, std::move(body)};
  }
  // The next `times` requests for query wait until release().
  void hang(const std::string& query, int times = 1000) {
    std::lock_guard l(mu_);
    hangs_[query] = times;
    released_ = false;
  }
  void release() {
    std::lock_guard l(mu_);
    released_ = true;
    hangs_.clear();
    cv_.notify_all();
  }
  // Waits (bounded, real time) until n requests are being held.
  bool waitHanging(int n) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(5), [&] { return hanging_ >= n; });
  }
  int count(const std::string& query) const {
    std::lock_guard l(mu_);
    auto it = counts_.find(query);
    return it == counts_.end() ? 0 : it->second;
  }
  // Held requests that ended because their cancel flag was set.
  int cancelled() const {
    std::lock_guard l(mu_);
    return cancelled_;
  }
  std::vector<http::HttpRequest> requests() const {
    std::lock_guard l(mu_);
    return requests_;
  }

  Result<http::HttpResponse> send(const http::HttpRequest& req) override {
    const std::string query = queryOf(req.url);
    std::unique_lock l(mu_);
    requests_.push_back(req);
    ++counts_[query];
    if (auto h = hangs_.find(query); h != hangs_.end() && h->second > 0) {
      --h->second;
      ++hanging_;
      cv_.notify_all();
      // Like CurlTransport, a held request ends when its cancel flag is set (shutdown); the flag
      // has no way to wake us, so look at it every millisecond, as curl's progress callback does.
      auto cancelled = [&] { return req.cancel != nullptr && req.cancel->load(); };
      while (!cv_.wait_for(l, std::chrono::milliseconds(1), [&] { return released_ || cancelled(); })) {
      }
      --hanging_;
      if (!released_) {
        ++cancelled_;
        return Error::of("GET http://stub: request cancelled", http::kCancelled);
      }
    }
    auto it = answers_.find(query);
    if (it == answers_.end()) return Error::of("GET http://stub: connect failed: no answer for " + query, http::kConnectFailed);
    return it->second;
  }

  Result<http::HttpResponse> stream(const http::HttpRequest&, const std::function<bool(std::string_view)>&) override {
    return Error::of("not supported", http::kOtherTransportError);
  }

 private:
  static std::string queryOf(const std::string& url) {
    auto p = url.find("query=");
    if (p == std::string::npos) return {};
    p += 6;
    return url.substr(p, url.find('&', p) - p);
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, http::HttpResponse> answers_;
  std::map<std::string, int> hangs_;
  std::map<std::string, int> counts_;
  std::vector<http::HttpRequest> requests_;
  int hanging_ = 0;
  int cancelled_ = 0;
  bool released_ = false;
};

}  // namespace fro::testing
