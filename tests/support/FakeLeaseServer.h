#pragma once
// Serves one namespace's Leases over FakeTransport with the API server's optimistic concurrency:
// create fails with AlreadyExists, update with a stale resourceVersion fails with Conflict.
#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/FakeTransport.h"

namespace fro::testing {

class FakeLeaseServer {
 public:
  explicit FakeLeaseServer(FakeTransport& t) {
    t.fallback = [this](const http::HttpRequest& r) { return handle(r); };
  }
  std::atomic<bool> down{false};  // simulate an unreachable API server (any thread may flip it)
  nlohmann::json lease(const std::string& name) {
    std::lock_guard l(mu_);
    return leases_.count(name) ? leases_[name] : nlohmann::json();
  }

 private:
  static http::HttpResponse status(int code, const std::string& reason) {
    return {code, {}, nlohmann::json{{"kind", "Status"}, {"code", code}, {"reason", reason}, {"message", reason}}.dump()};
  }
  Result<http::HttpResponse> handle(const http::HttpRequest& r) {
    if (down) return Error::of("connection refused", http::kConnectFailed);
    std::lock_guard l(mu_);
    auto pos = r.url.find("/leases");
    if (pos == std::string::npos) return status(404, "NotFound");
    std::string rest = r.url.substr(pos + 7);
    std::string name = rest.empty() ? "" : rest.substr(1);
    if (r.method == "GET") {
      if (!leases_.count(name)) return status(404, "NotFound");
      return http::HttpResponse{200, {}, leases_[name].dump()};
    }
    auto body = nlohmann::json::parse(r.body);
    std::string n = body["metadata"]["name"];
    if (r.method == "POST") {
      if (leases_.count(n)) return status(409, "AlreadyExists");
      body["metadata"]["resourceVersion"] = std::to_string(++rv_);
      leases_[n] = body;
      return http::HttpResponse{201, {}, body.dump()};
    }
    if (r.method == "PUT") {
      if (!leases_.count(n)) return status(404, "NotFound");
      if (body["metadata"].value("resourceVersion", "") != leases_[n]["metadata"].value("resourceVersion", ""))
        return status(409, "Conflict");
      body["metadata"]["resourceVersion"] = std::to_string(++rv_);
      if (body["spec"].contains("holderIdentity") && body["spec"]["holderIdentity"].is_null())
        body["spec"].erase("holderIdentity");  // the API server drops null (omitempty) fields
      leases_[n] = body;
      return http::HttpResponse{200, {}, body.dump()};
    }
    return status(405, "MethodNotAllowed");
  }
  std::mutex mu_;
  std::map<std::string, nlohmann::json> leases_;
  int rv_ = 100;
};

}  // namespace fro::testing
