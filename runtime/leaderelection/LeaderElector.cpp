#include "runtime/leaderelection/LeaderElector.h"

#include <fmt/format.h>

#include "runtime/common/Rfc3339.h"
#include "runtime/kube/ApiError.h"

namespace fro::leaderelection {

namespace {

std::string holderOf(const kube::json& spec) {
  auto h = spec.find("holderIdentity");
  return h != spec.end() && h->is_string() ? h->get<std::string>() : std::string();
}

}  // namespace

LeaderElector::LeaderElector(kube::KubeClient& client, LeaderElectionConfig cfg, Callbacks cb,
                             std::shared_ptr<const Clock> clock)
    : client_(client), cfg_(std::move(cfg)), cb_(std::move(cb)), clock_(std::move(clock)) {}

Status LeaderElector::validate(const LeaderElectionConfig& c) {
  if (c.leaseName.empty() || c.leaseNamespace.empty()) return Error::of("leader election: lease name and namespace are required");
  if (c.identity.empty()) return Error::of("leader election: identity is required");
  if (c.renewDeadline >= c.leaseDuration)
    return Error::of(fmt::format("leader election: renew deadline ({}ms) must be shorter than the lease duration ({}ms)",
                                 c.renewDeadline.count(), c.leaseDuration.count()));
  if (c.retryPeriod >= c.renewDeadline)
    return Error::of(fmt::format("leader election: retry period ({}ms) must be shorter than the renew deadline ({}ms)",
                                 c.retryPeriod.count(), c.renewDeadline.count()));
  return ok();
}

std::string LeaderElector::currentLeader() const {
  MutexLock l(mu_);
  return observedHolder_;
}

kube::json LeaderElector::desiredLease(const kube::json* existing, bool acquiring) const {
  auto now = Rfc3339::formatMicro(clock_->now());
  kube::json lease = existing ? *existing
                              : kube::json{{"apiVersion", "coordination.k8s.io/v1"},
                                           {"kind", "Lease"},
                                           {"metadata", {{"name", cfg_.leaseName}, {"namespace", cfg_.leaseNamespace}}},
                                           {"spec", kube::json::object()}};
  auto& spec = lease["spec"];
  auto t = spec.find("leaseTransitions");
  int transitions = t != spec.end() && t->is_number_integer() ? t->get<int>() : 0;
  spec["holderIdentity"] = cfg_.identity;
  spec["leaseDurationSeconds"] = std::max<long long>(
      1, std::chrono::duration_cast<std::chrono::seconds>(cfg_.leaseDuration).count());
  spec["renewTime"] = now;
  if (acquiring) {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = existing ? transitions + 1 : 0;
  }
  return lease;
}

void LeaderElector::report(const Error& e, const char* doing) const {
  if (!cb_.onError) return;
  Error named = e;
  named.message = fmt::format("{} Lease {}/{}: {}", doing, cfg_.leaseNamespace, cfg_.leaseName, e.message);
  cb_.onError(named);
}

bool LeaderElector::tryAcquireOrRenew() {
  auto steady = clock_->steadyNow();
  auto got = client_.get(kube::Resource::leases(), cfg_.leaseNamespace, cfg_.leaseName);
  if (!got.ok()) {
    if (!kube::ApiError::isNotFound(got.error())) {
      report(got.error(), "reading");
      return false;
    }
    if (stop_) return false;
    auto created = client_.create(kube::Resource::leases(), cfg_.leaseNamespace, desiredLease(nullptr, true));
    if (!created.ok()) {  // someone else created it first (AlreadyExists) or the API is down
      report(created.error(), "creating");
      return false;
    }
    MutexLock l(mu_);
    observedRecord_ = (*created)["spec"].dump();
    observedHolder_ = cfg_.identity;
    observedAt_ = steady;
    return true;
  }
  const auto& spec = (*got)["spec"];
  std::string holder = holderOf(spec);
  {
    MutexLock l(mu_);
    auto record = spec.dump();
    if (record != observedRecord_) {
      observedRecord_ = record;
      observedAt_ = steady;
      if (holder != observedHolder_ && cb_.onNewLeader && !holder.empty()) cb_.onNewLeader(holder);
      observedHolder_ = holder;
    }
    // Someone else holds a lease that has not expired by our own clock: wait.
    auto d = spec.find("leaseDurationSeconds");
    auto duration = std::chrono::seconds(d != spec.end() && d->is_number_integer() ? d->get<long long>() : 0);
    if (!holder.empty() && holder != cfg_.identity && steady < observedAt_ + duration) return false;
  }
  // Stopped meanwhile: release() may be running, a renewal now could take the lease back.
  if (stop_) return false;
  // Optimistic concurrency: the update carries the resourceVersion we read; a race is a 409.
  auto updated = client_.update(kube::Resource::leases(), desiredLease(&*got, holder != cfg_.identity));
  if (!updated.ok()) {
    report(updated.error(), holder == cfg_.identity ? "renewing" : "acquiring");
    return false;
  }
  MutexLock l(mu_);
  observedRecord_ = (*updated)["spec"].dump();
  observedHolder_ = cfg_.identity;
  observedAt_ = steady;
  return true;
}

bool LeaderElector::sleepFor(std::chrono::milliseconds d) {
  MutexLock l(mu_);
  return !cv_.wait_for(l.native(), d, [&] { return stop_.load(); });
}

void LeaderElector::stop() {
  {
    MutexLock l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void LeaderElector::run() {
  while (!stop_ && !tryAcquireOrRenew())
    if (!sleepFor(cfg_.retryPeriod)) return;
  if (stop_) return;
  lastRenew_ = clock_->steadyNow();
  leading_ = true;
  if (cb_.onStartedLeading) cb_.onStartedLeading();
  while (sleepFor(cfg_.retryPeriod)) {
    if (tryAcquireOrRenew()) {
      lastRenew_ = clock_->steadyNow();
    } else if (clock_->steadyNow() - lastRenew_ >= cfg_.renewDeadline) {
      break;  // lost: stop leading well before the lease can expire for the others
    }
  }
  leading_ = false;
  if (cb_.onStoppedLeading) cb_.onStoppedLeading();
}

Status LeaderElector::release() {
  auto got = client_.get(kube::Resource::leases(), cfg_.leaseNamespace, cfg_.leaseName);
  if (!got.ok()) return got.error();
  if (holderOf((*got)["spec"]) != cfg_.identity) return ok();
  auto lease = *got;
  lease["spec"]["holderIdentity"] = nullptr;
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = Rfc3339::formatMicro(clock_->now());
  auto updated = client_.update(kube::Resource::leases(), lease);
  if (!updated.ok()) return updated.error();
  leading_ = false;
  return ok();
}

}  // namespace fro::leaderelection
