#include "plugin/SchemaValidator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "plugin/EmbeddedCrd.h"
#include "plugin/JsonField.h"
#include "plugin/YamlLoader.h"

namespace fro::plugin {

using nlohmann::json;

constexpr std::size_t kMaxPatternText = 4096;

namespace {

std::string typeOf(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number_float()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "list";
  return "object";
}

bool hasType(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "number") return v.is_number();
  // 10.0 decodes to an integer on the server (whole floats are converted).
  if (type == "integer")
    return v.is_number_integer() || v.is_number_unsigned() ||
           (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>());
  return true;
}

std::string typeName(const std::string& type) {
  if (type == "array") return "a list";
  if (type == "object") return "an object (a mapping of fields)";
  if (type == "boolean") return "a boolean (true or false)";
  if (type == "integer") return "an integer";
  if (type == "number") return "a number";
  return "a " + type;
}

// Values in messages: strings quoted, the rest as JSON; long values shortened.
std::string show(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

size_t characters(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Patterns of the CRD, said in words.
std::string patternInWords(const std::string& p) {
  static const std::map<std::string, std::string> words = {
      {"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
       "a lowercase DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit"},
      {"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
       "a DNS subdomain: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit"},
      {"^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$", "a duration: a number with a unit ms, s, m or h, e.g. 500ms, 30s, 1m30s, 24h"},
      {"^[A-Za-z_][A-Za-z0-9_]*$", "an environment variable name: letters, digits and '_', not starting with a digit"},
      {"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$",
       "letters, digits, '-', '_' and '.', starting and ending with a letter or digit"},
      {"^https?://[^\\s]+$", "an http:// or https:// URL without spaces"},
      {"^[-._a-zA-Z0-9]+$", "letters, digits, '-', '_' and '.'"},
      {"^(/[A-Za-z0-9._-]+)+/?$", "an absolute path of letters, digits, '.', '_' and '-' (e.g. /etc/feature-flags)"},
  };
  auto it = words.find(p);
  return it == words.end() ? "text matching the pattern " + p : it->second;
}

std::string firstSentence(std::string d) {
  auto dot = d.find(". ");
  if (dot != std::string::npos) d = d.substr(0, dot + 1);
  return d;
}

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Splits "spec.phases[1].steps" into names and indices: spec, phases, [1], steps.
std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '.' || c == '[') {
      if (!cur.empty()) out.push_back(cur);
      cur = c == '[' ? "[" : "";
    } else if (c == ']') {
      out.push_back(cur + "]");
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace

SchemaValidator::SchemaValidator(json schema) : schema_(std::move(schema)) {}

namespace {

// A schema from --crd is outside input too: every keyword the walk reads must have its type, so the
// walk never meets a value it would throw on. Returns the first misfit as "path: problem".
std::string malformed(const json& s, const std::string& path, int depth = 0) {
  if (depth > 64) return path + ": nests deeper than 64 levels";
  if (!s.is_object()) return path + ": a schema must be an object";
  auto bad = [&](const char* key, const char* what) { return fmt::format("{}.{}: must be {}", path, key, what); };
  for (const char* k : {"type", "pattern", "description", "x-kubernetes-list-type"})
    if (s.contains(k) && !s[k].is_string()) return bad(k, "a string");
  for (const char* k : {"minLength", "maxLength", "minItems", "maxItems"})
    if (s.contains(k) && !(s[k].is_number_integer() && s[k].get<long long>() >= 0)) return bad(k, "a non-negative integer");
  for (const char* k : {"minimum", "maximum"})
    if (s.contains(k) && !s[k].is_number()) return bad(k, "a number");
  for (const char* k : {"nullable", "x-kubernetes-preserve-unknown-fields"})
    if (s.contains(k) && !s[k].is_boolean()) return bad(k, "true or false");
  if (s.contains("enum") && !s["enum"].is_array()) return bad("enum", "a list");
  for (const char* k : {"required", "x-kubernetes-list-map-keys"})
    if (s.contains(k)) {
      if (!s[k].is_array()) return bad(k, "a list of strings");
      for (const auto& e : s[k])
        if (!e.is_string()) return bad(k, "a list of strings");
    }
  if (s.contains("additionalProperties") && !s["additionalProperties"].is_boolean()) {
    if (auto m = malformed(s["additionalProperties"], path + ".additionalProperties", depth + 1); !m.empty()) return m;
  }
  if (s.contains("items"))
    if (auto m = malformed(s["items"], path + ".items", depth + 1); !m.empty()) return m;
  if (s.contains("properties")) {
    if (!s["properties"].is_object()) return bad("properties", "an object");
    for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it)
      if (auto m = malformed(it.value(), path + ".properties." + it.key(), depth + 1); !m.empty()) return m;
  }
  return {};
}

}  // namespace

Result<SchemaValidator> SchemaValidator::fromCrd(const json& crd, const std::string& version) {
  const json& versions = JsonField::at(crd, {"spec", "versions"});
  if (!versions.is_array()) return Error::of("the CRD has no spec.versions list");
  for (const auto& v : versions) {
    if (JsonField::text(v, "name") != version) continue;
    const json& schema = JsonField::at(v, {"schema", "openAPIV3Schema"});
    if (!schema.is_object()) continue;
    if (auto m = malformed(schema, "openAPIV3Schema"); !m.empty())
      return Error::of("the CRD's schema for version " + version + " is malformed: " + m);
    return SchemaValidator(schema);
  }
  return Error::of("the CRD has no openAPIV3Schema for version " + version);
}

Result<SchemaValidator> SchemaValidator::builtin() {
  auto docs = YamlLoader::load(EmbeddedCrd::yaml());
  if (!docs) return Error::of("the built-in CRD does not parse: " + docs.error().message);
  if (docs->empty()) return Error::of("the built-in CRD is empty");
  return fromCrd(docs->front().value, "v1alpha1");
}

const json* SchemaValidator::at(const std::string& path) const {
  const json* s = &schema_;
  for (const auto& seg : segments(path)) {
    if (seg.front() == '[') {
      if (!s->contains("items")) return nullptr;
      s = &(*s)["items"];
    } else {
      auto props = s->find("properties");
      if (props == s->end() || !props->contains(seg)) return nullptr;
      s = &(*props)[seg];
    }
  }
  return s;
}

std::string SchemaValidator::describe(const std::string& path) const {
  const json* s = at(path);
  if (!s || !s->contains("description") || !(*s)["description"].is_string()) return {};
  return firstSentence((*s)["description"].get<std::string>());
}

std::vector<LintProblem> SchemaValidator::validate(const json& value, const std::string& path) const {
  std::vector<LintProblem> out;
  const json* s = at(path);
  if (s) walk(value, *s, path, out);
  return out;
}

void SchemaValidator::walk(const json& v, const json& s, const std::string& path, std::vector<LintProblem>& out) const {
  auto hint = [&](const json& sch) {
    return sch.contains("description") && sch["description"].is_string()
               ? firstSentence(sch["description"].get<std::string>())
               : std::string();
  };
  const std::string type = s.value("type", "");
  if (v.is_null()) {
    if (s.value("nullable", false)) return;
    out.push_back({path, fmt::format("Invalid value: null: must be {}", typeName(type.empty() ? "object" : type)),
                   s.contains("default") ? fmt::format("leave the field out to get its default, {}", s["default"].dump())
                                         : "give it a value or leave the field out"});
    return;
  }
  if (type == "integer" && v.is_number_float() && !hasType(v, type)) {
    out.push_back({path, fmt::format("Invalid value: {}: must be a whole number", v.dump()), hint(s)});
    return;
  }
  if (!type.empty() && !hasType(v, type)) {
    out.push_back({path,
                   fmt::format("Invalid value: {}: must be {}, not {} {}", show(v), typeName(type),
                               typeOf(v) == "integer" ? "an" : "a", typeOf(v)),
                   type == "string" && (v.is_boolean() || v.is_number())
                       ? "quote the value (YAML reads yes, no, on, off, true and numbers as non-strings)"
                   : type == "boolean" && v.is_string() ? "write true or false without quotes"
                   : (type == "number" || type == "integer") && v.is_string() ? "write the number without quotes"
                                                                               : hint(s)});
    return;
  }
  if (s.contains("enum") && s["enum"].is_array()) {
    bool found = std::find(s["enum"].begin(), s["enum"].end(), v) != s["enum"].end();
    if (!found) {
      std::string allowed;
      for (const auto& e : s["enum"]) allowed += (allowed.empty() ? "" : ", ") + (e.is_string() ? e.get<std::string>() : e.dump());
      out.push_back({path, fmt::format("Unsupported value: {}: supported values: {}", show(v), allowed), hint(s)});
      return;
    }
  }
  if (v.is_string()) {
    const std::string& str = v.get_ref<const std::string&>();
    size_t n = characters(str);
    if (s.contains("minLength") && n < s["minLength"].get<size_t>()) {
      out.push_back({path,
                     str.empty() ? "Invalid value: \"\": must not be empty"
                                 : fmt::format("Invalid value: {}: must be at least {} characters", show(v),
                                               s["minLength"].dump()),
                     hint(s)});
      return;
    }
    if (s.contains("maxLength") && n > s["maxLength"].get<size_t>()) {
      out.push_back({path, fmt::format("Too long: may not be longer than {} characters, got {}", s["maxLength"].dump(), n),
                     hint(s)});
      return;
    }
    // A pattern only on bounded text: libstdc++'s regex recurses per character (a schema from
    // --crd may lack the maxLength that the built-in one has everywhere).
    if (s.contains("pattern") && s["pattern"].is_string() && str.size() > kMaxPatternText) {
      out.push_back({path, fmt::format("Too long: {} characters is more than this checks against a pattern ({})", n,
                                       kMaxPatternText),
                     hint(s)});
      return;
    }
    if (s.contains("pattern") && s["pattern"].is_string()) {
      const std::string p = s["pattern"].get<std::string>();
      bool matches = true;
      try {
        matches = std::regex_search(str, std::regex(p, std::regex::ECMAScript));
      } catch (const std::regex_error&) {
        out.push_back({path, fmt::format("the schema's pattern {} is not a regular expression this can check", json(p).dump()),
                       "check the CRD given with --crd"});
        return;
      }
      if (!matches) {
        out.push_back({path, fmt::format("Invalid value: {}: must be {}", show(v), patternInWords(p)), hint(s)});
        return;
      }
    }
  }
  if (v.is_number()) {
    double d = v.get<double>();
    if (s.contains("minimum") && d < s["minimum"].get<double>())
      out.push_back({path, fmt::format("Invalid value: {}: must be at least {}", v.dump(), s["minimum"].dump()), hint(s)});
    else if (s.contains("maximum") && d > s["maximum"].get<double>())
      out.push_back({path, fmt::format("Invalid value: {}: must be at most {}", v.dump(), s["maximum"].dump()), hint(s)});
  }
  if (v.is_array()) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) {
      out.push_back({path,
                     v.empty() ? fmt::format("Required value: must have at least {} item{}, got an empty list",
                                             s["minItems"].dump(), s["minItems"].get<size_t>() == 1 ? "" : "s")
                               : fmt::format("Too few: {}: must have at least {} items", v.size(), s["minItems"].dump()),
                     hint(s)});
    }
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) {
      out.push_back({path, fmt::format("Too many: {}: must have at most {} items", v.size(), s["maxItems"].dump()), hint(s)});
      return;
    }
    const json items = s.value("items", json::object());
    for (size_t i = 0; i < v.size(); ++i) walk(v[i], items, fmt::format("{}[{}]", path, i), out);
    const std::string listType = s.value("x-kubernetes-list-type", "");
    if (listType == "set") {
      for (size_t i = 0; i < v.size(); ++i)
        for (size_t j = 0; j < i; ++j)
          if (v[i] == v[j]) {
            out.push_back({fmt::format("{}[{}]", path, i), fmt::format("Duplicate value: {} is already listed", show(v[i])),
                           "each entry may appear once in this list"});
            break;
          }
    } else if (listType == "map") {
      const json keys = s.value("x-kubernetes-list-map-keys", json::array());
      std::map<std::string, size_t> seen;
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_object()) continue;
        json key = json::object();
        std::string shown;
        for (const auto& k : keys) {
          const std::string kn = k.get<std::string>();
          key[kn] = v[i].value(kn, json());
          shown += fmt::format("{}{}={}", shown.empty() ? "" : ", ", kn, key[kn].dump());
        }
        auto [it, fresh] = seen.emplace(key.dump(), i);
        if (!fresh)
          out.push_back({fmt::format("{}[{}]", path, i),
                         fmt::format("Duplicate value: {} is already used by {}[{}]", shown, path, it->second),
                         keys.size() == 1 ? fmt::format("the {} must be unique in this list", keys[0].get<std::string>())
                                          : "each combination of these fields must be unique in this list"});
      }
    }
  }
  if (v.is_object()) {
    const json props = s.value("properties", json::object());
    const bool preserve = s.value("x-kubernetes-preserve-unknown-fields", false);
    for (const auto& req : s.value("required", json::array())) {
      const std::string r = req.get<std::string>();
      if (!v.contains(r)) {
        const json sub = props.value(r, json::object());
        out.push_back({path.empty() ? r : path + "." + r, "Required value", hint(sub)});
      }
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string childPath = path.empty() ? it.key() : path + "." + it.key();
      if (props.contains(it.key())) {
        walk(it.value(), props[it.key()], childPath, out);
      } else if (s.contains("additionalProperties") && s["additionalProperties"].is_object()) {
        walk(it.value(), s["additionalProperties"], childPath, out);
      } else if (!preserve && !props.empty()) {
        std::string best;
        size_t bestD = 4;
        std::string known;
        for (auto p = props.begin(); p != props.end(); ++p) {
          known += (known.empty() ? "" : ", ") + p.key();
          size_t d = editDistance(it.key(), p.key());
          if (d < bestD && !v.contains(p.key())) bestD = d, best = p.key();
        }
        out.push_back({childPath, fmt::format("Unknown field: \"{}\" is not declared in the FeatureRollout schema", it.key()),
                       best.empty() ? "fields allowed here: " + known : fmt::format("did you mean \"{}\"?", best)});
      }
    }
  }
}

}  // namespace fro::plugin
