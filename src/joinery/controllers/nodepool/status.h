// nodepool.status: what `kubectl get nodepool` shows, kept true.
//
// Reconcile(name) computes, from the cluster view: conditions ValidationSucceeded (runtime
// validation of the spec, with the validation error as the message), NodeClassReady (mirrors the
// node class's Ready condition; NodeClassNotFound / NodeClassTerminating / NodeClassReadinessUnknown
// otherwise) and the root Ready (both True); status.resources (the summed capacity of the pool's
// NodeClaims, their Node's when registered, plus `nodes`) and status.nodes (how many). It also
// keeps the karpenter.sh/nodepool-hash annotation current. Writes only when something changed.
// Thread-safety: see reconciler.h.
#pragma once

#include "joinery/common/clock.h"
#include "joinery/controllers/reconciler.h"
#include "joinery/kube/client.h"
#include "joinery/state/cluster.h"

namespace joinery::op {
class Metrics;
}

namespace joinery::controllers {

class NodePoolStatus final : public Reconciler {
 public:
  NodePoolStatus(state::Cluster& cluster, kube::Client& client, op::Metrics* metrics,
                 Clock& clock);
  std::string_view Name() const override { return "nodepool.status"; }
  absl::StatusOr<Result> Reconcile(std::string_view key) override;

 private:
  state::Cluster& cluster_;
  kube::Client& client_;
  op::Metrics* metrics_;
  Clock& clock_;
};

}  // namespace joinery::controllers
