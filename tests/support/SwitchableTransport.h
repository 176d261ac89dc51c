#pragma once
// Wraps a real transport; while `down` is set every request fails as if the network were cut.
// Lets integration tests take one client off the API server while others keep working.
#include <atomic>
#include <memory>

#include "runtime/http/HttpTransport.h"

namespace fro::testing {

class SwitchableTransport : public http::HttpTransport {
 public:
  explicit SwitchableTransport(std::shared_ptr<http::HttpTransport> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> down{false};

  Result<http::HttpResponse> send(const http::HttpRequest& req) override {
    if (down) return Error::of("network cut by test", http::kConnectFailed);
    return inner_->send(req);
  }
  Result<http::HttpResponse> stream(const http::HttpRequest& req,
                                    const std::function<bool(std::string_view)>& onLine) override {
    if (down) return Error::of("network cut by test", http::kConnectFailed);
    return inner_->stream(req, onLine);
  }

 private:
  std::shared_ptr<http::HttpTransport> inner_;
};

}  // namespace fro::testing
