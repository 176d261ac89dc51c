#include "plugin/YamlLoader.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace fro::plugin {

using nlohmann::json;

namespace {

bool oneOf(const std::string& s, std::initializer_list<const char*> list) {
  for (const char* c : list)
    if (s == c) return true;
  return false;
}

// go-yaml v2's resolve(): what a plain (unquoted, untagged) scalar means.
json resolvePlain(const std::string& s) {
  if (oneOf(s, {"", "~", "null", "Null", "NULL"})) return nullptr;
  if (oneOf(s, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) return true;
  if (oneOf(s, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) return false;
  if (oneOf(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) return std::numeric_limits<double>::infinity();
  if (oneOf(s, {"-.inf", "-.Inf", "-.INF"})) return -std::numeric_limits<double>::infinity();
  if (oneOf(s, {".nan", ".NaN", ".NAN"})) return std::numeric_limits<double>::quiet_NaN();
  char c = s[0];
  if (!(c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'))) return s;
  std::string plain;
  for (char ch : s)
    if (ch != '_') plain += ch;  // go-yaml v2 ignores underscores in numbers
  // Integers: decimal, 0x hex, 0b binary, leading-0 octal (strconv.ParseInt base 0).
  {
    std::string body = plain;
    bool neg = false;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) neg = body[0] == '-', body.erase(0, 1);
    int base = 10;
    if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) base = 16, body.erase(0, 2);
    else if (body.size() > 2 && body[0] == '0' && (body[1] == 'b' || body[1] == 'B')) base = 2, body.erase(0, 2);
    else if (body.size() > 2 && body[0] == '0' && (body[1] == 'o' || body[1] == 'O')) base = 8, body.erase(0, 2);
    else if (body.size() > 1 && body[0] == '0') base = 8;
    if (!body.empty() && body[0] != '+' && body[0] != '-') {
      errno = 0;
      char* end = nullptr;
      unsigned long long v = std::strtoull(body.c_str(), &end, base);
      if (*end == '\0' && errno == 0) {
        if (!neg && v <= static_cast<unsigned long long>(std::numeric_limits<long long>::max()))
          return static_cast<long long>(v);
        if (neg && v <= static_cast<unsigned long long>(std::numeric_limits<long long>::max()) + 1ULL)
          return v == 0 ? 0LL : -static_cast<long long>(v - 1) - 1;
        if (!neg) return v;
      }
    }
  }
  // Floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  {
    size_t i = 0;
    if (i < plain.size() && (plain[i] == '+' || plain[i] == '-')) ++i;
    size_t digits = 0, fracDigits = 0;
    while (i < plain.size() && std::isdigit(static_cast<unsigned char>(plain[i]))) ++i, ++digits;
    if (i < plain.size() && plain[i] == '.') {
      ++i;
      while (i < plain.size() && std::isdigit(static_cast<unsigned char>(plain[i]))) ++i, ++fracDigits;
    }
    bool ok = digits > 0 || fracDigits > 0;
    if (ok && i < plain.size() && (plain[i] == 'e' || plain[i] == 'E')) {
      ++i;
      if (i < plain.size() && (plain[i] == '+' || plain[i] == '-')) ++i;
      size_t exp = 0;
      while (i < plain.size() && std::isdigit(static_cast<unsigned char>(plain[i]))) ++i, ++exp;
      ok = exp > 0;
    }
    if (ok && i == plain.size()) return std::strtod(plain.c_str(), nullptr);
  }
  return s;
}

std::string child(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

json convert(const YAML::Node& n, const std::string& path, YamlDocument& doc) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json o = json::object();
      for (auto it = n.begin(); it != n.end(); ++it) {
        // Keys become strings (sigs.k8s.io/yaml); a key given twice is refused by kubectl.
        std::string key = it->first.IsScalar() ? it->first.Scalar() : YAML::Dump(it->first);
        if (o.contains(key)) {
          doc.problems.push_back({child(path, key), fmt::format("Duplicate key: \"{}\" is set twice in this mapping (line {})",
                                                                key, it->first.Mark().line + 1)});
          continue;
        }
        o[key] = convert(it->second, child(path, key), doc);
      }
      return o;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      size_t i = 0;
      for (const auto& e : n) a.push_back(convert(e, fmt::format("{}[{}]", path, i++), doc));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string& tag = n.Tag();
      if (tag == "!" || tag == "tag:yaml.org,2002:str") return n.Scalar();
      if (tag == "?" || tag.empty()) {
        json v = resolvePlain(n.Scalar());
        if (v.is_number_float() && !std::isfinite(v.get<double>())) {
          doc.problems.push_back(
              {path, fmt::format("Invalid value: {}: infinity and NaN cannot be sent as JSON", n.Scalar())});
          return nullptr;
        }
        return v;
      }
      if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" || tag == "tag:yaml.org,2002:bool" ||
          tag == "tag:yaml.org,2002:null")
        return resolvePlain(n.Scalar());
      return n.Scalar();
    }
    default:
      return nullptr;
  }
}

}  // namespace

Result<std::vector<YamlDocument>> YamlLoader::load(const std::string& text) {
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return Error::of(fmt::format("YAML syntax error at line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  std::vector<YamlDocument> out;
  int index = 0;
  for (const auto& n : nodes) {
    ++index;
    if (n.IsNull() || !n.IsDefined()) continue;
    YamlDocument d;
    d.index = index;
    d.value = convert(n, "", d);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace fro::plugin
