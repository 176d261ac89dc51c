// Gates against a Prometheus that answers badly (issue 11, defects 8, 9, 10): the controller runs
// in-process on the local control plane with the real GateEvaluator and CurlTransport, and a fake
// Prometheus on 127.0.0.1 (a thread of this test) answers every query the same way.
//   -Inf                    -> not a pass: Holding, GateNoData, the gate message names -Inf
//   a 50 MB, 832,204-series -> a gate Error naming the size limit, and memory stays bounded
//   invalid UTF-8 / an HTML page cut inside a character -> status and an Event, valid UTF-8
#include <gtest/gtest.h>

#include <fstream>

#include "rollout/gates/GateEvaluator.h"
#include "tests/integration/RolloutFixture.h"
#include "tests/support/LoopbackHttpServer.h"

namespace fro {
namespace {

using json = nlohmann::json;
using testing::LoopbackHttpServer;
using namespace std::chrono_literals;

// Independent of the code under test: RFC 3629 (no overlongs, no surrogates, at most U+10FFFF).
bool validUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n;
  }
  return true;
}

long peakRssKiB() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::string vectorOf(const std::string& value) {
  return R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1795929885.762,")" +
         value + R"("]}]}})";
}

class HostilePrometheus : public testing::RolloutFixture {
 protected:
  // Starts the fake Prometheus and the evaluator that queries it (the default address).
  void serve(LoopbackHttpServer::Handler handler) {
    prom = std::make_unique<LoopbackHttpServer>(std::move(handler));
    ASSERT_NE(prom->port(), 0) << "cannot listen on 127.0.0.1";
    gates::GateEvaluator::Options o;
    o.defaultAddress = prom->url();
    evaluator = std::make_unique<gates::GateEvaluator>(o);
    evaluator->subscribe([this](const std::string& key) {
      std::lock_guard<std::mutex> l(ctrlMu);
      if (controller) controller->enqueue(key);
    });
  }
  void TearDown() override {
    {
      std::lock_guard<std::mutex> l(ctrlMu);
      stopController();
    }
    evaluator.reset();
    prom.reset();
    RolloutFixture::TearDown();
  }
  rollout::GateProvider& gateProvider() override { return *evaluator; }

  // One phase of three steps gated on an error-rate gate with `above` thresholds only.
  json spec(const std::string& firstPause = "1s") const {
    json gate = {{"name", "error-rate"},
                 {"query", R"(sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m])))"},
                 {"warning", {{"above", 0.02}}},
                 {"critical", {{"above", 0.05}}}};
    return {{"targets", {{{"kind", "Deployment"}, {"name", "web"}}}},
            {"flags", {{{"name", "feature-a"}, {"envVar", "FEATURE_A"}}}},
            {"analysis", {{"interval", "1s"}, {"gates", {gate}}}},
            {"phases",
             {{{"name", "one"},
               {"enable", {"feature-a"}},
               {"gates", {"error-rate"}},
               {"steps", {{{"percent", 10}, {"pause", firstPause}}, {{"percent", 50}}, {{"percent", 100}}}}}}}};
  }

  std::string state(const json& fr) const { return fr.value("/status/state"_json_pointer, std::string()); }
  std::string gate(const json& fr, const char* field) const {
    auto p = json::json_pointer("/status/gates/0/" + std::string(field));
    return fr.contains(p) && fr[p].is_string() ? fr[p].get<std::string>() : std::string();
  }
  int percentOf(const json& fr, const std::string& flag) const {
    for (auto& f : fr.value("/status/flags"_json_pointer, json::array()))
      if (f["name"] == flag) return f["percent"];
    return -1;
  }

  std::mutex ctrlMu;
  std::unique_ptr<LoopbackHttpServer> prom;
  std::unique_ptr<gates::GateEvaluator> evaluator;
};

// Defect 8. Before the fix: "error-rate = -Inf is within thresholds" and the rollout reached Succeeded.
TEST_F(HostilePrometheus, MinusInfinityIsNoDataAndHoldsTheRollout) {
  serve([](const std::string&) { return LoopbackHttpServer::json(vectorOf("-Inf")); });
  createDeployment("web");
  startController();
  createRollout(spec());
  json fr = waitFor("checkout", [&](const json& o) { return state(o) == "Holding" || state(o) == "Succeeded"; }, 60s,
                    "Holding (or, wrongly, Succeeded)");
  ASSERT_EQ(state(fr), "Holding") << fr["status"].dump(1);
  EXPECT_EQ(condition(fr, "GatesPassing", "reason"), "GateNoData");
  EXPECT_EQ(gate(fr, "result"), "NoData");
  std::cout << "gate message: " << gate(fr, "message") << "\n";
  EXPECT_NE(gate(fr, "message").find("-Inf"), std::string::npos) << gate(fr, "message");
  EXPECT_EQ(fr["status"]["step"], 0);
  EXPECT_EQ(percentOf(fr, "feature-a"), 10);
  // Several more evaluations (1 s interval): still held at the first step.
  std::this_thread::sleep_for(3s);
  auto later = client->get(kube::Resource::featureRollouts(), ns, "checkout");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(state(*later), "Holding");
  EXPECT_EQ((*later)["status"]["step"], 0);
  EXPECT_TRUE(hasEvent("checkout", "GateNoData"));
}

// Defect 9. Before the fix the whole body was read and parsed (hundreds of MB), and the error only
// said "query returned 832204 series", naming no limit.
TEST_F(HostilePrometheus, AFiftyMegabyteAnswerIsAGateErrorNamingTheLimit) {
  // 832,204 series of 60 bytes: 50 MB, sent without Content-Length (ends when the connection closes),
  // so the transport must stop reading by itself.
  auto body = std::make_shared<std::string>(R"({"status":"success","data":{"resultType":"vector","result":[)");
  constexpr int kSeries = 832204;
  body->reserve(kSeries * 61 + 64);
  char one[80];
  for (int i = 0; i < kSeries; ++i) {
    int n = std::snprintf(one, sizeof one, R"(%s{"metric":{"pod":"web-%07d"},"value":[1795929885.7,"0.01"]})",
                          i == 0 ? "" : ",", i);
    body->append(one, static_cast<std::size_t>(n));
  }
  *body += "]}}";
  ASSERT_GT(body->size(), 50u * 1000 * 1000);
  std::shared_ptr<const std::string> shared = body;
  serve([shared](const std::string&) {
    return LoopbackHttpServer::Response{200, "application/json", shared, /*contentLength=*/false};
  });
  const long baseline = peakRssKiB();
  createDeployment("web");
  startController();
  createRollout(spec());
  json fr = waitFor("checkout", [&](const json& o) { return gate(o, "result") == "Error" || state(o) == "Succeeded"; },
                    60s, "a gate Error");
  ASSERT_EQ(gate(fr, "result"), "Error") << fr["status"].dump(1);
  const std::string msg = gate(fr, "message");
  std::cout << "gate message: " << msg << "\n";
  EXPECT_NE(msg.find("limit"), std::string::npos) << msg;
  EXPECT_NE(msg.find("4 MiB"), std::string::npos) << msg;
  EXPECT_EQ(fr["status"]["step"], 0);
  // A few more oversize answers (1 s interval); the peak stays far below one parsed answer.
  std::this_thread::sleep_for(3s);
  EXPECT_GE(prom->requests(), 3);
  const long grew = peakRssKiB() - baseline;
  std::cout << "peak RSS grew by " << grew / 1024 << " MiB over " << prom->requests() << " oversize answers\n";
  EXPECT_LT(grew, 128 * 1024) << "KiB";
}

// Defect 10 (raw bytes). Before the fix the invalid bytes went into the status message, the status
// write threw while serializing, and nothing was written: no status, no Event.
TEST_F(HostilePrometheus, RawInvalidUtf8IsShownAsValidTextInStatusAndAnEvent) {
  const std::string raw = "\xff\xfe garbage \xc3\x28 \xed\xa0\x80 \xe2\x82 \xc0\xaf end";
  serve([raw](const std::string&) {
    return LoopbackHttpServer::Response{200, "text/plain", std::make_shared<const std::string>(raw), true};
  });
  createDeployment("web");
  startController();
  createRollout(spec("0s"));
  json fr = waitFor("checkout", [&](const json& o) { return gate(o, "result") == "Error"; }, 30s, "a gate Error");
  const std::string msg = gate(fr, "message");
  std::cout << "gate message: " << msg << "\n";
  EXPECT_NE(msg.find("not JSON"), std::string::npos) << msg;
  EXPECT_NE(msg.find("garbage"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\xEF\xBF\xBD"), std::string::npos) << "invalid bytes become U+FFFD: " << msg;
  EXPECT_TRUE(validUtf8(msg)) << msg;
  EXPECT_TRUE(validUtf8(fr["status"].dump(-1, ' ', false, json::error_handler_t::replace)));
  EXPECT_TRUE(hasEvent("checkout", "GateError", 10s));
  EXPECT_EQ(fr["status"]["step"], 0);
}

// Defect 10 (the reported case): an HTML error page whose 200-byte excerpt ends inside a "€".
TEST_F(HostilePrometheus, AnHtmlErrorPageCutInsideACharacterIsShownAsValidText) {
  std::string page = "<html><head><title>502 Bad Gateway</title></head><body><h1>Gateway error</h1><p>";
  page += std::string(199 - page.size(), 'x');
  page += "\xE2\x82\xAC";  // "€" at bytes 199..201: the excerpt's byte 200 is its middle
  page += " upstream Prometheus is unavailable, caf\xC3\xA9 closed</p></body></html>";
  serve([page](const std::string&) {
    return LoopbackHttpServer::Response{502, "text/html", std::make_shared<const std::string>(page), true};
  });
  createDeployment("web");
  startController();
  const auto created = std::chrono::steady_clock::now();
  createRollout(spec("0s"));
  json fr = waitFor("checkout", [&](const json& o) { return gate(o, "result") == "Error"; }, 30s, "a gate Error");
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - created);
  std::cout << "gate error in status " << took.count() << " ms after the rollout was created\n";
  const std::string msg = gate(fr, "message");
  std::cout << "gate message: " << msg << "\n";
  EXPECT_NE(msg.find("HTTP 502"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Bad Gateway"), std::string::npos) << msg;
  EXPECT_TRUE(validUtf8(msg)) << msg;
  EXPECT_TRUE(validUtf8(condition(fr, "GatesPassing", "message")));
  EXPECT_EQ(condition(fr, "GatesPassing", "reason"), "GateError");
  EXPECT_TRUE(hasEvent("checkout", "GateError", 10s));
  EXPECT_EQ(fr["status"]["step"], 0);
}

}  // namespace
}  // namespace fro
