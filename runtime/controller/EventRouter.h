#pragma once
// Turns informer events into work-queue keys (controller-runtime's handlers): a primary
// resource's change queues its own key; a change to an object it owns (its ConfigMap) queues the
// owner's key; anything else (target workloads) is mapped by a function the reconciler supplies.
// Keys are "namespace/name". Data flows one way: watch event -> cache -> key -> reconcile.
#include <functional>
#include <string>
#include <vector>

#include "runtime/controller/WorkQueue.h"
#include "runtime/kube/Informer.h"

namespace fro::controller {

class EventRouter {
 public:
  using KeysOf = std::function<std::vector<std::string>(const kube::CachedPtr&)>;

  static void enqueueSelf(kube::Informer& informer, WorkQueue& queue);
  // ownerGroup: API group of the owner ("" for core); ownerKind: e.g. "FeatureRollout".
  static void enqueueOwner(kube::Informer& informer, WorkQueue& queue, const std::string& ownerGroup,
                           const std::string& ownerKind);
  static void enqueueMapped(kube::Informer& informer, WorkQueue& queue, KeysOf keysOf);

  // The owners of `obj` of that group and kind, as keys in obj's namespace.
  static std::vector<std::string> ownerKeys(const kube::CachedObject& obj, const std::string& ownerGroup,
                                            const std::string& ownerKind);
};

}  // namespace fro::controller
