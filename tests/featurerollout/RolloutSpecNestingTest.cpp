// A spec field of the wrong type nested a million levels deep (issue 17): quoting it with dump()
// in the field error recursed once per level and overflowed the stack. It is a field error with a
// short excerpt of the value.
#include <gtest/gtest.h>

#include "rollout/planner/RolloutSpec.h"

namespace fro::rollout {
namespace {

TEST(RolloutSpecNesting, DeeplyNestedValueIsAFieldErrorWithAShortExcerpt) {
  const std::size_t depth = 1000000;
  const auto spec = nlohmann::json::parse(R"({"configMapName":)" + std::string(depth, '[') + std::string(depth, ']') + "}");
  std::vector<FieldError> errors;
  auto r = RolloutSpec::parse(spec, "web", &errors);
  ASSERT_FALSE(r.ok());
  bool found = false;
  for (const auto& e : errors)
    if (e.field == "spec.configMapName") {
      found = true;
      EXPECT_EQ(e.message.rfind("must be a string, got [[[[", 0), 0u) << e.message.substr(0, 300);
      EXPECT_LT(e.message.size(), 300u);
    }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace fro::rollout
