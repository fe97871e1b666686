// Garbage collection between the cloud and the cluster (a periodic singleton; key "gc").
//
// - Instances without a NodeClaim (launched for a NodeClaim that no longer exists, e.g. a replica
//   died between launching and recording the launch), older than `instance_grace` (30 s), are
//   terminated (Karpenter's AWS nodeclaim.garbagecollection).
// - Registered NodeClaims whose instance the provider no longer lists are deleted (Karpenter's
//   core nodeclaim.garbagecollection), so their pods are re-planned.
// Runs every `interval` (2 min by default). Thread-safety: see reconciler.h.
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
};

}  // namespace joinery::controllers
