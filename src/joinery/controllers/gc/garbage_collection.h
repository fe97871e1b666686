// Garbage collection between the cloud and the cluster (a periodic singleton; key "gc").
//
// - Instances whose providerID no NodeClaim records, older than `instance_grace` (30 s), are
//   terminated (Karpenter's AWS nodeclaim.garbagecollection): launched for a NodeClaim that no
//   longer exists, or a duplicate launched for one that records another instance (e.g. by a
//   deposed leader). An instance whose NodeClaim exists and records no instance yet is a launch in
//   progress and is left alone.
// - Nodes labelled karpenter.sh/nodepool whose providerID no NodeClaim records and whose instance
//   the provider reports gone (Get: NotFound), older than the grace period, are deleted.
// - Registered NodeClaims whose instance the provider no longer lists are deleted (Karpenter's
//   core nodeclaim.garbagecollection), so their pods are re-planned, unless their Node is still
//   Ready (its kubelet runs).
// Runs every 10 s for its first 20 passes, then every `interval` (2 min by default). Thread-safety: see reconciler.h.
#pragma once

#include "joinery/cloudprovider/cloud_provider.h"
#include "joinery/common/clock.h"
#include "joinery/controllers/reconciler.h"
#include "joinery/kube/client.h"
#include "joinery/state/cluster.h"

namespace joinery::controllers {

struct GarbageCollectionOptions {
  absl::Duration interval = absl::Minutes(2);
  absl::Duration instance_grace = absl::Seconds(30);
};

class GarbageCollection final : public Reconciler {
 public:
  GarbageCollection(state::Cluster& cluster, kube::Client& client,
                    cloudprovider::CloudProvider& cloud, Clock& clock,
                    GarbageCollectionOptions options = {});
  std::string_view Name() const override { return "nodeclaim.garbagecollection"; }
  absl::StatusOr<Result> Reconcile(std::string_view key) override;

 private:
  state::Cluster& cluster_;
  kube::Client& client_;
  cloudprovider::CloudProvider& cloud_;
  Clock& clock_;
  GarbageCollectionOptions options_;
  static constexpr int kFastPasses = 20;
  static constexpr absl::Duration kFastInterval = absl::Seconds(10);
  int passes_ = 0;  // one worker: no lock needed
};

}  // namespace joinery::controllers
