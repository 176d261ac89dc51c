#pragma once
// What the planner needs to know about the rollout's ConfigMap: whether it exists, who owns it,
// and a digest of its data (not the data: the informer caches only the digest, about 2 KiB less
// per rollout, and "does it hold the values" is one comparison). Built from the informer's
// projected object or from a whole one.
#include <string>

#include <nlohmann/json.hpp>

namespace fro::rollout {

struct ConfigMapView {
  bool exists = false;
  bool ownedByUs = false;  // a controller ownerReference with this rollout's uid
  std::string owner;       // who owns it otherwise ("FeatureRollout other", "nobody"), for the message
  std::string dataDigest;  // FlagDocument::checksum of its string data

  // Where project() keeps the digest of the data it drops.
  static constexpr const char* kDataDigestField = "fro.dataDigest";

  // cm may be null (no ConfigMap); uid: the rollout's, to tell our ownerReference.
  static ConfigMapView observe(const nlohmann::json* cm, const std::string& uid);
  // Keeps the metadata observe() reads and the digest of the data (informer cache projection).
  static nlohmann::json project(const nlohmann::json& full);
  // FlagDocument::checksum of a ConfigMap's string data.
  static std::string digestOf(const nlohmann::json& cm);
};

}  // namespace fro::rollout
