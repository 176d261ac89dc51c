#include "plugin/YamlTreeBuilder.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "plugin/Utf8.h"

namespace fro::plugin {

using nlohmann::json;

namespace {

bool oneOf(const std::string& s, std::initializer_list<const char*> list) {
  for (const char* c : list)
    if (s == c) return true;
  return false;
}

std::string child(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// A value as a problem message shows it: short, and always valid UTF-8 (the input was checked).
std::string brief(const json& v) {
  std::string d = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return d.size() > 60 ? d.substr(0, 57) + "..." : d;
}

}  // namespace

json YamlTreeBuilder::resolvePlain(const std::string& s) {
  if (oneOf(s, {"", "~", "null", "Null", "NULL"})) return nullptr;
  if (oneOf(s, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) return true;
  if (oneOf(s, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) return false;
  if (oneOf(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) return std::numeric_limits<double>::infinity();
  if (oneOf(s, {"-.inf", "-.Inf", "-.INF"})) return -std::numeric_limits<double>::infinity();
  if (oneOf(s, {".nan", ".NaN", ".NAN"})) return std::numeric_limits<double>::quiet_NaN();
  const char c = s[0];
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
    // strtoull skips leading blanks and takes a sign: neither is part of a YAML integer.
    if (!body.empty() && body.find_first_of("+- \t\n\r\f\v") == std::string::npos) {
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

void YamlTreeBuilder::OnDocumentStart(const YAML::Mark&) {
  YamlDocument d;
  d.index = ++docIndex_;
  docs_.push_back(std::move(d));
  stack_.clear();
  anchors_.clear();  // anchors belong to one document
  open_.clear();
  inDocument_ = true;
}

void YamlTreeBuilder::OnDocumentEnd() { inDocument_ = false; }

void YamlTreeBuilder::count(std::size_t nodes, const YAML::Mark& mark, bool contained) {
  nodes_ += nodes;
  if (contained) treeNodes_ += nodes;
  if (nodes_ > kMaxNodes)
    throw BuildError(fmt::format("the file expands to more than {} YAML nodes; refused, as kubectl refuses documents "
                                 "that grow that large",
                                 kMaxNodes),
                     mark);
}

void YamlTreeBuilder::problem(const std::string& path, const std::string& message, bool refused) {
  docs_.back().problems.push_back({path, message, refused});
}

std::string YamlTreeBuilder::childPath() const {
  if (stack_.empty()) return "";
  const Frame& f = stack_.back();
  if (!f.isMap) return fmt::format("{}[{}]", f.path, f.index);
  return f.haveKey && f.keyUsable ? child(f.path, f.key) : f.path;
}

void YamlTreeBuilder::OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) {
  count(1, mark);
  emit(nullptr, mark, anchor, false, 1, 0);
}

void YamlTreeBuilder::OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) {
  if (open_.count(anchor))
    throw BuildError("an alias refers to the node that contains it (an endless value); refused", mark);
  auto it = anchors_.find(anchor);
  if (it == anchors_.end()) throw BuildError("an alias names an anchor that is not defined before it", mark);
  aliasNodes_ += it->second.nodes;
  if (aliasNodes_ > kMaxAliasNodes)
    throw BuildError(fmt::format("YAML aliases expand to more than {} nodes (an \"alias bomb\"); refused, as kubectl "
                                 "refuses documents with excessive aliasing",
                                 kMaxAliasNodes),
                     mark);
  count(it->second.nodes, mark);
  addBytes(it->second.bytes, mark, true);  // before the copy is made
  emit(it->second.value, mark, 0, false, it->second.nodes, it->second.bytes);
}

void YamlTreeBuilder::OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                               const std::string& value) {
  count(1, mark);
  addBytes(value.size(), mark, true);
  // Escapes in double quotes ("\ud800") can make what the input's own check could not see.
  if (auto bad = Utf8::firstInvalid(value))
    throw BuildError(fmt::format("a value is not valid UTF-8 (byte 0x{:02X} of it, after escapes are decoded)",
                                 static_cast<unsigned char>(value[*bad])),
                     mark);
  json v;
  if (tag == "!" || tag == "tag:yaml.org,2002:str") {
    v = value;
  } else if (tag == "?" || tag.empty() || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
             tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
    v = resolvePlain(value);
    if (v.is_number_float() && !std::isfinite(v.get<double>())) {
      problem(childPath(), fmt::format("Invalid value: {}: infinity and NaN cannot be sent as JSON", value), true);
      v = nullptr;
    }
  } else {
    v = value;
  }
  emit(std::move(v), mark, anchor, tag == "?" && value == "<<", 1, value.size());
}

void YamlTreeBuilder::open(bool isMap, const YAML::Mark& mark, YAML::anchor_t anchor) {
  if (stack_.size() >= kMaxDepth)
    throw BuildError(fmt::format("the YAML nests deeper than {} levels; refused", kMaxDepth), mark);
  count(1, mark);
  Frame f;
  f.isMap = isMap;
  f.value = isMap ? json::object() : json::array();
  f.path = childPath();
  f.anchor = anchor;
  f.mark = mark;
  f.nodesAtStart = treeNodes_ - 1;
  f.bytesAtStart = textBytes_;
  if (anchor) open_.insert(anchor);
  stack_.push_back(std::move(f));
}

void YamlTreeBuilder::OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                                      YAML::EmitterStyle::value) {
  open(false, mark, anchor);
}

void YamlTreeBuilder::OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                                 YAML::EmitterStyle::value) {
  open(true, mark, anchor);
}

void YamlTreeBuilder::OnSequenceEnd() { close(); }
void YamlTreeBuilder::OnMapEnd() { close(); }

void YamlTreeBuilder::close() {
  if (stack_.empty()) return;
  Frame f = std::move(stack_.back());
  stack_.pop_back();
  if (f.anchor) open_.erase(f.anchor);
  // Merge keys: explicit keys win; of the merged mappings, the earlier wins (YAML's merge type).
  for (const auto& m : f.merges)
    for (auto it = m.begin(); it != m.end(); ++it)
      if (!f.value.contains(it.key())) f.value[it.key()] = it.value();
  emit(std::move(f.value), f.mark, f.anchor, false, treeNodes_ - f.nodesAtStart, textBytes_ - f.bytesAtStart);
}

void YamlTreeBuilder::addBytes(std::size_t bytes, const YAML::Mark& mark, bool contained) {
  scalarBytes_ += bytes;
  if (contained) textBytes_ += bytes;
  if (scalarBytes_ > kMaxScalarBytes)
    throw BuildError(fmt::format("the file's values add up to more than {} MiB of text (aliases' copies included); "
                                 "refused",
                                 kMaxScalarBytes >> 20),
                     mark);
}

void YamlTreeBuilder::emit(json v, const YAML::Mark& mark, YAML::anchor_t anchor, bool plainKey, std::size_t nodes,
                           std::size_t bytes) {
  if (anchor) {
    count(nodes, mark, false);  // the copy kept for the aliases costs as much as the node
    addBytes(bytes, mark, false);  // and as much text
    anchors_[anchor] = Anchored{v, nodes, bytes};
  }
  if (docs_.empty()) return;  // yaml-cpp always starts a document first
  if (stack_.empty()) {
    docs_.back().value = std::move(v);
    return;
  }
  Frame& f = stack_.back();
  if (!f.isMap) {
    f.value.push_back(std::move(v));
    ++f.index;
    return;
  }
  if (!f.haveKey) {
    // Keys become strings, as sigs.k8s.io/yaml makes them; null and complex keys it refuses.
    f.haveKey = true;
    f.keyUsable = true;
    f.mergeKey = plainKey;
    f.keyLine = mark.line + 1;
    if (v.is_string()) f.key = v.get<std::string>();
    else if (v.is_boolean()) f.key = v.get<bool>() ? "true" : "false";
    else if (v.is_number_integer() || v.is_number_unsigned()) f.key = v.dump();
    else if (v.is_number_float()) f.key = fmt::format("{}", v.get<double>());
    else {
      f.keyUsable = false;
      problem(f.path,
              fmt::format("{} at line {} is not a valid key: keys must be strings, numbers or booleans",
                          v.is_null() ? "a null key" : "a mapping or list used as a key", mark.line + 1),
              true);
    }
    return;
  }
  f.haveKey = false;
  if (f.mergeKey) {
    if (v.is_object()) f.merges.push_back(std::move(v));
    else if (v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_object(); }))
      for (auto& e : v) f.merges.push_back(std::move(e));
    else
      problem(child(f.path, "<<"), fmt::format("Invalid value: {}: a merge key (<<) takes a mapping or a list of mappings",
                                               brief(v)),
              true);
    return;
  }
  if (!f.keyUsable) return;
  if (auto seen = f.keyLines.find(f.key); seen != f.keyLines.end()) {
    // go-yaml v2, which kubectl reads with, keeps the last value without a word.
    problem(child(f.path, f.key),
            fmt::format("Duplicate key: \"{}\" is set twice in this mapping (lines {} and {}); kubectl apply keeps the "
                        "last value, {}, and drops {}",
                        f.key, seen->second, f.keyLine, brief(v), brief(f.value[f.key])),
            false);
    seen->second = f.keyLine;
  } else {
    f.keyLines[f.key] = f.keyLine;
  }
  f.value[f.key] = std::move(v);
}

}  // namespace fro::plugin
