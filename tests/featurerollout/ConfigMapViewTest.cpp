// The rollout's ConfigMap as the planner sees it: the informer caches a projection with a digest
// of the data instead of the data; the planner must judge a projected ConfigMap exactly as the
// whole one (issue 18: memory by projection).
#include <gtest/gtest.h>

#include "rollout/planner/ConfigMapView.h"
#include "rollout/planner/FlagDocument.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;

json configMap(const json& data) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", "demo-flags"}, {"namespace", "shop"}, {"uid", "cm1"}, {"resourceVersion", "7"},
                        {"labels", {{"rollouts.featureflags.dev/rollout", "demo"}}},
                        {"annotations", {{"note", std::string(2000, 'x')}}},
                        {"ownerReferences", json::array({{{"kind", "FeatureRollout"}, {"name", "demo"}, {"uid", "u1"},
                                                          {"controller", true}}})}}},
          {"data", data}};
}

TEST(ConfigMapView, TheProjectionKeepsOwnerAndADigestButNotTheData) {
  const json data = {{"CHECKOUT", "true"}, {"CHECKOUT_PERCENT", "100"}, {"flags.flagd.json", std::string(3000, '{')}};
  const json full = configMap(data);
  const json p = ConfigMapView::project(full);
  EXPECT_FALSE(p.contains("data"));
  EXPECT_FALSE(p["metadata"].contains("annotations"));
  EXPECT_LT(p.dump().size(), 600u) << p.dump();
  EXPECT_EQ(p["metadata"]["ownerReferences"], full["metadata"]["ownerReferences"]);
  EXPECT_EQ(p["metadata"]["resourceVersion"], "7");

  const ConfigMapView a = ConfigMapView::observe(&full, "u1"), b = ConfigMapView::observe(&p, "u1");
  EXPECT_TRUE(b.exists);
  EXPECT_TRUE(b.ownedByUs);
  EXPECT_EQ(a.dataDigest, b.dataDigest);
  EXPECT_EQ(b.dataDigest, FlagDocument::checksum({{"CHECKOUT", "true"}, {"CHECKOUT_PERCENT", "100"},
                                                  {"flags.flagd.json", std::string(3000, '{')}}))
      << "the digest the planner compares with the data it wants";
}

TEST(ConfigMapView, AnyChangeOfTheDataChangesTheDigest) {
  const json one = ConfigMapView::project(configMap({{"CHECKOUT", "true"}}));
  for (const json& other : {json{{"CHECKOUT", "false"}}, json{{"CHECKOUT", "true"}, {"BANNER", "false"}}, json::object(),
                            json{{"CHECKOUT", "tru"}, {"e", ""}}}) {
    const json p = ConfigMapView::project(configMap(other));
    EXPECT_NE(p[ConfigMapView::kDataDigestField], one[ConfigMapView::kDataDigestField]) << other.dump();
  }
}

TEST(ConfigMapView, AForeignOrMissingConfigMapIsToldApart) {
  EXPECT_FALSE(ConfigMapView::observe(nullptr, "u1").exists);
  const json none;
  EXPECT_FALSE(ConfigMapView::observe(&none, "u1").exists);
  json mine = configMap({});
  const ConfigMapView other = ConfigMapView::observe(&mine, "u2");
  EXPECT_TRUE(other.exists);
  EXPECT_FALSE(other.ownedByUs);
  EXPECT_EQ(other.owner, "FeatureRollout demo");
  mine["metadata"].erase("ownerReferences");
  mine["metadata"]["ownerReferences"] = json::array({"not an object"});
  EXPECT_EQ(ConfigMapView::observe(&mine, "u2").owner, "nobody");
}

}  // namespace
}  // namespace fro::rollout
