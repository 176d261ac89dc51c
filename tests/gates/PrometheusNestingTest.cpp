// A Prometheus answer under the size limit whose sample is nested a million levels deep (issue 17):
// quoting it in the "malformed sample" message with dump() recursed once per level and overflowed
// the stack of the gate evaluator's thread. It is an Error value with a short excerpt.
#include <gtest/gtest.h>

#include <memory>

#include "rollout/gates/PrometheusClient.h"
#include "tests/support/FakeTransport.h"

namespace fro::gates {
namespace {

TEST(PrometheusNesting, DeeplyNestedSampleIsAnErrorWithAShortExcerpt) {
  const std::size_t depth = 1000000;
  auto transport = std::make_shared<testing::FakeTransport>();
  transport->push(200, R"({"status":"success","data":{"resultType":"scalar","result":)" + std::string(depth, '[') +
                           std::string(depth, ']') + "}}");
  PrometheusClient client(transport, {.address = "http://prometheus:9090"});
  auto r = client.query("up");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("malformed sample [[[["), std::string::npos) << r.error().message.substr(0, 300);
  EXPECT_LT(r.error().message.size(), 400u);
}

}  // namespace
}  // namespace fro::gates
