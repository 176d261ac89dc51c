// Runs the built fro-demo-service against the local control plane (hack/cluster.sh): it reads a
// ConfigMap written in the operator's format, exports what it reads, fails requests on demand,
// and the real Prometheus computes the gate queries from what it scrapes.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "rollout/planner/Bucketing.h"
#include "rollout/planner/FlagDocument.h"
#include "tests/integration/IntegrationEnv.h"
#include "tests/support/ChildProcess.h"

namespace fro {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;


std::string urlEncode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}



class DemoServiceIT : public testing::IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    promUrl = env("PROMETHEUS_URL");
    targetsDir = env("PROMETHEUS_TARGETS_DIR");
    ASSERT_FALSE(promUrl.empty() || targetsDir.empty()) << "PROMETHEUS_URL / PROMETHEUS_TARGETS_DIR not set";
  }
  void TearDown() override {
    if (!targetFile.empty()) std::filesystem::remove(targetFile);
    IntegrationTest::TearDown();
  }

  Result<http::HttpResponse> httpCall(const std::string& method, const std::string& url) {
    http::HttpRequest req;
    req.method = method;
    req.url = url;
    req.timeout = 5s;
    return plain.send(req);
  }

  // The value of one exact series ("name{labels}") on the service's /metrics, or nullopt.
  std::optional<double> sample(int port, const std::string& series) {
    auto r = httpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/metrics");
    if (!r || r->status != 200) return std::nullopt;
    std::istringstream in(r->body);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return std::nullopt;
  }

  // Polls until pred(value) holds or the limit passes; returns the last value seen.
  template <class Get, class Pred>
  std::optional<double> waitFor(Get get, Pred pred, std::chrono::seconds limit) {
    std::optional<double> v;
    for (auto deadline = Clock::now() + limit; Clock::now() < deadline; std::this_thread::sleep_for(250ms)) {
      v = get();
      if (v && pred(*v)) return v;
    }
    return v;
  }

  // A scalar PromQL result (first series), or nullopt while Prometheus has no data.
  std::optional<double> promQuery(const std::string& q) {
    auto r = httpCall("GET", promUrl + "/api/v1/query?query=" + urlEncode(q));
    if (!r || r->status != 200) return std::nullopt;
    auto j = json::parse(r->body, nullptr, false);
    if (j.is_discarded() || j["status"] != "success" || j["data"]["result"].empty()) return std::nullopt;
    double v = std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
    if (std::isnan(v)) return std::nullopt;
    return v;
  }

  void scrape(int port, const std::string& run) {
    targetFile = (std::filesystem::path(targetsDir) / (run + ".json")).string();
    {
      std::ofstream f(targetFile + ".tmp");
      f << json::array({{{"targets", {"127.0.0.1:" + std::to_string(port)}},
                         {"labels", {{"job", "fro-demo-it"}, {"demo_run", run}}}}})
               .dump();
    }
    std::filesystem::rename(targetFile + ".tmp", targetFile);  // Prometheus never reads half a file
  }

  std::string promUrl, targetsDir, targetFile;
  http::CurlTransport plain{http::TlsConfig{}};
};

TEST_F(DemoServiceIT, ServesFlagsFromTheConfigMapAndFaultsReachPrometheus) {
  const std::string ns = createNamespace("demo-it");
  const std::string run = uniqueName("demo-run");
  auto data = rollout::FlagDocument::configMapData({{"checkout-v2", "CHECKOUT_V2", 100}, {"search-ai", "SEARCH_AI", 30}});
  json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "flags"}}}, {"data", data}};
  auto created = client->create(kube::Resource::configMaps(), ns, cm);
  ASSERT_TRUE(created.ok()) << created.error().message;

  const int metricsPort = testing::freePort(), controlPort = testing::freePort();
  const std::string control = "http://127.0.0.1:" + std::to_string(controlPort);
  std::string logPath = (std::filesystem::temp_directory_path() / (run + ".log")).string();
  testing::ChildProcess svc({FRO_DEMO_SERVICE_BIN, "--kubeconfig", env("KUBECONFIG"), "--namespace", ns, "--configmap", "flags",
                      "--users", "1000", "--rate", "200", "--seed", "3", "--poll-interval-ms", "200",
                      "--metrics-address", "127.0.0.1:" + std::to_string(metricsPort),
                      "--control-address", "127.0.0.1:" + std::to_string(controlPort)},
                     logPath);

  // 1. The metrics reflect the ConfigMap, with exactly the users the shared bucketing rule picks.
  auto percent = [&](const std::string& flag) {
    return [&, flag] { return sample(metricsPort, "demo_flag_percent{flag=\"" + flag + "\"}"); };
  };
  auto p = waitFor(percent("search-ai"), [](double v) { return v == 30; }, 20s);
  ASSERT_EQ(p, 30) << "service log:\n" << svc.log();
  int expected = 0;
  char id[16];
  for (int i = 1; i <= 1000; ++i) {
    std::snprintf(id, sizeof id, "user-%04d", i);
    expected += rollout::Bucketing::inRollout("search-ai", id, 30);
  }
  EXPECT_EQ(sample(metricsPort, "demo_users_with_flag{flag=\"search-ai\"}"), expected);
  EXPECT_EQ(sample(metricsPort, "demo_users_with_flag{flag=\"checkout-v2\"}"), 1000);

  // 2. A new percent is picked up and logged.
  auto patched = client->patch(kube::Resource::configMaps(), ns, "flags", kube::PatchType::Merge,
                               {{"data", rollout::FlagDocument::configMapData(
                                             {{"checkout-v2", "CHECKOUT_V2", 100}, {"search-ai", "SEARCH_AI", 50}})}});
  ASSERT_TRUE(patched.ok()) << patched.error().message;
  EXPECT_EQ(waitFor(percent("search-ai"), [](double v) { return v == 50; }, 20s), 50);
  EXPECT_NE(svc.log().find("flag search-ai: 30% -> 50% of users"), std::string::npos) << svc.log();

  // 3. Prometheus scrapes a healthy service: about 0.5% errors.
  scrape(metricsPort, run);
  const std::string sel = "demo_run=\"" + run + "\"";
  const std::string errorRatio = "sum(rate(http_requests_total{" + sel + ",code=~\"5..\"}[10s])) / sum(rate(http_requests_total{" + sel + "}[10s]))";
  const std::string p95 = "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{" + sel + "}[10s])))";
  auto baseline = waitFor([&] { return promQuery("sum(rate(http_requests_total{" + sel + "}[10s]))"); },
                          [](double v) { return v > 100; }, 45s);
  ASSERT_TRUE(baseline && *baseline > 100) << "Prometheus never saw ~200 req/s from the service";
  auto healthyRatio = promQuery(errorRatio);
  ASSERT_TRUE(healthyRatio.has_value());
  EXPECT_LT(*healthyRatio, 0.03);
  auto healthyP95 = promQuery(p95);
  ASSERT_TRUE(healthyP95.has_value());
  EXPECT_LT(*healthyP95, 0.1);

  // 4. 100% errors and +1.5 s on a flag every user has: the service counts 5xx on that flag path...
  auto post = httpCall("POST", control + "/faults?flag=checkout-v2&errorRate=1&latencyMs=1500");
  ASSERT_TRUE(post.ok()) << post.error().message;
  ASSERT_EQ(post->status, 200) << post->body;
  auto fivexx = waitFor([&] { return sample(metricsPort, "http_requests_total{code=\"500\",flag=\"checkout-v2\"}"); },
                        [](double v) { return v >= 50; }, 15s);
  EXPECT_TRUE(fivexx && *fivexx >= 50);
  auto bad = httpCall("POST", control + "/faults?flag=checkout-v2&errorRate=2");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400) << bad->body;

  // ... and Prometheus reports the error ratio near 1 and p95 just above 1.5 s.
  auto ratio = waitFor([&] { return promQuery(errorRatio); }, [](double v) { return v > 0.95; }, 45s);
  EXPECT_TRUE(ratio && *ratio > 0.95) << "last error ratio " << (ratio ? *ratio : -1);
  auto slow = waitFor([&] { return promQuery(p95); }, [](double v) { return v > 1.5 && v <= 1.6; }, 30s);
  EXPECT_TRUE(slow && *slow > 1.5 && *slow <= 1.6) << "last p95 " << (slow ? *slow : -1);

  // 5. Clearing the fault and deleting the ConfigMap.
  auto del = httpCall("DELETE", control + "/faults?flag=checkout-v2");
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->status, 200);
  auto list = httpCall("GET", control + "/faults");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(json::parse(list->body)["faults"], json::array());
  ASSERT_TRUE(client->remove(kube::Resource::configMaps(), ns, "flags").ok());
  EXPECT_EQ(waitFor(percent("checkout-v2"), [](double v) { return v == 0; }, 20s), 0);
  EXPECT_NE(svc.log().find("not found: every flag at 0%"), std::string::npos);
  EXPECT_TRUE(svc.running());

  // 6. SIGTERM: a clean, prompt exit.
  auto code = svc.terminate(10s);
  EXPECT_EQ(code, 0) << svc.log();
  EXPECT_NE(svc.log().find("INFO  stopped"), std::string::npos) << svc.log();
  std::filesystem::remove(logPath);
}

TEST_F(DemoServiceIT, RefusesToStartOnAPortInUse) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string busy = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  std::string logPath = (std::filesystem::temp_directory_path() / (uniqueName("demo-busy") + ".log")).string();
  testing::ChildProcess svc({FRO_DEMO_SERVICE_BIN, "--kubeconfig", env("KUBECONFIG"), "--configmap", "none",
                      "--metrics-address", "127.0.0.1:0", "--control-address", busy},
                     logPath);
  auto code = svc.waitExit(10s);
  ::close(fd);
  EXPECT_EQ(code, 1) << svc.log();
  EXPECT_NE(svc.log().find(busy), std::string::npos) << svc.log();
  std::filesystem::remove(logPath);
}

}  // namespace
}  // namespace fro
