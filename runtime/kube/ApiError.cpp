#include "runtime/kube/ApiError.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/kube/JsonRead.h"

namespace fro::kube {

namespace {
const char* defaultReason(int status) {
  switch (status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "Unknown";
  }
}
}  // namespace

Error ApiError::fromResponse(const std::string& verb, const std::string& path, const http::HttpResponse& resp) {
  std::string reason = defaultReason(resp.status);
  std::string message;
  auto status = nlohmann::json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  if (JsonRead::text(status, "kind") == "Status") {
    reason = JsonRead::text(status, "reason", reason);
    message = JsonRead::text(status, "message");
    // Field causes say exactly which field of the object was rejected and why.
    if (auto d = status.find("details"); d != status.end() && d->is_object()) {
      if (auto c = d->find("causes"); c != d->end() && c->is_array()) {
        for (const auto& cause : *c) {
          std::string field = JsonRead::text(cause, "field");
          std::string msg = JsonRead::text(cause, "message");
          if (!field.empty() && message.find(field) == std::string::npos) message += fmt::format("; {}: {}", field, msg);
        }
      }
    }
  } else {
    message = resp.body.substr(0, 512);
  }
  if (message.empty()) message = reason;
  return fromStatus(resp.status, fmt::format("{} {}: {} {}: {}", verb, path, resp.status, reason, message), reason);
}

Error ApiError::fromTransport(const std::string& verb, const std::string& path, const Error& err) {
  return Error::transport(err.code, fmt::format("{} {}: {}", verb, path, err.message));
}

Error ApiError::fromStatus(int status, std::string message, std::string reason) {
  Error e = Error::http(status, std::move(message), std::move(reason));
  if (status == 404) e.kind = ErrorKind::NotFound;
  if (status == 422) e.kind = ErrorKind::Invalid;
  return e;
}

}  // namespace fro::kube
