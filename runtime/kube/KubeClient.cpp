#include "runtime/kube/KubeClient.h"

#include <cctype>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "runtime/kube/ApiError.h"
#include "runtime/kube/Base64.h"
#include "runtime/kube/JsonRead.h"

namespace fro::kube {

namespace {

// Request bodies: a string that is not valid UTF-8 (text quoted from outside) is written with
// U+FFFD instead of making dump() throw, which would lose the whole write.
std::string serialize(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string urlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Builds "?a=b&c=d" from the non-empty pairs.
class Query {
 public:
  Query& add(const char* key, const std::string& value) {
    if (!value.empty()) {
      q_ += q_.empty() ? '?' : '&';
      q_ += key;
      q_ += '=';
      q_ += urlEncode(value);
    }
    return *this;
  }
  const std::string& str() const { return q_; }

 private:
  std::string q_;
};

std::string objNamespace(const json& obj) {
  auto m = obj.find("metadata");
  return m != obj.end() && m->is_object() ? m->value("namespace", "") : "";
}
std::string objName(const json& obj) {
  auto m = obj.find("metadata");
  return m != obj.end() && m->is_object() ? m->value("name", "") : "";
}

}  // namespace

KubeClient::KubeClient(std::shared_ptr<http::HttpTransport> transport, Options options,
                       std::shared_ptr<const Clock> clock, Sleeper sleeper)
    : transport_(std::move(transport)),
      opts_(std::move(options)),
      clock_(std::move(clock)),
      sleep_(sleeper ? std::move(sleeper) : Sleeper([](std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); })),
      limiter_(opts_.qps, opts_.burst, *clock_),
      retry_(opts_.retry) {}

http::HttpRequest KubeClient::makeRequest(const std::string& method, const std::string& pathAndQuery,
                                          const std::string& body, const std::string& contentType) const {
  http::HttpRequest req;
  req.method = method;
  req.url = opts_.server + pathAndQuery;
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("User-Agent", opts_.userAgent);
  if (!contentType.empty()) req.headers.emplace_back("Content-Type", contentType);
  if (opts_.bearerToken) {
    std::string token = opts_.bearerToken();
    if (!token.empty()) req.headers.emplace_back("Authorization", fmt::format("Bearer {}", token));
  }
  req.body = body;
  req.timeout = opts_.timeout;
  return req;
}

void KubeClient::throttle() {
  auto wait = limiter_.reserve();
  if (wait > std::chrono::nanoseconds::zero()) sleep_(wait);
}

Result<http::HttpResponse> KubeClient::call(const std::string& verb, const std::string& method,
                                            const std::string& path, const std::string& body,
                                            const std::string& contentType) {
  for (int attempt = 0;; ++attempt) {
    throttle();
    auto start = clock_->steadyNow();
    auto outcome = transport_->send(makeRequest(method, path, body, contentType));
    if (opts_.observer) opts_.observer(verb, outcome.ok() ? outcome->status : 0, clock_->steadyNow() - start);
    auto delay = retry_.next(attempt, outcome);
    if (!delay) {
      if (!outcome.ok()) return ApiError::fromTransport(method, path, outcome.error());
      return outcome;
    }
    sleep_(*delay);
  }
}

Result<json> KubeClient::callJson(const std::string& verb, const std::string& method, const std::string& path,
                                  const std::string& body, const std::string& contentType) {
  auto resp = call(verb, method, path, body, contentType);
  if (!resp.ok()) return resp.error();
  if (resp->status < 200 || resp->status >= 300) return ApiError::fromResponse(method, path, *resp);
  if (resp->body.empty()) return json::object();
  auto j = json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Error{fmt::format("{} {}: response is not JSON", method, path), resp->status, "BadResponse",
                 ErrorKind::Invalid};
  return j;
}

Result<json> KubeClient::get(const Resource& r, const std::string& ns, const std::string& name) {
  return callJson("GET", "GET", r.objectPath(ns, name));
}

Result<json> KubeClient::list(const Resource& r, const std::string& ns, const ListOptions& o) {
  Query q;
  q.add("labelSelector", o.labelSelector)
      .add("fieldSelector", o.fieldSelector)
      .add("limit", o.limit > 0 ? fmt::to_string(o.limit) : "")
      .add("continue", o.continueToken)
      .add("resourceVersion", o.resourceVersion);
  return callJson("LIST", "GET", r.collectionPath(ns) + q.str());
}

Result<json> KubeClient::listAll(const Resource& r, const std::string& ns, ListOptions o) {
  auto first = list(r, ns, o);
  if (!first.ok()) return first;
  json all = std::move(*first);
  if (!all.contains("items") || all["items"].is_null()) all["items"] = json::array();
  std::string next = all["metadata"].value("continue", "");
  while (!next.empty()) {
    o.continueToken = next;
    o.resourceVersion.clear();  // the token carries the snapshot
    auto page = list(r, ns, o);
    if (!page.ok()) return page;
    for (auto& item : (*page)["items"]) all["items"].push_back(std::move(item));
    next = (*page)["metadata"].value("continue", "");
  }
  all["metadata"].erase("continue");
  return all;
}

Result<json> KubeClient::create(const Resource& r, const std::string& ns, const json& obj) {
  return callJson("POST", "POST", r.collectionPath(ns), serialize(obj));
}

Result<json> KubeClient::update(const Resource& r, const json& obj) {
  return callJson("PUT", "PUT", r.objectPath(objNamespace(obj), objName(obj)), serialize(obj));
}

Result<json> KubeClient::updateStatus(const Resource& r, const json& obj) {
  return callJson("PUT", "PUT", fmt::format("{}/status", r.objectPath(objNamespace(obj), objName(obj))), serialize(obj));
}

Result<json> KubeClient::patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                               const json& body, const PatchOptions& o) {
  std::string ct;
  switch (type) {
    case PatchType::Merge: ct = "application/merge-patch+json"; break;
    case PatchType::JsonPatch: ct = "application/json-patch+json"; break;
    case PatchType::StrategicMerge: ct = "application/strategic-merge-patch+json"; break;
    case PatchType::Apply: ct = "application/apply-patch+yaml"; break;  // JSON is valid YAML
  }
  std::string path = r.objectPath(ns, name);
  if (!o.subresource.empty()) path += fmt::format("/{}", o.subresource);
  Query q;
  q.add("fieldManager", o.fieldManager).add("force", type == PatchType::Apply && o.force ? "true" : "");
  return callJson(type == PatchType::Apply ? "APPLY" : "PATCH", "PATCH", path + q.str(), serialize(body), ct);
}

Result<json> KubeClient::apply(const Resource& r, const json& obj, const std::string& fieldManager, bool force,
                               const std::string& subresource) {
  return patch(r, objNamespace(obj), objName(obj), PatchType::Apply, obj,
               PatchOptions{.fieldManager = fieldManager, .force = force, .subresource = subresource});
}

Status KubeClient::remove(const Resource& r, const std::string& ns, const std::string& name,
                          const DeleteOptions& o) {
  json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!o.propagationPolicy.empty()) body["propagationPolicy"] = o.propagationPolicy;
  if (!o.preconditionUid.empty()) body["preconditions"]["uid"] = o.preconditionUid;
  if (!o.preconditionResourceVersion.empty())
    body["preconditions"]["resourceVersion"] = o.preconditionResourceVersion;
  auto res = callJson("DELETE", "DELETE", r.objectPath(ns, name), serialize(body));
  if (!res.ok()) return res.error();
  return ok();
}

Result<WatchEnd> KubeClient::watch(const Resource& r, const std::string& ns, const WatchOptions& o,
                                   const std::function<bool(const WatchEvent&)>& onEvent) {
  Query q;
  q.add("watch", "true")
      .add("resourceVersion", o.resourceVersion)
      .add("labelSelector", o.labelSelector)
      .add("fieldSelector", o.fieldSelector)
      .add("timeoutSeconds", o.timeoutSeconds > 0 ? fmt::to_string(o.timeoutSeconds) : "")
      .add("allowWatchBookmarks", o.allowBookmarks ? "true" : "");
  std::string path = r.collectionPath(ns) + q.str();
  throttle();
  auto req = makeRequest("GET", path, {}, {});
  req.idleTimeout = o.idleTimeout.count() > 0 ? o.idleTimeout
                                              : std::chrono::milliseconds((o.timeoutSeconds + 30) * 1000LL);
  req.cancel = o.cancel;

  WatchEnd end;
  end.lastResourceVersion = o.resourceVersion;
  std::optional<Error> decodeError;
  auto start = clock_->steadyNow();
  auto resp = transport_->stream(req, [&](std::string_view line) {
    if (line.empty()) return true;
    auto ev = WatchEvent::parse(line);
    if (!ev.ok()) {
      decodeError = ev.error();  // a stream we cannot read is restarted, not trusted
      return false;
    }
    if (ev->type == WatchEvent::Type::Error) {
      if (ev->errorCode() == 410) {
        end.reason = WatchEnd::Reason::Expired;
      } else {
        decodeError = ApiError::fromStatus(ev->errorCode(),
                                           fmt::format("watch {}: {}", path, JsonRead::text(ev->object, "message", "error event")),
                                           JsonRead::text(ev->object, "reason", "WatchError"));
      }
      return false;
    }
    if (auto rv = ev->resourceVersion(); !rv.empty()) end.lastResourceVersion = rv;
    if (!onEvent(*ev)) {
      end.reason = WatchEnd::Reason::StoppedByHandler;
      return false;
    }
    return true;
  });
  if (opts_.observer) opts_.observer("WATCH", resp.ok() ? resp->status : 0, clock_->steadyNow() - start);
  if (!resp.ok()) return ApiError::fromTransport("WATCH", path, resp.error());
  if (resp->status == 410) {
    end.reason = WatchEnd::Reason::Expired;
    return end;
  }
  if (resp->status < 200 || resp->status >= 300) return ApiError::fromResponse("WATCH", path, *resp);
  if (decodeError) return *decodeError;
  return end;
}

Result<std::string> KubeClient::secretValue(const std::string& ns, const std::string& name, const std::string& key) {
  auto secret = get(Resource::secrets(), ns, name);
  if (!secret.ok()) return secret.error();
  const std::string where = fmt::format("Secret {}/{}", ns, name);
  const json* value = nullptr;
  if (auto data = secret->find("data"); data != secret->end() && data->is_object()) {
    if (auto v = data->find(key); v != data->end() && v->is_string()) value = &*v;
  }
  // The Secret is there but lacks the key: NotFound in kind, with no HTTP status (the server said 200).
  if (value == nullptr) return Error::notFound(fmt::format("{} has no key \"{}\"", where, key));
  auto decoded = Base64::decode(value->get<std::string>());
  if (!decoded.ok()) return Error::invalid(fmt::format("{} key \"{}\" is not valid base64", where, key));
  return std::move(decoded).value();
}

Result<http::HttpResponse> KubeClient::raw(const std::string& method, const std::string& path,
                                           const std::string& body, const std::string& contentType) {
  auto resp = call(method, method, path, body, contentType);
  if (!resp.ok()) return resp;
  if (resp->status < 200 || resp->status >= 300) return ApiError::fromResponse(method, path, *resp);
  return resp;
}

}  // namespace fro::kube
