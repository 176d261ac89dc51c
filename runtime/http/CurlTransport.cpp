#include "runtime/http/CurlTransport.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>

#include "runtime/http/LineSplitter.h"

namespace fro::http {

namespace {

using SteadyClock = std::chrono::steady_clock;

bool globalInit() {
  static std::once_flag once;
  static CURLcode rc = CURLE_FAILED_INIT;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return rc == CURLE_OK;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool hasHeader(const Headers& h, std::string_view name) {
  return std::any_of(h.begin(), h.end(), [&](const auto& kv) { return iequals(kv.first, name); });
}

bool hasCrLf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends to a curl_slist; false on allocation failure (the list is left intact).
bool append(Slist& list, const std::string& s) {
  curl_slist* n = curl_slist_append(list.get(), s.c_str());
  if (n == nullptr) return false;
  list.release();
  list.reset(n);
  return true;
}

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// Reads one part of a parsed URL; empty when absent.
std::string urlPart(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* p = nullptr;
  if (curl_url_get(u, part, &p, flags) != CURLUE_OK || p == nullptr) return {};
  std::string s(p);
  curl_free(p);
  return s;
}

// Where a request goes, in the parts we need for messages and the serverName override.
struct Target {
  std::string url;     // URL handed to curl (host replaced by serverName when overriding)
  std::string scheme;  // "http" / "https"
  std::string host;    // as in the URL (IPv6 in brackets)
  std::string port;    // explicit or scheme default
  bool explicitPort = false;
  std::string origin() const { return fmt::format("{}://{}:{}", scheme, host, port); }
};

std::optional<Target> parseTarget(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  Target t;
  t.url = url;
  t.scheme = lower(urlPart(u.get(), CURLUPART_SCHEME));
  t.host = urlPart(u.get(), CURLUPART_HOST);
  t.explicitPort = !urlPart(u.get(), CURLUPART_PORT).empty();
  t.port = urlPart(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if ((t.scheme != "http" && t.scheme != "https") || t.host.empty()) return std::nullopt;
  return t;
}

// The URL with its host replaced (for the serverName override).
std::optional<std::string> withHost(const std::string& url, const std::string& host) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  if (curl_url_set(u.get(), CURLUPART_HOST, host.c_str(), 0) != CURLUE_OK) return std::nullopt;
  auto s = urlPart(u.get(), CURLUPART_URL);
  if (s.empty()) return std::nullopt;
  return s;
}

const char* codeName(int code) {
  switch (code) {
    case kConnectFailed: return "connect failed";
    case kTlsFailed: return "TLS failed";
    case kTimedOut: return "timed out";
    case kCancelled: return "cancelled";
    case kResponseTooLarge: return "response too large";
    default: return "transport error";
  }
}

const char* reasonFor(int code) {
  switch (code) {
    case kConnectFailed: return "ConnectFailed";
    case kTlsFailed: return "TlsFailed";
    case kTimedOut: return "TimedOut";
    case kCancelled: return "Cancelled";
    case kResponseTooLarge: return "ResponseTooLarge";
    default: return "TransportError";
  }
}

int classify(CURLcode rc, std::string_view detail, bool https) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return kConnectFailed;
    case CURLE_OPERATION_TIMEDOUT:
      return kTimedOut;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return kTlsFailed;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      // With TLS 1.3 the server rejects a missing/unknown client certificate after the client
      // considers the handshake done, so curl reports it as a read error carrying the TLS alert.
      if (https && detail.find("alert") != std::string_view::npos) return kTlsFailed;
      return kOtherTransportError;
    default:
      return kOtherTransportError;
  }
}

enum class Mode { kSend, kStream };

}  // namespace

struct CurlTransport::Handle {
  CURLM* multi = curl_multi_init();
  CURL* easy = curl_easy_init();

  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);  // closes the connection it kept
  }
  bool valid() const { return multi != nullptr && easy != nullptr; }
};

// State of one request, shared with the curl callbacks.
struct CurlTransport::Transfer {
  Mode mode = Mode::kSend;
  const HttpRequest* req = nullptr;
  const std::function<bool(std::string_view)>* onLine = nullptr;
  std::string method;
  std::string origin;  // scheme://host:port, for messages

  SteadyClock::time_point lastByte;
  std::optional<SteadyClock::time_point> headerDeadline;  // stream(): connect + headers
  bool headersDone = false;

  int status = 0;
  Headers headers;
  std::string body;
  LineSplitter lines;

  std::optional<Error> abort;  // why we stopped the transfer ourselves
  char errbuf[CURL_ERROR_SIZE] = {};

  Error error(int code, const std::string& what) const {
    return Error::transport(code, fmt::format("{} {}: {}: {}", method, origin, codeName(code), what), reasonFor(code));
  }

  bool is2xx() const { return status >= 200 && status < 300; }

  Error tooLarge(const std::string& what) const {
    return error(kResponseTooLarge, fmt::format("{} of {} bytes", what, req->maxResponseBytes));
  }

  // Appends to the body unless that would pass maxResponseBytes; then frees what was read and
  // returns false. Grows the buffer itself so that its capacity never exceeds the limit either.
  bool appendBody(const char* data, size_t len) {
    const size_t max = req->maxResponseBytes;
    if (max > 0) {
      if (len > max - body.size()) {
        abort = tooLarge("the body is larger than the limit");
        std::string().swap(body);
        return false;
      }
      if (body.size() + len > body.capacity()) body.reserve(std::min(max, std::max(body.size() + len, 2 * body.capacity())));
    }
    body.append(data, len);
    return true;
  }

  // Checked from curl's progress callback and between polls. True once the transfer must stop.
  bool shouldAbort(SteadyClock::time_point now) {
    if (abort) return true;
    if (req->cancel != nullptr && req->cancel->load(std::memory_order_relaxed)) {
      abort = error(kCancelled, "request cancelled");
    } else if (headerDeadline && !headersDone && now >= *headerDeadline) {
      abort = error(kTimedOut, fmt::format("no response headers within {} ms", req->timeout.count()));
      abort->reason = "TimedOut";
    } else if (mode == Mode::kStream && req->idleTimeout.count() > 0 && now - lastByte >= req->idleTimeout) {
      abort = error(kTimedOut, fmt::format("no data received for {} ms (idle timeout)", req->idleTimeout.count()));
      abort->reason = "IdleTimeout";
    }
    return abort.has_value();
  }

  bool needsFrequentChecks() const {
    return req->cancel != nullptr || headerDeadline.has_value() ||
           (mode == Mode::kStream && req->idleTimeout.count() > 0);
  }

  static size_t onHeader(char* data, size_t size, size_t n, void* ud) {
    auto* t = static_cast<Transfer*>(ud);
    const size_t len = size * n;
    try {
      t->lastByte = SteadyClock::now();
      std::string_view line(data, len);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
      if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
        // A new response (after 1xx or a proxy CONNECT): start over.
        t->headers.clear();
        t->headersDone = false;
        t->status = 0;
        auto sp = line.find(' ');
        if (sp != std::string_view::npos) {
          auto rest = trim(line.substr(sp + 1));
          int s = 0;
          size_t i = 0;
          for (; i < rest.size() && i < 3 && std::isdigit(static_cast<unsigned char>(rest[i])); ++i)
            s = s * 10 + (rest[i] - '0');
          if (i == 3) t->status = s;
        }
      } else if (line.empty()) {
        if (t->status >= 200) t->headersDone = true;
      } else if (line.front() == ' ' || line.front() == '\t') {
        if (!t->headers.empty()) {  // obsolete line folding
          auto& v = t->headers.back().second;
          v += ' ';
          v += trim(line);
        }
      } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
        t->headers.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
        // Refuse a body announced larger than the limit before reading any of it.
        const size_t max = t->req->maxResponseBytes;
        if (max > 0 && t->status >= 200 && t->req->method != "HEAD" && t->headers.back().first == "content-length") {
          const std::string& v = t->headers.back().second;
          unsigned long long announced = 0;
          auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), announced);
          if (ec == std::errc() && end == v.data() + v.size() && announced > max &&
              (t->mode == Mode::kSend || !t->is2xx())) {
            t->abort = t->tooLarge(fmt::format("Content-Length {} is larger than the limit", v));
            return 0;
          }
        }
      }
      return len;
    } catch (...) {
      if (!t->abort) t->abort = t->error(kOtherTransportError, "out of memory reading headers");
      return 0;
    }
  }

  static size_t onBody(char* data, size_t size, size_t n, void* ud) {
    auto* t = static_cast<Transfer*>(ud);
    const size_t len = size * n;
    try {
      t->lastByte = SteadyClock::now();
      t->headersDone = true;
      if (t->mode == Mode::kSend || !t->is2xx()) return t->appendBody(data, len) ? len : 0;
      if (!t->lines.feed(std::string_view(data, len), *t->onLine)) return 0;  // onLine said stop
      return len;
    } catch (const std::exception& e) {
      if (!t->abort) t->abort = t->error(kOtherTransportError, fmt::format("while handling the body: {}", e.what()));
      return 0;
    } catch (...) {
      if (!t->abort) t->abort = t->error(kOtherTransportError, "while handling the body: unknown exception");
      return 0;
    }
  }

  static int onProgress(void* ud, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(ud);
    try {
      return t->shouldAbort(SteadyClock::now()) ? 1 : 0;
    } catch (...) {
      return 1;
    }
  }
};

CurlTransport::CurlTransport(TlsConfig tls) : CurlTransport(std::move(tls), Options{}) {}

CurlTransport::CurlTransport(TlsConfig tls, Options options) : tls_(std::move(tls)), opts_(std::move(options)) {
  globalInit();
  if (opts_.checkInterval.count() <= 0) opts_.checkInterval = std::chrono::milliseconds(50);
}

CurlTransport::~CurlTransport() = default;

std::size_t CurlTransport::idleHandles() const {
  MutexLock l(mu_);
  return idle_.size();
}

std::unique_ptr<CurlTransport::Handle> CurlTransport::acquire() {
  {
    MutexLock l(mu_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;  // options were reset after its last transfer; the multi handle keeps the connection
    }
  }
  return std::make_unique<Handle>();
}

void CurlTransport::release(std::unique_ptr<Handle> h, bool reusable) {
  if (!reusable || !h->valid()) return;
  std::unique_ptr<Handle> surplus;
  MutexLock l(mu_);
  if (idle_.size() < opts_.maxIdleHandles)
    idle_.push_back(std::move(h));
  else
    surplus = std::move(h);  // destroyed after the lock is released
}

Result<HttpResponse> CurlTransport::send(const HttpRequest& req) {
  try {
    Transfer t;
    t.mode = Mode::kSend;
    auto h = acquire();
    auto r = run(*h, req, t);
    release(std::move(h), r.ok() && !t.abort);
    return r;
  } catch (const std::exception& e) {
    return Error::transport(kOtherTransportError, fmt::format("{}: transport error: {}", req.method, e.what()));
  }
}

Result<HttpResponse> CurlTransport::stream(const HttpRequest& req,
                                           const std::function<bool(std::string_view line)>& onLine) {
  try {
    Transfer t;
    t.mode = Mode::kStream;
    t.onLine = &onLine;
    Handle h;  // own connection, closed when the stream ends
    return run(h, req, t);
  } catch (const std::exception& e) {
    return Error::transport(kOtherTransportError, fmt::format("{}: transport error: {}", req.method, e.what()));
  }
}

Result<HttpResponse> CurlTransport::run(Handle& h, const HttpRequest& req, Transfer& t) {
  t.req = &req;
  t.method = req.method;
  auto target = parseTarget(req.url);
  if (!target) {
    t.origin = "(invalid URL)";
    return t.error(kOtherTransportError, "cannot parse the URL or its scheme is not http/https");
  }
  t.origin = target->origin();
  if (!globalInit() || !h.valid()) return t.error(kOtherTransportError, "libcurl initialisation failed");
  if (req.method.empty() || hasCrLf(req.method) || req.method.find(' ') != std::string::npos)
    return t.error(kOtherTransportError, "invalid method");
  if (req.cancel != nullptr && req.cancel->load()) return t.error(kCancelled, "request cancelled");

  CURL* e = h.easy;
  CURLcode setRc = CURLE_OK;
  auto setLong = [&](CURLoption o, long v) {
    if (setRc == CURLE_OK) setRc = curl_easy_setopt(e, o, v);
  };
  auto setPtr = [&](CURLoption o, const void* v) {
    if (setRc == CURLE_OK) setRc = curl_easy_setopt(e, o, v);
  };
  auto setStr = [&](CURLoption o, const std::string& v) {
    if (setRc == CURLE_OK) setRc = curl_easy_setopt(e, o, v.c_str());
  };
  auto setOff = [&](CURLoption o, curl_off_t v) {
    if (setRc == CURLE_OK) setRc = curl_easy_setopt(e, o, v);
  };

  // Request headers. Never echoed into messages: they carry bearer tokens.
  Slist headers;
  for (const auto& [k, v] : req.headers) {
    if (k.empty() || hasCrLf(k) || hasCrLf(v) || k.find(':') != std::string::npos)
      return t.error(kOtherTransportError, "invalid request header (name or value contains CR/LF or ':')");
    if (!append(headers, v.empty() ? fmt::format("{};", k) : fmt::format("{}: {}", k, v)))
      return t.error(kOtherTransportError, "out of memory");
  }
  if (!hasHeader(req.headers, "Expect") && !append(headers, "Expect:"))  // no 100-continue round trip
    return t.error(kOtherTransportError, "out of memory");

  // serverName override: verify/SNI against serverName, connect to the URL's host:port.
  Slist connectTo;
  std::string url = req.url;
  const bool https = target->scheme == "https";
  if (https && !tls_.serverName.empty() && !iequals(target->host, tls_.serverName)) {
    auto u = withHost(req.url, tls_.serverName);
    if (!u) return t.error(kOtherTransportError, "cannot apply the TLS server name override to the URL");
    url = *u;
    std::string overrideHost = tls_.serverName;
    if (overrideHost.find(':') != std::string::npos && overrideHost.front() != '[')
      overrideHost = fmt::format("[{}]", overrideHost);
    if (!append(connectTo, fmt::format("{}:{}:{}:{}", overrideHost, target->port, target->host, target->port)))
      return t.error(kOtherTransportError, "out of memory");
    if (!hasHeader(req.headers, "Host") &&
        !append(headers, target->explicitPort ? fmt::format("Host: {}:{}", target->host, target->port)
                                              : fmt::format("Host: {}", target->host)))
      return t.error(kOtherTransportError, "out of memory");
  }

  setPtr(CURLOPT_ERRORBUFFER, t.errbuf);
  setStr(CURLOPT_URL, url);
  setStr(CURLOPT_PROTOCOLS_STR, "http,https");
  setLong(CURLOPT_NOSIGNAL, 1L);
  setLong(CURLOPT_FOLLOWLOCATION, 0L);
  setLong(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  setLong(CURLOPT_TCP_KEEPALIVE, 1L);
  setLong(CURLOPT_TCP_KEEPIDLE, 30L);
  setLong(CURLOPT_TCP_KEEPINTVL, 15L);
  setLong(CURLOPT_HTTP_VERSION, opts_.allowHttp2 ? static_cast<long>(CURL_HTTP_VERSION_2TLS)
                                                 : static_cast<long>(CURL_HTTP_VERSION_1_1));
  setStr(CURLOPT_USERAGENT, opts_.userAgent);
  if (connectTo) setPtr(CURLOPT_CONNECT_TO, connectTo.get());

  // Method and body.
  const bool bodyMethod = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  if (req.method == "HEAD") {
    setLong(CURLOPT_NOBODY, 1L);
  } else if (req.body.empty() && !bodyMethod) {
    if (req.method == "GET")
      setLong(CURLOPT_HTTPGET, 1L);
    else
      setStr(CURLOPT_CUSTOMREQUEST, req.method);
  } else {
    setOff(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    setPtr(CURLOPT_POSTFIELDS, req.body.data());
    if (req.method != "POST") setStr(CURLOPT_CUSTOMREQUEST, req.method);
    // curl would invent "application/x-www-form-urlencoded"; send only what the caller gave.
    if (!hasHeader(req.headers, "Content-Type") && !append(headers, "Content-Type:"))
      return t.error(kOtherTransportError, "out of memory");
  }
  setPtr(CURLOPT_HTTPHEADER, headers.get());

  // Timeouts. send(): whole request. stream(): connect + headers (our own check for the headers).
  const long timeoutMs = static_cast<long>(std::max<std::chrono::milliseconds::rep>(0, req.timeout.count()));
  if (timeoutMs > 0) {
    setLong(CURLOPT_CONNECTTIMEOUT_MS, timeoutMs);
    if (t.mode == Mode::kSend)
      setLong(CURLOPT_TIMEOUT_MS, timeoutMs);
    else
      t.headerDeadline = SteadyClock::now() + req.timeout;
  }
  if (t.mode == Mode::kStream) setLong(CURLOPT_FORBID_REUSE, 1L);

  // TLS.
  if (https) {
    setLong(CURLOPT_SSL_VERIFYPEER, tls_.insecureSkipVerify ? 0L : 1L);
    setLong(CURLOPT_SSL_VERIFYHOST, tls_.insecureSkipVerify ? 0L : 2L);
    if (!tls_.caPem.empty()) {
      curl_blob ca{const_cast<char*>(tls_.caPem.data()), tls_.caPem.size(), CURL_BLOB_COPY};
      setPtr(CURLOPT_CAINFO_BLOB, &ca);
      setPtr(CURLOPT_CAINFO, nullptr);  // the given bundle only, not also the system store
      setPtr(CURLOPT_CAPATH, nullptr);
    }
    if (!tls_.clientCertPem.empty()) {
      curl_blob cert{const_cast<char*>(tls_.clientCertPem.data()), tls_.clientCertPem.size(), CURL_BLOB_COPY};
      setPtr(CURLOPT_SSLCERT_BLOB, &cert);
      setStr(CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (!tls_.clientKeyPem.empty()) {
      curl_blob key{const_cast<char*>(tls_.clientKeyPem.data()), tls_.clientKeyPem.size(), CURL_BLOB_COPY};
      setPtr(CURLOPT_SSLKEY_BLOB, &key);
      setStr(CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (setRc != CURLE_OK)
      return t.error(kTlsFailed, fmt::format("libcurl rejected the TLS settings: {}", curl_easy_strerror(setRc)));
  }

  // Callbacks.
  curl_write_callback headerFn = &Transfer::onHeader;
  curl_write_callback bodyFn = &Transfer::onBody;
  curl_xferinfo_callback progressFn = &Transfer::onProgress;
  if (setRc == CURLE_OK) setRc = curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, headerFn);
  setPtr(CURLOPT_HEADERDATA, &t);
  if (setRc == CURLE_OK) setRc = curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, bodyFn);
  setPtr(CURLOPT_WRITEDATA, &t);
  if (setRc == CURLE_OK) setRc = curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, progressFn);
  setPtr(CURLOPT_XFERINFODATA, &t);
  setLong(CURLOPT_NOPROGRESS, 0L);
  if (setRc != CURLE_OK)
    return t.error(kOtherTransportError, fmt::format("libcurl rejected an option: {}", curl_easy_strerror(setRc)));

  // Drive the transfer. Poll in short steps so cancel / idle / header deadline are seen promptly;
  // curl shortens the wait further for its own timers.
  t.lastByte = SteadyClock::now();
  if (curl_multi_add_handle(h.multi, e) != CURLM_OK) return t.error(kOtherTransportError, "curl_multi_add_handle failed");
  const int waitMs = t.needsFrequentChecks() ? static_cast<int>(std::min<long long>(opts_.checkInterval.count(), 1000))
                                             : 1000;
  std::optional<std::string> multiError;
  for (;;) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(h.multi, &running);
    if (mc != CURLM_OK) {
      multiError = curl_multi_strerror(mc);
      break;
    }
    if (running == 0) break;
    if (t.shouldAbort(SteadyClock::now())) break;
    mc = curl_multi_poll(h.multi, nullptr, 0, waitMs, nullptr);
    if (mc != CURLM_OK) {
      multiError = curl_multi_strerror(mc);
      break;
    }
  }
  std::optional<CURLcode> result;
  int queued = 0;
  while (CURLMsg* m = curl_multi_info_read(h.multi, &queued)) {
    if (m->msg == CURLMSG_DONE && m->easy_handle == e) result = m->data.result;
  }
  long responseCode = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &responseCode);
  curl_multi_remove_handle(h.multi, e);  // an unfinished transfer's connection is closed here
  // Forget the options pointing into this call's frame (error buffer, header list, body, callback
  // data) before the handle outlives it in the pool. Kept connections live in the multi handle.
  curl_easy_reset(e);

  auto response = [&] {
    HttpResponse r;
    r.status = t.status != 0 ? t.status : static_cast<int>(responseCode);
    r.headers = std::move(t.headers);
    r.body = std::move(t.body);
    return r;
  };

  if (t.mode == Mode::kStream && t.lines.stopped()) return response();  // onLine said stop
  if (t.abort) return *t.abort;
  if (multiError) return t.error(kOtherTransportError, fmt::format("libcurl: {}", *multiError));
  if (!result) return t.error(kOtherTransportError, "libcurl: transfer ended without a result");
  if (*result != CURLE_OK) {
    std::string detail = t.errbuf[0] != '\0' ? std::string(t.errbuf) : std::string(curl_easy_strerror(*result));
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
    const int code = classify(*result, detail, https);
    // libcurl says "Couldn't connect to server"; the OS error says why (Connection refused, ...).
    long osErrno = 0;
    if (curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &osErrno) == CURLE_OK && osErrno != 0)
      detail += fmt::format(": {}", std::strerror(static_cast<int>(osErrno)));
    return t.error(code, fmt::format("{} ({})", detail, curl_easy_strerror(*result)));
  }
  if (t.mode == Mode::kStream && t.is2xx()) {
    try {
      t.lines.finish(*t.onLine);  // a final line without '\n'
    } catch (const std::exception& ex) {
      return t.error(kOtherTransportError, fmt::format("while handling the body: {}", ex.what()));
    } catch (...) {
      return t.error(kOtherTransportError, "while handling the body: unknown exception");
    }
  }
  return response();
}

}  // namespace fro::http
