// Read your own writes (RecentWrites): which object a reconcile starts from while the informer
// has not yet seen this process's last write of a FeatureRollout.
#include <gtest/gtest.h>

#include "rollout/controller/RecentWrites.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;

json at(const std::string& rv, int step) {
  return {{"metadata", {{"name", "demo"}, {"resourceVersion", rv}, {"managedFields", json::array({{{"manager", "x"}}})}}},
          {"status", {{"step", step}}}};
}

TEST(RecentWrites, OursWhileTheCacheHoldsWhatWeReplacedThenTheCacheAgain) {
  RecentWrites w;
  EXPECT_FALSE(w.fresher("shop/demo", "5").has_value()) << "nothing written: the cache";
  w.wrote("shop/demo", "5", at("6", 1));
  auto f = w.fresher("shop/demo", "5");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ((*f)["status"]["step"], 1);
  EXPECT_FALSE((*f)["metadata"].contains("managedFields")) << "kept as the informer keeps objects";
  EXPECT_TRUE(w.fresher("shop/demo", "5").has_value()) << "still lagging: still ours";
  EXPECT_FALSE(w.fresher("shop/demo", "6").has_value()) << "the cache caught up";
  EXPECT_EQ(w.size(), 0u) << "and the entry is gone";
}

TEST(RecentWrites, TwoWritesBeforeTheCacheSeesEitherServeTheLatest) {
  RecentWrites w;
  w.wrote("shop/demo", "5", at("6", 1));
  w.wrote("shop/demo", "6", at("7", 2));
  for (const char* lagging : {"5", "6"}) {
    auto f = w.fresher("shop/demo", lagging);
    ASSERT_TRUE(f.has_value()) << lagging;
    EXPECT_EQ((*f)["status"]["step"], 2) << lagging;
  }
  // Someone else wrote after us (a spec edit): the cache's version is none of ours.
  EXPECT_FALSE(w.fresher("shop/demo", "9").has_value());
}

TEST(RecentWrites, KeysAreApartAndForgetDropsOne) {
  RecentWrites w;
  w.wrote("shop/a", "5", at("6", 1));
  w.wrote("shop/b", "5", at("8", 3));
  EXPECT_EQ((*w.fresher("shop/b", "5"))["status"]["step"], 3);
  w.forget("shop/a");
  EXPECT_FALSE(w.fresher("shop/a", "5").has_value());
  EXPECT_EQ(w.size(), 1u);
}

}  // namespace
}  // namespace fro::rollout
