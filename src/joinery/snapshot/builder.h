// The one way to turn cluster objects into the solver's Snapshot. The controller feeds it from its
// informer caches (state/snapshot.h) and `joinery simulate` from manifests (simulate/simulate.h),
// so that a preview sees existing capacity exactly as the controller does: which Nodes belong to
// which NodeClaims, whether a node is initialized, which of its taints count, what it can still
// hold, which NodeClaims are still in flight, and which pods run where.
//
// The node rules are Karpenter's cluster-state rules (its StateNode):
// - A Node is managed when a NodeClaim matches it (same providerID, or the NodeClaim's
//   status.nodeName); a NodeClaim without a Node is in flight.
// - A managed Node is registered / initialized once it carries karpenter.sh/registered /
//   karpenter.sh/initialized = "true" (Joinery's lifecycle controller sets both, as Karpenter's
//   does); a Node no NodeClaim matches is both.
// - Until it registers, a managed node is seen through its NodeClaim's labels and taints.
// - Until it initializes, the known ephemeral taints (node.kubernetes.io/not-ready, unreachable,
//   node.cloudprovider.kubernetes.io/uninitialized, karpenter.sh/unregistered, readiness.k8s.io/*)
//   and the NodeClaim's startup taints are ignored, and resources the Node reports as zero or not
//   at all are taken from the NodeClaim's status (device plugins publish extended resources late).
// - Pods bound to a Node (spec.nodeName) run there unless they have finished. A pod both given as
//   pending and bound (the caller read it before its binding) counts as bound only.
// - A node is being deleted when its NodeClaim has a deletionTimestamp or InstanceTerminating=True,
//   or, with no NodeClaim, when the Node has a deletionTimestamp. It takes no pods, and its pods
//   that will need a new home are placed again along with the pending ones (after them), as
//   Karpenter provisions ahead for them: pods that are active (or a StatefulSet's and
//   terminating), not a DaemonSet's or a static pod, not under an active
//   karpenter.sh/do-not-disrupt annotation and not held by a fully blocking PodDisruptionBudget
//   (maxUnavailable 0 or "0%", minAvailable "100%", or more than one budget on the pod).
//   (Without a clock, a duration-valued do-not-disrupt annotation counts as active.)
// - An in-flight NodeClaim that cannot launch, whose Launched condition is False (e.g.
//   NodePoolNotFound) or Unknown with reason LaunchFailed (the cloud provider's Create keeps
//   failing), is not capacity: the lifecycle controller retries it until the launch timeout, but
//   no pod is promised to it, so pending pods are planned onto new capacity instead. (Karpenter
//   deletes a NodeClaim whose launch fails for want of capacity, so its cluster state never counts
//   one.) No pod is bound to it, so none is placed again.
// - A DaemonSet is weighed by its newest running pod when it has one (with the template's
//   required node affinity, which the DaemonSet controller rewrites on each pod), else by its
//   template, as Karpenter does.
//
// Thread-safe: pure functions over the values passed in.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "joinery/api/types.h"
#include "joinery/cloudprovider/instance_type.h"
#include "joinery/solver/solver.h"

namespace joinery::snapshot {

// Terminal (Succeeded/Failed) pods hold no resources on their node.
bool IsTerminal(const api::Pod& pod);
bool IsOwnedByDaemonSet(const api::Pod& pod);
// Karpenter's IsProvisionable: not bound to a node, marked PodScheduled=False/Unschedulable by
// kube-scheduler, not terminating or terminal, not owned by a DaemonSet, not a mirror pod.
bool IsProvisionable(const api::Pod& pod);
// Taints expected to go away on their own while a node starts up (Karpenter's known ephemeral
// taints), ignored for scheduling until the node is initialized.
bool IsEphemeralTaint(const api::Taint& t);

// The cluster's objects, borrowed for the duration of Build. Objects that failed to decode are
// simply not listed.
struct Objects {
  std::vector<const api::Node*> nodes;
  std::vector<const api::NodeClaim*> node_claims;
  // Pods bound to nodes; unbound ones are ignored here (the caller chooses what is pending).
  std::vector<const api::Pod*> bound_pods;
  std::vector<const api::DaemonSet*> daemon_sets;
  // Pods DaemonSets created, bound or not (a DaemonSet is weighed by its newest one). Bound ones
  // may appear in bound_pods too.
  std::vector<const api::Pod*> daemon_set_pods;
  std::vector<const api::PersistentVolumeClaim*> persistent_volume_claims;
  std::vector<const api::PersistentVolume*> persistent_volumes;
  std::vector<const api::StorageClass*> storage_classes;
  std::vector<const api::CSINode*> csi_nodes;
  std::vector<const api::PodDisruptionBudget*> pod_disruption_budgets;
};

struct Inputs {
  std::vector<api::Pod> pending;          // the pods to place
  std::vector<api::NodePool> node_pools;  // the pools that may launch
  std::shared_ptr<const cloudprovider::InstanceTypes> instance_types;
  // Optional: solver::PrepareInstanceTypes(instance_types), for callers that solve repeatedly.
  std::shared_ptr<const solver::PreparedInstanceTypes> prepared;
  solver::Options options;
};

// How the scheduler sees a Node and (optionally) the NodeClaim that manages it, by the rules
// above; `initialized` is filled for ExistingNode.
solver::ExistingNode NodeView(const api::Node& node, const api::NodeClaim* claim);

// Whether a pod on a node being deleted must be placed again (the rules above).
bool IsCurrentlyReschedulable(const api::Pod& pod,
                              const std::vector<const api::PodDisruptionBudget*>& budgets);

// Whether an in-flight NodeClaim cannot launch (the rule above): Launched=False, or
// Launched=Unknown with reason LaunchFailed.
bool CannotLaunch(const api::NodeClaim& claim);

// How the scheduler sees an in-flight NodeClaim (no Node yet): its taints without the ephemeral
// and startup ones.
api::NodeClaim InFlightView(const api::NodeClaim& claim);

// The snapshot: `in` plus existing nodes (with their running pods), in-flight NodeClaims (not
// deleting, not failing to launch), DaemonSets and the storage objects. Bound pods whose Node is
// not among the objects are left out, each with a line in `warnings` when it is not null.
solver::Snapshot Build(const Objects& objects, Inputs in, std::vector<std::string>* warnings);

}  // namespace joinery::snapshot
