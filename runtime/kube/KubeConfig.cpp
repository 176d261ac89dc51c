#include "runtime/kube/KubeConfig.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "runtime/kube/Base64.h"
#include "runtime/kube/Pem.h"
#include "runtime/kube/TokenSource.h"

namespace fro::kube {
namespace {

namespace fs = std::filesystem;

// One named entry (cluster, user or context) and where it was defined.
struct Entry {
  YAML::Node body;      // the "cluster" / "user" / "context" mapping (may be null)
  std::string file;     // for messages
  std::string baseDir;  // for relative paths
};

// The merged view of one or more kubeconfig documents.
struct Model {
  std::map<std::string, Entry> clusters;
  std::map<std::string, Entry> users;
  std::map<std::string, Entry> contexts;
  std::string currentContext;
  std::vector<std::string> files;
};

std::string lineOf(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.line >= 0 ? fmt::format(" (line {})", m.line + 1) : std::string();
}

std::string quote(const std::string& s) { return fmt::format("\"{}\"", s); }

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

std::string knownNames(const std::map<std::string, Entry>& m, const char* what) {
  if (m.empty()) return fmt::format("(no {} defined)", what);
  std::vector<std::string> names;
  for (const auto& [name, e] : m) names.push_back(quote(name));
  return fmt::format("(known {}: {})", what, joined(names, ", "));
}

Result<std::string> readFile(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return Error::system(EISDIR, fmt::format("{} {}: is a directory, not a file", what, path));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return Error::system(err, fmt::format("{} {}: cannot read ({})", what, path, std::strerror(err)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error::system(EIO, fmt::format("{} {}: read error", what, path));
  return ss.str();
}

std::string resolvePath(const std::string& baseDir, const std::string& p) {
  fs::path path(p);
  if (path.is_absolute() || baseDir.empty()) return path.lexically_normal().string();
  return (fs::path(baseDir) / path).lexically_normal().string();
}

// Typed, non-throwing access to a mapping's fields. `where` prefixes messages, e.g.
// `kubeconfig /x/config: cluster "prod"`.
class Fields {
 public:
  Fields(const YAML::Node& map, std::string where) : map_(map), where_(std::move(where)) {}

  // Absent or null: std::nullopt. A non-scalar value is an error (naming the line, not the value).
  Result<std::optional<std::string>> string(const char* key) const {
    if (!map_.IsMap()) return std::optional<std::string>();
    YAML::Node v = map_[key];
    if (!v.IsDefined() || v.IsNull()) return std::optional<std::string>();
    if (!v.IsScalar()) return Error::invalid(fmt::format("{}: {} must be a string{}", where_, key, lineOf(v)));
    return std::optional<std::string>(v.Scalar());
  }

  Result<bool> boolean(const char* key) const {
    if (!map_.IsMap()) return false;
    YAML::Node v = map_[key];
    if (!v.IsDefined() || v.IsNull()) return false;
    bool b = false;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b))
      return Error::invalid(fmt::format("{}: {} must be true or false{}", where_, key, lineOf(v)));
    return b;
  }

  bool has(const char* key) const { return map_.IsMap() && map_[key].IsDefined() && !map_[key].IsNull(); }

  const std::string& where() const { return where_; }

 private:
  YAML::Node map_;
  std::string where_;
};

// Adds one "clusters"/"users"/"contexts" list to the model: first definition of a name wins
// across files, a repeated name inside one file is an error (as in client-go).
Status addNamed(const YAML::Node& root, const char* listKey, const char* bodyKey, const std::string& file,
                const std::string& baseDir, std::map<std::string, Entry>& into) {
  YAML::Node list = root[listKey];
  if (!list.IsDefined() || list.IsNull()) return ok();
  const std::string where = fmt::format("kubeconfig {}", file);
  if (!list.IsSequence()) return Error::invalid(fmt::format("{}: {} must be a list{}", where, listKey, lineOf(list)));
  std::map<std::string, int> seen;  // name -> line, within this file
  for (const YAML::Node& item : list) {
    if (!item.IsMap())
      return Error::invalid(fmt::format("{}: each entry of {} must be a mapping{}", where, listKey, lineOf(item)));
    YAML::Node nameNode = item["name"];
    if (!nameNode.IsDefined() || !nameNode.IsScalar() || nameNode.Scalar().empty())
      return Error::invalid(fmt::format("{}: an entry of {} has no name{}", where, listKey, lineOf(item)));
    const std::string& name = nameNode.Scalar();
    YAML::Node body = item[bodyKey];
    if (body.IsDefined() && !body.IsNull() && !body.IsMap())
      return Error::invalid(
          fmt::format("{}: {} entry {}: {} must be a mapping{}", where, listKey, quote(name), bodyKey, lineOf(body)));
    int line = item.Mark().line + 1;
    if (auto [it, inserted] = seen.emplace(name, line); !inserted)
      return Error::invalid(fmt::format("{}: {} has two entries named {} (lines {} and {})", where, listKey,
                                        quote(name), it->second, line));
    into.emplace(name, Entry{body, file, baseDir});  // keeps an earlier file's definition
  }
  return ok();
}

// yaml-cpp's message for a parse error. A few of them end with text taken from the document
// ("unknown escape character: q", "invalid unicode: 55296", "bad YAML version: x"): that may be
// part of a token, so only the generic part is kept.
std::string yamlMessage(const std::string& msg) {
  for (const char* prefix : {YAML::ErrorMsg::INVALID_ESCAPE, YAML::ErrorMsg::INVALID_UNICODE,
                             YAML::ErrorMsg::YAML_VERSION}) {
    std::string p(prefix);
    if (msg.compare(0, p.size(), p) == 0) {
      while (!p.empty() && (p.back() == ' ' || p.back() == ':')) p.pop_back();
      return p;
    }
  }
  return msg;
}

Status addDocument(Model& model, const std::string& text, const std::string& file, const std::string& baseDir) {
  const std::string where = fmt::format("kubeconfig {}", file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    // The message is yaml-cpp's generic description ("illegal map value"), never document content.
    return Error::invalid(fmt::format("{}: YAML syntax error at line {}, column {}: {}", where, e.mark.line + 1,
                                      e.mark.column + 1, yamlMessage(e.msg)));
  }
  model.files.push_back(file);
  if (!root.IsDefined() || root.IsNull()) return ok();  // an empty file is an empty config
  if (!root.IsMap()) return Error::invalid(fmt::format("{}: the document is not a mapping{}", where, lineOf(root)));
  if (auto s = addNamed(root, "clusters", "cluster", file, baseDir, model.clusters); !s) return s;
  if (auto s = addNamed(root, "users", "user", file, baseDir, model.users); !s) return s;
  if (auto s = addNamed(root, "contexts", "context", file, baseDir, model.contexts); !s) return s;
  auto current = Fields(root, where).string("current-context");
  if (!current.ok()) return current.error();
  if (model.currentContext.empty() && current.value()) model.currentContext = **current;
  return ok();
}

// "https://user:secret@host" must not end up in a message.
std::string redactUrl(const std::string& url) {
  auto scheme = url.find("://");
  std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  auto end = url.find_first_of("/?#", start);
  auto at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < start) return url;
  return fmt::format("{}***@{}", url.substr(0, start), url.substr(at + 1));
}

Result<std::string> checkServer(const std::string& raw, const std::string& where) {
  if (raw.empty()) return Error::invalid(fmt::format("{}: server is empty", where));
  auto sep = raw.find("://");
  std::string scheme = sep == std::string::npos ? std::string() : raw.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme != "https" && scheme != "http")
    return Error::invalid(fmt::format("{}: server {} is not an https:// or http:// URL", where, quote(redactUrl(raw))));
  std::string rest = raw.substr(sep + 3);
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.back() == '@' || authority.front() == ':')
    return Error::invalid(fmt::format("{}: server {} has no host", where, quote(redactUrl(raw))));
  if (rest.find_first_of("?#") != std::string::npos)
    return Error::invalid(fmt::format("{}: server {} must not have a query or fragment", where, quote(redactUrl(raw))));
  std::string url = fmt::format("{}://{}", scheme, rest);
  while (url.size() > scheme.size() + 3 && url.back() == '/') url.pop_back();
  return url;
}

// PEM material from a "<field>-data" (base64) or "<field>" (file path) pair; the data field wins.
struct Material {
  std::string field;    // the key it came from, for messages
  std::string content;  // secret for keys: never put it in a message
};

// std::nullopt when neither key is set.
Result<std::optional<Material>> dataOrFile(const Fields& f, const Entry& e, const char* fileKey, const char* dataKey) {
  auto data = f.string(dataKey);
  if (!data.ok()) return data.error();
  if (data.value() && !data.value()->empty()) {
    auto decoded = Base64::decode(**data);
    if (!decoded.ok()) return Error::invalid(fmt::format("{}: {}: {}", f.where(), dataKey, decoded.error().message));
    return std::optional<Material>(Material{dataKey, std::move(decoded).value()});
  }
  auto file = f.string(fileKey);
  if (!file.ok()) return file.error();
  if (!file.value() || file.value()->empty()) return std::optional<Material>();
  std::string path = resolvePath(e.baseDir, **file);
  auto content = readFile(path, fmt::format("{}: {}", f.where(), fileKey));
  if (!content.ok()) return content.error();
  return std::optional<Material>(Material{fileKey, std::move(content).value()});
}

Status applyCluster(const std::string& name, const Entry& e, ClusterConfig& cfg) {
  Fields f(e.body, fmt::format("kubeconfig {}: cluster {}", e.file, quote(name)));
  auto server = f.string("server");
  if (!server.ok()) return server.error();
  auto url = checkServer(server.value().value_or(""), f.where());
  if (!url.ok()) return url.error();
  cfg.server = std::move(url).value();

  auto insecure = f.boolean("insecure-skip-tls-verify");
  if (!insecure.ok()) return insecure.error();
  cfg.tls.insecureSkipVerify = *insecure;

  auto ca = dataOrFile(f, e, "certificate-authority", "certificate-authority-data");
  if (!ca.ok()) return ca.error();
  if (ca.value()) {
    Material& m = *ca.value();
    if (*insecure)
      return Error::invalid(fmt::format("{}: {} together with insecure-skip-tls-verify is not allowed", f.where(), m.field));
    if (auto bundle = Pem::checkCaBundle(m.content); !bundle.ok())
      return Error::invalid(fmt::format("{}: {}: {}", f.where(), m.field, bundle.error().message));
    cfg.tls.caPem = std::move(m.content);
  }

  auto serverName = f.string("tls-server-name");
  if (!serverName.ok()) return serverName.error();
  cfg.tls.serverName = serverName.value().value_or("");
  return ok();
}

Status applyUser(const std::string& name, const Entry& e, Clock::time_point now, ClusterConfig& cfg) {
  Fields f(e.body, fmt::format("kubeconfig {}: user {}", e.file, quote(name)));
  const auto unsupported = [&](const char* what) {
    return Error::invalid(
        fmt::format("{}: {} is not supported; use token, tokenFile or a client certificate", f.where(), what));
  };
  if (f.has("exec")) return unsupported("exec (credential plugin)");
  if (f.has("auth-provider")) return unsupported("auth-provider");
  if (f.has("username") || f.has("password")) return unsupported("username/password (basic auth)");

  auto cert = dataOrFile(f, e, "client-certificate", "client-certificate-data");
  if (!cert.ok()) return cert.error();
  auto key = dataOrFile(f, e, "client-key", "client-key-data");
  if (!key.ok()) return key.error();
  if (cert.value() && !key.value())
    return Error::invalid(
        fmt::format("{}: client certificate given without a client key (client-key or client-key-data)", f.where()));
  if (key.value() && !cert.value())
    return Error::invalid(fmt::format(
        "{}: client key given without a client certificate (client-certificate or client-certificate-data)", f.where()));
  if (cert.value()) {
    Material& c = *cert.value();
    Material& k = *key.value();
    if (auto info = Pem::checkCertificate(c.content, now); !info.ok())
      return Error::invalid(fmt::format("{}: {}: {}", f.where(), c.field, info.error().message));
    if (auto pair = Pem::checkKeyPair(c.content, k.content); !pair.ok())
      return Error::invalid(fmt::format("{}: {}: {}", f.where(), k.field, pair.error().message));
    cfg.tls.clientCertPem = std::move(c.content);
    cfg.tls.clientKeyPem = std::move(k.content);
  }

  auto token = f.string("token");
  if (!token.ok()) return token.error();
  auto tokenFile = f.string("tokenFile");
  if (!tokenFile.ok()) return tokenFile.error();
  cfg.bearerToken = token.value().value_or("");
  if (tokenFile.value() && !tokenFile.value()->empty()) {
    cfg.tokenFile = resolvePath(e.baseDir, **tokenFile);
    // Like client-go: with no static token the file must be readable now.
    if (cfg.bearerToken.empty()) {
      auto read = TokenSource::readTokenFile(cfg.tokenFile);
      if (!read.ok()) {
        Error err = read.error();  // keeps its kind and errno
        err.message = fmt::format("{}: tokenFile: {}", f.where(), err.message);
        return err;
      }
      cfg.bearerToken = std::move(read).value();
    }
  }
  return ok();
}

Result<ClusterConfig> resolve(const Model& model, const KubeConfig::LoadOptions& opts) {
  std::string files = joined(model.files, ":");
  const std::string where = fmt::format("kubeconfig {}", files);
  std::string contextName = opts.context.empty() ? model.currentContext : opts.context;
  if (contextName.empty())
    return Error::invalid(fmt::format("{}: current-context is not set and no context was given {}", where,
                                      knownNames(model.contexts, "contexts")));
  auto ctx = model.contexts.find(contextName);
  if (ctx == model.contexts.end())
    return Error::notFound(
        fmt::format("{}: context {} not found {}", where, quote(contextName), knownNames(model.contexts, "contexts")));

  Fields c(ctx->second.body, fmt::format("kubeconfig {}: context {}", ctx->second.file, quote(contextName)));
  auto clusterName = c.string("cluster");
  if (!clusterName.ok()) return clusterName.error();
  auto userName = c.string("user");
  if (!userName.ok()) return userName.error();
  auto ns = c.string("namespace");
  if (!ns.ok()) return ns.error();
  if (!clusterName.value() || clusterName.value()->empty())
    return Error::invalid(fmt::format("{}: names no cluster", c.where()));
  auto cluster = model.clusters.find(**clusterName);
  if (cluster == model.clusters.end())
    return Error::notFound(fmt::format("{}: cluster {} is not defined {}", c.where(), quote(**clusterName),
                                       knownNames(model.clusters, "clusters")));

  ClusterConfig cfg;
  cfg.contextName = contextName;
  cfg.source = files;
  cfg.inCluster = false;
  if (ns.value() && !ns.value()->empty()) cfg.namespace_ = **ns;
  if (auto s = applyCluster(cluster->first, cluster->second, cfg); !s) return s.error();

  if (userName.value() && !userName.value()->empty()) {
    auto user = model.users.find(**userName);
    if (user == model.users.end())
      return Error::notFound(fmt::format("{}: user {} is not defined {}", c.where(), quote(**userName),
                                         knownNames(model.users, "users")));
    Clock::time_point now = opts.clock ? opts.clock->now() : std::chrono::system_clock::now();
    if (auto s = applyUser(user->first, user->second, now, cfg); !s) return s.error();
  }
  return cfg;
}

std::optional<std::string> env(const KubeConfig::LoadOptions& opts, const std::string& name) {
  auto v = opts.getenv ? opts.getenv(name) : InClusterConfig::processEnv(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

InClusterConfig::Options inClusterOptions(const KubeConfig::LoadOptions& opts) {
  InClusterConfig::Options o;
  o.serviceAccountDir = opts.serviceAccountDir;
  o.getenv = opts.getenv;
  return o;
}

}  // namespace

std::vector<std::string> KubeConfig::splitPathList(const std::string& value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto end = value.find(':', start);
    if (end == std::string::npos) end = value.size();
    std::string item = value.substr(start, end - start);
    if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

Result<ClusterConfig> KubeConfig::parse(const std::string& yaml, const std::string& source, const std::string& baseDir,
                                        const LoadOptions& options) {
  try {
    Model model;
    if (auto s = addDocument(model, yaml, source, baseDir); !s) return s.error();
    return resolve(model, options);
  } catch (const YAML::Exception& e) {
    // Safety net: the accessors above do not throw, but yaml-cpp must never escape this adapter.
    return Error::invalid(fmt::format("kubeconfig {}: unexpected YAML error at line {}: {}", source, e.mark.line + 1,
                                      yamlMessage(e.msg)));
  }
}

Result<ClusterConfig> KubeConfig::loadFiles(const std::vector<std::string>& paths, const LoadOptions& options) {
  if (paths.empty()) return Error::notFound("no kubeconfig file given");
  try {
    Model model;
    for (const auto& p : paths) {
      auto text = readFile(p, "kubeconfig");
      if (!text.ok()) return text.error();
      std::string baseDir = fs::absolute(fs::path(p)).parent_path().string();
      if (auto s = addDocument(model, *text, p, baseDir); !s) return s.error();
    }
    return resolve(model, options);
  } catch (const YAML::Exception& e) {
    return Error::invalid(fmt::format("kubeconfig {}: unexpected YAML error at line {}: {}", joined(paths, ":"),
                                      e.mark.line + 1, yamlMessage(e.msg)));
  } catch (const fs::filesystem_error& e) {
    return Error::system(e.code().value(), fmt::format("kubeconfig: {}", e.what()));
  }
}

Result<ClusterConfig> KubeConfig::load(const LoadOptions& options) {
  if (!options.kubeconfigPath.empty()) return loadFiles({options.kubeconfigPath}, options);

  if (auto list = env(options, "KUBECONFIG")) {
    std::vector<std::string> existing;
    auto all = splitPathList(*list);
    for (const auto& p : all) {
      std::error_code ec;
      if (fs::exists(p, ec)) existing.push_back(p);
    }
    if (existing.empty()) {
      if (all.empty()) return Error::invalid("KUBECONFIG is set but names no file");
      return Error::notFound(fmt::format("KUBECONFIG names no existing file: {}", joined(all, ", ")));
    }
    return loadFiles(existing, options);
  }

  // In a pod: KUBERNETES_SERVICE_HOST is set, or the service account token is mounted (then a
  // missing variable is reported by InClusterConfig::load rather than "nothing found").
  std::error_code saEc;
  bool serviceAccount = fs::exists(fs::path(options.serviceAccountDir) / "token", saEc);
  bool inCluster = InClusterConfig::detected(options.getenv) || serviceAccount;
  if (options.preferInCluster && options.context.empty() && inCluster)
    return InClusterConfig::load(inClusterOptions(options));

  auto home = env(options, "HOME");
  std::string defaultPath = home ? (fs::path(*home) / ".kube" / "config").string() : std::string();
  std::error_code ec;
  if (!defaultPath.empty() && fs::exists(defaultPath, ec)) return loadFiles({defaultPath}, options);

  std::string why =
      defaultPath.empty() ? "HOME is not set (no ~/.kube/config)" : fmt::format("{} does not exist", defaultPath);
  if (!options.context.empty())
    return Error::notFound(fmt::format("context {} was requested but no kubeconfig was found: {} and KUBECONFIG is not set",
                                       quote(options.context), why));
  if (inCluster) return InClusterConfig::load(inClusterOptions(options));
  return Error::notFound(fmt::format(
      "no Kubernetes configuration found: no --kubeconfig, KUBECONFIG is not set, {}, KUBERNETES_SERVICE_HOST is not set "
      "and there is no service account token {} (not in a cluster)",
      why, (fs::path(options.serviceAccountDir) / "token").string()));
}

}  // namespace fro::kube
