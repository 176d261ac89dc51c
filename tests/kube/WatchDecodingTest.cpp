// Watch lines and Status objects whose fields have unexpected types (found by
// fuzz/WatchStreamFuzzer.cpp, issue 17): nlohmann's value() threw type_error out of
// WatchEvent::errorCode/resourceVersion, KubeClient::watch and ApiError::fromResponse (in a watch,
// through libcurl's callback), and a code of 1e300 converted to int was undefined behaviour.
#include <gtest/gtest.h>

#include "runtime/kube/ApiError.h"
#include "runtime/kube/KubeClient.h"
#include "runtime/kube/WatchEvent.h"
#include "tests/support/FakeTransport.h"

namespace fro::kube {
namespace {

using testing::FakeTransport;

WatchEvent event(const char* line) {
  auto ev = WatchEvent::parse(line);
  EXPECT_TRUE(ev.ok()) << line;
  return ev.ok() ? *ev : WatchEvent{};
}

TEST(WatchDecoding, ErrorCodeOfAnotherTypeIsZero) {
  EXPECT_EQ(event(R"({"type":"ERROR","object":{"code":"410"}})").errorCode(), 0);
  EXPECT_EQ(event(R"({"type":"ERROR","object":{"code":4.1e302}})").errorCode(), 0);
  EXPECT_EQ(event(R"({"type":"ERROR","object":{"code":410.5}})").errorCode(), 0);
  EXPECT_EQ(event(R"({"type":"ERROR","object":{"code":9223372036854775807}})").errorCode(), 0);
  EXPECT_EQ(event(R"({"type":"ERROR","object":{"code":410}})").errorCode(), 410);
}

TEST(WatchDecoding, ResourceVersionOfAnotherTypeIsEmpty) {
  EXPECT_EQ(event(R"({"type":"ADDED","object":{"metadata":{"resourceVersion":5}}})").resourceVersion(), "");
  EXPECT_EQ(event(R"({"type":"ADDED","object":{"metadata":[1]}})").resourceVersion(), "");
  EXPECT_EQ(event(R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"5"}}})").resourceVersion(), "5");
}

Result<WatchEnd> watch(int status, std::string body, int* events) {
  auto transport = std::make_shared<FakeTransport>();
  transport->pushStream(status, {std::move(body)});
  KubeClient c(transport, KubeClient::Options{.server = "https://127.0.0.1:6443", .qps = 0});
  return c.watch(Resource::configMaps(), "", WatchOptions{}, [&](const WatchEvent&) { return ++*events, true; });
}

TEST(WatchDecoding, ErrorEventWithOddFieldsIsAnErrorValue) {
  int events = 0;
  Result<WatchEnd> end = Error::of("unset");
  ASSERT_NO_THROW(end = watch(200, R"({"type":"ERROR","object":{"code":500,"message":7,"reason":[]}})" "\n", &events));
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.error().code, 500);
  EXPECT_EQ(end.error().reason, "WatchError");
  EXPECT_NE(end.error().message.find("error event"), std::string::npos) << end.error().message;
  EXPECT_EQ(events, 0);
}

TEST(WatchDecoding, StatusAnswerWithOddFieldsIsAnErrorValue) {
  for (const char* body : {R"({"kind":5})", R"({"kind":"Status","reason":7,"message":{}})",
                           R"({"kind":"Status","details":{"causes":[1,"x",{"field":3,"message":4},{"field":"spec.x","message":"bad"}]}})"}) {
    int events = 0;
    Result<WatchEnd> end = Error::of("unset");
    ASSERT_NO_THROW(end = watch(422, body, &events)) << body;
    ASSERT_FALSE(end.ok()) << body;
    EXPECT_EQ(end.error().code, 422);
    EXPECT_TRUE(ApiError::isInvalid(end.error())) << body;
  }
  int events = 0;
  auto end = watch(422, R"({"kind":"Status","details":{"causes":[1,{"field":"spec.x","message":"bad"}]}})", &events);
  ASSERT_FALSE(end.ok());
  EXPECT_NE(end.error().message.find("spec.x: bad"), std::string::npos) << end.error().message;
}

}  // namespace
}  // namespace fro::kube
