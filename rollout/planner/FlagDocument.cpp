#include "rollout/planner/FlagDocument.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "runtime/common/Utf8.h"

namespace fro::rollout {

using nlohmann::json;

namespace {

// flagd's schema keys "flags" by ^.{1,}$ with additionalProperties false: at least one character
// and, as ECMAScript's and Java's '.' read it, no line terminator. JSON needs valid UTF-8.
bool flagdKey(std::string_view name) {
  if (name.empty() || !Utf8::valid(name)) return false;
  for (std::string_view bad : {"\n", "\r", "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9"})
    if (name.find(bad) != std::string_view::npos) return false;
  return true;
}

}  // namespace

json FlagDocument::flagd(const std::vector<FlagValue>& flags, const DocumentMetadata& meta) {
  json doc = {{"$schema", "https://flagd.dev/schema/v0/flags.json"}, {"flags", json::object()}};
  if (meta.revision > 0) doc["metadata"] = {{"rollout", Utf8::sanitize(meta.rollout)}, {"revision", meta.revision}};
  for (const auto& f : flags) {
    // RolloutSpec admits no other names. One flagd cannot key would make the provider refuse the
    // whole document (and invalid UTF-8 would make dump() throw), so it is left out; its <ENV>
    // keys still carry its value.
    if (!flagdKey(f.name)) continue;
    int p = std::clamp(f.percent, 0, 100);
    json def = {{"state", "ENABLED"},
                {"variants", {{"on", true}, {"off", false}}},
                {"defaultVariant", p >= 100 ? "on" : "off"}};
    // flagd's fractional rule hashes flagKey + targetingKey with MurmurHash3, as Bucketing does.
    if (p > 0 && p < 100) def["targeting"] = {{"fractional", json::array({json::array({"on", p}), json::array({"off", 100 - p})})}};
    doc["flags"][f.name] = std::move(def);
  }
  return doc;
}

std::map<std::string, std::string> FlagDocument::configMapData(const std::vector<FlagValue>& flags,
                                                               const DocumentMetadata& meta) {
  std::map<std::string, std::string> data;
  for (const auto& f : flags) {
    int p = std::clamp(f.percent, 0, 100);
    data[f.envVar] = p >= 100 ? "true" : "false";
    data[f.envVar + "_PERCENT"] = std::to_string(p);
  }
  data[kFlagdKey] = flagd(flags, meta).dump(2);
  return data;
}

std::string FlagDocument::restartChecksum(const std::vector<FlagValue>& flags,
                                          const std::map<std::string, std::string>& data, RestartOn restartOn) {
  if (restartOn == RestartOn::Never) return "";
  if (restartOn == RestartOn::EveryChange) return checksum(data);
  std::map<std::string, std::string> booleans;
  for (const auto& f : flags)
    if (auto it = data.find(f.envVar); it != data.end()) booleans.insert(*it);
  return checksum(booleans);
}

std::size_t FlagDocument::dataBytes(const std::map<std::string, std::string>& data) {
  std::size_t n = 0;
  for (const auto& [k, v] : data) n += k.size() + v.size();
  return n;
}

std::string FlagDocument::checksum(const std::map<std::string, std::string>& data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const auto& [k, v] : data) {
    // Length-prefixed, so ("ab","c") and ("a","bc") never hash alike.
    for (const std::string* s : {&k, &v}) {
      std::string len = std::to_string(s->size()) + ":";
      EVP_DigestUpdate(ctx, len.data(), len.size());
      EVP_DigestUpdate(ctx, s->data(), s->size());
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, md, &n);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

}  // namespace fro::rollout
