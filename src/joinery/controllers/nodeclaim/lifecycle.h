// nodeclaim.lifecycle: takes a NodeClaim from creation to a Ready node, and back to nothing.
//
// Reconcile(name), in Karpenter's order:
//  - finalizer: adds karpenter.sh/termination so that deletion waits for the instance to go;
//  - launch: only when a quorum read shows no providerID yet; CloudProvider::Create (idempotent per
//    NodeClaim in the provider; the result is also cached by uid so a failed status write cannot
//    launch twice); resolved labels, providerID, imageID, capacity and allocatable are written back
//    and Launched=True. Every NodeClaim write is conditional on the resourceVersion the reconcile
//    started from (a stale writer gets Conflict and looks again); when the status write of a launch
//    finds the NodeClaim recording another instance, this launch's instance is terminated as a
//    duplicate. Insufficient capacity or a node class that is not ready deletes the NodeClaim (its
//    pods go back to pending and the next scheduling pass avoids the offering); other errors set
//    Launched=Unknown/LaunchFailed and retry with backoff (1 s doubling to 1 min), never past the
//    launch timeout;
//  - registration: when a Node with the providerID joins, the NodeClaim's labels, annotations,
//    taints and startup taints are synced onto it, the karpenter.sh/unregistered taint is removed,
//    the Node gets the termination finalizer, an owner reference to the NodeClaim and the label
//    karpenter.sh/registered=true; Registered=True and status.nodeName are set;
//  - initialization: Node Ready, startup and ephemeral taints gone, and every extended resource the
//    NodeClaim requests allocatable on the Node → label karpenter.sh/initialized=true and
//    Initialized=True; Ready = Launched ∧ Registered ∧ Initialized;
//  - liveness: not launched within launch_timeout (5 min) or not registered within
//    registration_timeout (15 min) after launch → the NodeClaim is deleted;
//  - deletion: the Node is deleted (the termination controller drains it), then the instance is
//    terminated through the cloud provider until it reports NotFound, then the finalizer goes.
// Thread-safety: see reconciler.h; the launch cache is mutex-guarded.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "joinery/cloudprovider/cloud_provider.h"
#include "joinery/common/clock.h"
#include "joinery/controllers/reconciler.h"
#include "joinery/kube/client.h"
#include "joinery/kube/events.h"
#include "joinery/state/cluster.h"

namespace joinery::op {
class Metrics;
}

namespace joinery::controllers {

inline constexpr char kTerminationFinalizer[] = "karpenter.sh/termination";

struct LifecycleOptions {
  absl::Duration launch_timeout = absl::Minutes(5);
  absl::Duration registration_timeout = absl::Minutes(15);
};

class NodeClaimLifecycle final : public Reconciler {
 public:
  NodeClaimLifecycle(state::Cluster& cluster, kube::Client& client,
                     cloudprovider::CloudProvider& cloud, kube::EventSink& events,
                     op::Metrics* metrics, Clock& clock, LifecycleOptions options = {});
  std::string_view Name() const override { return "nodeclaim.lifecycle"; }
  absl::StatusOr<Result> Reconcile(std::string_view key) override;

 private:
  absl::StatusOr<Result> Finalize(const api::NodeClaim& nc);
  // *cloud_failed: the error came from the cloud provider's Create (not from an API write).
  absl::Status Launch(api::NodeClaim& nc, bool* deleted, bool* cloud_failed);
  absl::Status Register(api::NodeClaim& nc, const api::Node& node);
  // A Registered NodeClaim's Node that carries karpenter.sh/unregistered again gets it removed.
  static bool HasUnregisteredTaint(const api::Node& node);
  absl::Status RemoveUnregisteredTaint(const api::NodeClaim& nc, const api::Node& node);
  void Initialize(api::NodeClaim& nc, const api::Node& node);
  absl::Status DeleteNodeClaim(const api::NodeClaim& nc, std::string_view reason);
  // NodeClaim writes conditional on nc.metadata.resource_version (kAborted on Conflict), which
  // they advance on success.
  absl::Status WriteStatus(api::NodeClaim& nc);
  absl::Status PatchMetadata(api::NodeClaim& nc, kube::Json metadata);
  absl::Status ResolveLaunchConflict(const api::NodeClaim& nc, const api::NodeClaim& hydrated);
  absl::Duration NextLaunchBackoff(const std::string& uid);
  void ForgetLaunchBackoff(const std::string& uid);

  state::Cluster& cluster_;
  kube::Client& client_;
  cloudprovider::CloudProvider& cloud_;
  kube::EventSink& events_;
  op::Metrics* metrics_;
  Clock& clock_;
  LifecycleOptions options_;
  std::mutex mu_;
  std::map<std::string, api::NodeClaim> launched_;  // by NodeClaim uid
  std::map<std::string, int> launch_failures_;      // by NodeClaim uid: failed launches in a row
};

kube::ObjectRef NodeClaimRef(const api::NodeClaim& nc);

}  // namespace joinery::controllers
