// File delivery on the real control plane: the ConfigMap mounted once into the chosen container
// with the flagd providers' env vars, percent steps that change only the ConfigMap (the
// Deployment's generation stays put, so no pod restarts), the restart policies of env delivery,
// collisions refused before anything is written, and deletion that removes our volume, mount and
// env while keeping the user's.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "tests/integration/RolloutFixture.h"

namespace fro {
namespace {

using json = nlohmann::json;
using kube::Resource;
using namespace std::chrono_literals;
namespace names = rollout::names;

class FileDelivery : public testing::RolloutFixture {
 protected:
  // Deployment web with a volume of the user's own, mounted in app.
  void createDeploymentWithVolume(const json& volume, const json& mount) {
    createDeployment("web");
    auto d = client->get(Resource::deployments(), ns, "web");
    ASSERT_TRUE(d.ok());
    json patch = {{"spec", {{"template", {{"spec", {{"volumes", {volume}}, {"containers", (*d)["spec"]["template"]["spec"]["containers"]}}}}}}}};
    patch["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = {mount};
    auto r = client->patch(Resource::deployments(), ns, "web", kube::PatchType::Merge, patch);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  static json spec(const json& delivery) {
    json s = json::parse(R"({
      "targets": [{"kind": "Deployment", "name": "web", "containers": ["app"]}],
      "flags": [{"name": "new-checkout", "envVar": "NEW_CHECKOUT"}],
      "phases": [{"name": "checkout", "enable": ["new-checkout"],
                  "steps": [{"percent": 10, "pause": "1s"}, {"percent": 50, "pause": "1s"}, {"percent": 100}]}]})");
    s["delivery"] = delivery;
    return s;
  }
  // Pod templates the Deployment has run: one ReplicaSet per template, so restarts = this - 1.
  int templates() {
    kube::ListOptions lo;
    lo.labelSelector = "app=web";
    auto rs = client->list(Resource{"apps", "v1", "replicasets", true}, ns, lo);
    return rs.ok() ? static_cast<int>((*rs)["items"].size()) : -1;
  }
  long long generation() {
    auto d = client->get(Resource::deployments(), ns, "web");
    return d.ok() ? d->value("/metadata/generation"_json_pointer, 0LL) : -1;
  }
  // Runs the rollout to Succeeded, noting the Deployment's generation and the document's revision
  // each time the step changes.
  struct Walk {
    std::vector<long long> generations;  // at each step seen active (the last may pass unseen)
    std::set<long long> revisions;       // metadata.revision of every flags.flagd.json seen
    json rollout;
  };
  Walk walk(std::chrono::seconds timeout) {
    Walk w;
    std::string lastStep;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto fr = client->get(Resource::featureRollouts(), ns, "checkout");
      if (!fr.ok()) break;
      w.rollout = *fr;
      if (auto cm = client->get(Resource::configMaps(), ns, "checkout-flags"); cm.ok()) {
        auto doc = json::parse((*cm)["data"].value("flags.flagd.json", std::string("{}")), nullptr, false);
        if (doc.is_object() && doc.contains("metadata")) w.revisions.insert(doc["metadata"].value("revision", 0LL));
      }
      const json& st = w.rollout.value("status", json::object());
      const std::string step = st.value("currentStep", "") + (st.contains("stepStartedAt") ? " active" : "");
      if (step != lastStep && st.contains("stepStartedAt")) w.generations.push_back(generation());
      lastStep = step;
      if (st.value("state", "") == "Succeeded") break;
      std::this_thread::sleep_for(100ms);
    }
    return w;
  }
};

TEST_F(FileDelivery, PercentStepsChangeOnlyTheConfigMapAfterTheMountIsAdded) {
  createDeploymentWithVolume({{"name", "data"}, {"emptyDir", json::object()}}, {{"name", "data"}, {"mountPath", "/data"}});
  const long long before = generation();
  startController();
  createRollout(spec({{"env", {{"restartOn", "Never"}}}, {"propagation", {{"allowance", "1s"}}}}));
  Walk w = walk(120s);
  ASSERT_EQ(w.rollout["status"]["state"], "Succeeded") << w.rollout["status"].dump();
  // One template change (the mount) and then none: 10% -> 50% -> 100% restarted no pod.
  // The claim annotation and the mount bump the generation once each (Deployments count annotation
  // changes too); after that 10% -> 50% -> 100% leave it and the pod template alone.
  ASSERT_GE(w.generations.size(), 2u) << ::testing::PrintToString(w.generations);
  for (long long g : w.generations) EXPECT_EQ(g, before + 2) << ::testing::PrintToString(w.generations);
  EXPECT_EQ(generation(), before + 2);
  EXPECT_EQ(templates(), 3) << "the user's two templates (created, volume added) and ours with the mount: no restart per step";
  EXPECT_GE(w.revisions.size(), 3u) << "the file must change at each step";

  auto d = client->get(Resource::deployments(), ns, "web");
  ASSERT_TRUE(d.ok());
  const json& tmpl = (*d)["spec"]["template"];
  EXPECT_FALSE(tmpl.value("/metadata/annotations"_json_pointer, json::object()).contains(names::kChecksumAnnotation));
  std::map<std::string, json> volumes;
  for (const auto& v : tmpl["spec"]["volumes"]) volumes[v["name"]] = v;
  ASSERT_EQ(volumes.size(), 2u) << tmpl["spec"]["volumes"].dump();
  EXPECT_TRUE(volumes["data"].contains("emptyDir")) << "the user's volume is kept";
  EXPECT_EQ(volumes["feature-flags"]["configMap"]["name"], "checkout-flags");
  EXPECT_EQ(volumes["feature-flags"]["configMap"]["optional"], true);
  const json& app = tmpl["spec"]["containers"][0];
  std::map<std::string, json> mounts;
  for (const auto& m : app["volumeMounts"]) mounts[m["mountPath"]] = m;
  ASSERT_EQ(mounts.size(), 2u) << app.dump();
  EXPECT_EQ(mounts["/etc/feature-flags"]["name"], "feature-flags");
  EXPECT_EQ(mounts["/etc/feature-flags"]["readOnly"], true);
  EXPECT_FALSE(mounts["/etc/feature-flags"].contains("subPath")) << "kubelet never updates a subPath mount";
  std::map<std::string, std::string> env;
  for (const auto& e : app["env"]) env[e["name"]] = e.value("value", "");
  EXPECT_EQ(env["FLAGD_RESOLVER"], "in-process");
  EXPECT_EQ(env["FLAGD_OFFLINE_FLAG_SOURCE_PATH"], "/etc/feature-flags/flags.flagd.json");
  ASSERT_EQ(app["envFrom"].size(), 1u) << "restartOn Never delivers no env: " << app.dump();
  EXPECT_EQ(app["envFrom"][0]["secretRef"]["name"], "app-secrets");
  const json& sidecar = tmpl["spec"]["containers"][1];
  EXPECT_FALSE(sidecar.contains("volumeMounts")) << "sidecar was not chosen";
  EXPECT_FALSE(sidecar.contains("env"));
  EXPECT_GE(w.rollout["status"]["delivery"]["revision"].get<long long>(), 3);

  // Deleting the rollout takes our volume, mount and env away and leaves the user's.
  ASSERT_TRUE(client->remove(Resource::featureRollouts(), ns, "checkout").ok());
  json after;
  for (int i = 0; i < 200; ++i) {
    auto g = client->get(Resource::featureRollouts(), ns, "checkout");
    if (!g.ok() && kube::ApiError::isNotFound(g.error())) break;
    std::this_thread::sleep_for(100ms);
  }
  d = client->get(Resource::deployments(), ns, "web");
  ASSERT_TRUE(d.ok());
  const json& t2 = (*d)["spec"]["template"]["spec"];
  ASSERT_EQ(t2["volumes"].size(), 1u) << t2.dump();
  EXPECT_EQ(t2["volumes"][0]["name"], "data");
  ASSERT_EQ(t2["containers"][0]["volumeMounts"].size(), 1u) << t2.dump();
  EXPECT_EQ(t2["containers"][0]["volumeMounts"][0]["mountPath"], "/data");
  EXPECT_FALSE(t2["containers"][0].contains("env")) << t2.dump();
}

TEST_F(FileDelivery, BooleanChangeRestartsOnlyWhenTheFlagReachesOneHundredPercent) {
  createDeployment("web");
  const long long before = generation();
  startController();
  createRollout(spec({{"propagation", {{"allowance", "1s"}}}}));  // env.restartOn defaults to BooleanChange
  Walk w = walk(120s);
  ASSERT_EQ(w.rollout["status"]["state"], "Succeeded") << w.rollout["status"].dump();
  ASSERT_GE(w.generations.size(), 2u) << ::testing::PrintToString(w.generations);
  EXPECT_EQ(w.generations[0], before + 2);  // claim, then mount, env vars, envFrom and checksum in one write
  EXPECT_EQ(w.generations[1], before + 2);  // 50%: the file only
  EXPECT_EQ(generation(), before + 3);      // 100%: NEW_CHECKOUT flipped to "true"
  EXPECT_EQ(templates(), 3);
}

TEST_F(FileDelivery, EveryChangeRestartsAtEachStep) {
  createDeployment("web");
  const long long before = generation();
  startController();
  createRollout(spec({{"env", {{"restartOn", "EveryChange"}}}, {"propagation", {{"allowance", "1s"}}}}));
  Walk w = walk(120s);
  ASSERT_EQ(w.rollout["status"]["state"], "Succeeded") << w.rollout["status"].dump();
  ASSERT_GE(w.generations.size(), 2u) << ::testing::PrintToString(w.generations);
  EXPECT_EQ(w.generations[0], before + 2);
  EXPECT_EQ(w.generations[1], before + 3);
  EXPECT_EQ(generation(), before + 4);
  EXPECT_EQ(templates(), 4) << "a restart at each of the three steps";
}

TEST_F(FileDelivery, AVolumeOfTheSameNameIsInvalidSpecAndNothingIsWritten) {
  createDeploymentWithVolume({{"name", "feature-flags"}, {"emptyDir", json::object()}},
                             {{"name", "feature-flags"}, {"mountPath", "/var/cache/flags"}});
  const long long before = generation();
  startController();
  createRollout(spec(json::object()));
  json fr = waitFor("checkout", [](const json& o) { return o.value("/status/state"_json_pointer, std::string()) == "Invalid"; },
                    30s, "state Invalid");
  EXPECT_NE(fr["status"]["message"].get<std::string>().find(
                "spec.delivery.file.volumeName: Invalid value: \"feature-flags\": Deployment web (spec.targets[0]) already has "
                "a volume of that name"),
            std::string::npos)
      << fr["status"]["message"];
  EXPECT_EQ(generation(), before);
  auto cm = client->get(Resource::configMaps(), ns, "checkout-flags");
  EXPECT_FALSE(cm.ok()) << "no ConfigMap may be written for an invalid spec";
  EXPECT_TRUE(hasEvent("checkout", "InvalidSpec"));
}

}  // namespace
}  // namespace fro
