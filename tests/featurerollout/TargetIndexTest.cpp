// Which rollouts a workload's watch event wakes (TargetIndex), as the FeatureRollout informer's
// add, update and delete events keep it.
#include <gtest/gtest.h>

#include "rollout/controller/TargetIndex.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;
using Keys = std::vector<std::string>;

json targeting(const json& targets) { return {{"spec", {{"targets", targets}}}}; }

TEST(TargetIndex, AWorkloadWakesExactlyTheRolloutsThatNameIt) {
  TargetIndex idx;
  idx.set("shop/a", "shop", targeting(json::parse(R"([{"kind": "Deployment", "name": "web"}, {"kind": "StatefulSet", "name": "db"}])")));
  idx.set("shop/b", "shop", targeting(json::parse(R"([{"kind": "Deployment", "name": "web"}])")));
  idx.set("team/c", "team", targeting(json::parse(R"([{"kind": "Deployment", "name": "web"}])")));
  EXPECT_EQ(idx.rolloutsTargeting("Deployment", "shop", "web"), (Keys{"shop/a", "shop/b"}));
  EXPECT_EQ(idx.rolloutsTargeting("StatefulSet", "shop", "db"), (Keys{"shop/a"}));
  EXPECT_EQ(idx.rolloutsTargeting("Deployment", "team", "web"), (Keys{"team/c"})) << "namespaces apart";
  EXPECT_TRUE(idx.rolloutsTargeting("DaemonSet", "shop", "web").empty()) << "kinds apart";
  EXPECT_TRUE(idx.rolloutsTargeting("Deployment", "shop", "api").empty());
}

TEST(TargetIndex, AnEditMovesTheRolloutAndADeleteRemovesIt) {
  TargetIndex idx;
  idx.set("shop/a", "shop", targeting(json::parse(R"([{"kind": "Deployment", "name": "web"}])")));
  idx.set("shop/a", "shop", targeting(json::parse(R"([{"kind": "Deployment", "name": "api"}])")));
  EXPECT_TRUE(idx.rolloutsTargeting("Deployment", "shop", "web").empty());
  EXPECT_EQ(idx.rolloutsTargeting("Deployment", "shop", "api"), (Keys{"shop/a"}));
  idx.set("shop/a", "shop", targeting(json::parse(R"([{"kind": "Deployment", "name": "api"}])")));  // a status write
  EXPECT_EQ(idx.rolloutsTargeting("Deployment", "shop", "api"), (Keys{"shop/a"})) << "indexed once";
  idx.remove("shop/a");
  EXPECT_TRUE(idx.rolloutsTargeting("Deployment", "shop", "api").empty());
  idx.remove("shop/a");  // a second delete (tombstone after a relist) is harmless
}

TEST(TargetIndex, MalformedTargetsAreSkippedNotThrown) {
  TargetIndex idx;
  for (const json& fields : {json::object(), json{{"spec", 3}}, json{{"spec", {{"targets", "web"}}}},
                             targeting(json::parse(R"([7, {"kind": 1, "name": "web"}, {"kind": "Deployment"}, {"kind": "Deployment", "name": "web"},
                                                       {"kind": "Deployment", "name": "web"}])"))})
    EXPECT_NO_THROW(idx.set("shop/a", "shop", fields)) << fields.dump();
  EXPECT_EQ(idx.rolloutsTargeting("Deployment", "shop", "web"), (Keys{"shop/a"})) << "a duplicate target counts once";
}

}  // namespace
}  // namespace fro::rollout
