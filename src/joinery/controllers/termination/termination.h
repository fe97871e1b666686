// node.termination: drains a Node that is being deleted, then lets it go.
//
// For a Node with a deletionTimestamp and the karpenter.sh/termination finalizer: its NodeClaim is
// deleted too (so that deleting the Node with kubectl ends the instance); the Node is cordoned and
// tainted karpenter.sh/disrupted:NoSchedule; pods are evicted through the Eviction API in
// Karpenter's order (non-critical before critical, other pods before DaemonSet pods), a refusal
// (429: a PodDisruptionBudget) is retried; pods that tolerate the disrupted taint, mirror pods,
// terminal pods and pods stuck terminating for over a minute are not waited for. When drained, the
// instance is terminated through the cloud provider and the finalizer removed. A Node that is not
// Ready and whose instance the provider reports gone is let go at once (nothing left to drain).
// Thread-safety: see reconciler.h.
#pragma once

#include "joinery/cloudprovider/cloud_provider.h"
#include "joinery/common/clock.h"
#include "joinery/controllers/reconciler.h"
#include "joinery/kube/client.h"
#include "joinery/kube/events.h"
#include "joinery/state/cluster.h"

namespace joinery::controllers {

class NodeTermination final : public Reconciler {
 public:
  NodeTermination(state::Cluster& cluster, kube::Client& client,
                  cloudprovider::CloudProvider& cloud, kube::EventSink& events, Clock& clock);
  std::string_view Name() const override { return "node.termination"; }
  absl::StatusOr<Result> Reconcile(std::string_view key) override;

 private:
  absl::Status Evict(const api::Pod& pod);

  state::Cluster& cluster_;
  kube::Client& client_;
  cloudprovider::CloudProvider& cloud_;
  kube::EventSink& events_;
  Clock& clock_;
};

}  // namespace joinery::controllers
