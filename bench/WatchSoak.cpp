// Watch soak: informers on ConfigMaps in one namespace hold watches for --seconds while a writer
// churns objects and the server ends each watch every --watch-timeout seconds (so watches restart
// all the time, each on a new TLS connection). Prints RSS at start, middle and end, and how many
// events and watch restarts went through. A leak in the transport shows as RSS growing with restarts.
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "bench/BenchEnv.h"
#include "runtime/kube/Informer.h"

using namespace fro;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  int seconds = 300, watchTimeout = 2, informers = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") seconds = std::stoi(argv[i + 1]);
    else if (a == "--watch-timeout") watchTimeout = std::stoi(argv[i + 1]);
    else if (a == "--informers") informers = std::stoi(argv[i + 1]);
  }
  kube::KubeClient::Options o;
  o.qps = 0;
  auto client = bench::clientFromEnv(o);
  std::string ns = "soak-" + std::to_string(std::time(nullptr));
  auto created = client->create(kube::Resource::namespaces(), "",
                                {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  if (!created.ok()) {
    std::cerr << created.error().message << "\n";
    return 1;
  }
  std::atomic<long> events{0};
  std::vector<std::unique_ptr<kube::Informer>> infs;
  std::vector<std::thread> threads;
  for (int i = 0; i < informers; ++i) {
    kube::Informer::Options io;
    io.namespace_ = ns;
    io.timeoutSeconds = watchTimeout;
    auto inf = std::make_unique<kube::Informer>(*client, kube::Resource::configMaps(), io);
    inf->addHandlers({[&](const kube::CachedPtr&) { ++events; }, [&](const kube::CachedPtr&, const kube::CachedPtr&) { ++events; },
                      [&](const kube::CachedPtr&, bool) { ++events; }});
    infs.push_back(std::move(inf));
  }
  for (auto& inf : infs) threads.emplace_back([&inf] { inf->run(); });
  for (auto& inf : infs) inf->waitForSync(30s);

  long rss0 = bench::rssKiB();
  std::cout << "soak: " << informers << " informers, watch timeout " << watchTimeout << " s, " << seconds
            << " s; RSS start " << rss0 << " KiB" << std::endl;
  auto start = std::chrono::steady_clock::now();
  long writes = 0, rssMid = 0;
  bool midDone = false;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(seconds)) {
    std::string name = "cm-" + std::to_string(writes % 50);
    kube::json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}, {"namespace", ns}}},
                     {"data", {{"n", std::to_string(writes)}}}};
    if (writes % 7 == 6) (void)client->remove(kube::Resource::configMaps(), ns, name);
    else (void)client->apply(kube::Resource::configMaps(), cm, "soak");
    ++writes;
    if (!midDone && std::chrono::steady_clock::now() - start > std::chrono::seconds(seconds / 2)) {
      rssMid = bench::rssKiB();
      midDone = true;
    }
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(1s);
  long rss1 = bench::rssKiB();
  int watches = 0, errors = 0;
  for (auto& inf : infs) {
    watches += inf->stats().watches;
    errors += inf->stats().errors;
    inf->stop();
  }
  for (auto& t : threads) t.join();
  (void)client->remove(kube::Resource::namespaces(), "", ns);
  std::cout << "soak: writes " << writes << ", handler events " << events.load() << ", watches started " << watches
            << ", watch errors " << errors << "\n"
            << "soak: RSS start " << rss0 << " KiB, middle " << rssMid << " KiB, end " << rss1 << " KiB (end-middle "
            << (rss1 - rssMid) << " KiB)" << std::endl;
  return 0;
}
