// An informer survives a kube-apiserver restart: its watch breaks, it resumes from the last
// resourceVersion, the restarted server no longer has that version in its watch cache (410 Gone),
// so it relists; changes made while it was away reach the handlers exactly once.
// Runs serially (RUN_SERIAL): it restarts the API server under everyone.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <thread>

#include "runtime/kube/Informer.h"
#include "tests/integration/IntegrationEnv.h"

namespace fro {
namespace {

using namespace std::chrono_literals;
using kube::json;
using kube::Resource;

class WatchRestart : public testing::IntegrationTest {};

TEST_F(WatchRestart, InformerRelistsAfterApiServerRestartWithoutLosingOrRepeatingEvents) {
  auto ns = createNamespace("restart");
  auto cm = [](const std::string& name) {
    return json{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", {{"v", "1"}}}};
  };
  for (auto n : {"a", "b", "c"}) ASSERT_TRUE(client->create(Resource::configMaps(), ns, cm(n)).ok());

  kube::Informer::Options io;
  io.namespace_ = ns;
  io.minBackoff = 2s;  // long enough that our changes below land before it reconnects
  io.maxBackoff = 4s;
  kube::Informer inf(*client, Resource::configMaps(), io);
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> calls;  // per object, in order
  auto note = [&](const kube::CachedPtr& o, const std::string& what) {
    if (o->name == "kube-root-ca.crt") return;
    std::lock_guard l(mu);
    calls[o->name].push_back(what);
  };
  inf.addHandlers({[&](const kube::CachedPtr& o) { note(o, "add"); },
                   [&](const kube::CachedPtr&, const kube::CachedPtr& o) { note(o, "update"); },
                   [&](const kube::CachedPtr& o, bool) { note(o, "delete"); }});
  std::thread t([&] { inf.run(); });
  ASSERT_TRUE(inf.waitForSync(10s));

  // Move the global resourceVersion past what the informer has seen, outside its namespace.
  auto other = createNamespace("restart-other");
  ASSERT_TRUE(client->create(Resource::configMaps(), other, cm("bump")).ok());

  std::string cmd = std::string("'") + FRO_SOURCE_DIR + "/hack/cluster.sh' restart kube-apiserver >/dev/null 2>&1";
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::cout << "[ figures ] apiserver restart took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()
            << " ms\n";
  // Changes right after the restart, likely before the informer is back.
  ASSERT_TRUE(client->remove(Resource::configMaps(), ns, "b").ok());
  ASSERT_TRUE(client->create(Resource::configMaps(), ns, cm("d")).ok());
  ASSERT_TRUE(client->patch(Resource::configMaps(), ns, "c", kube::PatchType::Merge, {{"data", {{"v", "2"}}}}).ok());

  auto done = [&] {
    std::lock_guard l(mu);
    return calls["b"].size() == 2 && calls["d"].size() == 1 && calls["c"].size() == 2;
  };
  auto end = std::chrono::steady_clock::now() + 60s;
  while (!done() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(50ms);
  std::this_thread::sleep_for(500ms);  // room for a duplicate to show up, if there were one
  inf.stop();
  t.join();

  std::lock_guard l(mu);
  EXPECT_EQ(calls["a"], std::vector<std::string>{"add"});
  EXPECT_EQ(calls["b"], (std::vector<std::string>{"add", "delete"}));
  EXPECT_EQ(calls["c"], (std::vector<std::string>{"add", "update"}));
  EXPECT_EQ(calls["d"], std::vector<std::string>{"add"});
  auto st = inf.stats();
  std::cout << "[ figures ] informer: lists=" << st.lists << " watches=" << st.watches << " expired(410)=" << st.expired
            << " errors=" << st.errors << "\n";
  EXPECT_GE(st.watches, 2) << "the watch must have been re-established";
  EXPECT_EQ(inf.cache().size(), 4u);  // a, c, d + kube-root-ca.crt
}

}  // namespace
}  // namespace fro
