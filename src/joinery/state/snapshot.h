// Turning the live cluster view into the solver's input, with Karpenter's rules for which pods are
// provisionable and how not-yet-initialized nodes are seen.
//
// Thread-safe: pure functions over the values passed in (Cluster reads are themselves safe).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "joinery/api/types.h"
#include "joinery/cloudprovider/instance_type.h"
#include "joinery/solver/solver.h"
#include "joinery/state/cluster.h"

namespace joinery::state {

// Karpenter's IsProvisionable: not bound to a node, marked PodScheduled=False/Unschedulable by
// kube-scheduler, not terminating or terminal, not owned by a DaemonSet, not a mirror pod.
bool IsProvisionable(const api::Pod& pod);
// Terminal (Succeeded/Failed) pods hold no resources on their node.
bool IsTerminal(const api::Pod& pod);
bool IsOwnedByDaemonSet(const api::Pod& pod);

// Taints that are expected to go away on their own while a node starts up (Karpenter ignores
// them for scheduling until the node is initialized).
bool IsEphemeralTaint(const api::Taint& t);

// The Node as the scheduler should see it: before initialization, ephemeral taints and the
// NodeClaim's startup taints are dropped, and resources the Node has not published yet are taken
// from the NodeClaim's status.
api::Node SchedulingView(const api::Node& node, const api::NodeClaim* claim, bool initialized);

struct SnapshotInputs {
  std::vector<api::Pod> pending;       // the pods to place
  std::vector<api::NodePool> node_pools;  // usable pools (validated, node class ready)
  std::shared_ptr<const cloudprovider::InstanceTypes> instance_types;
  // Optional: solver::PrepareInstanceTypes(instance_types), kept by a caller that solves again and
  // again against one list (the provisioner, while its provider returns the same list).
  std::shared_ptr<const solver::PreparedInstanceTypes> prepared;
  solver::Options options;
};

// Existing nodes (with their bound, non-terminal pods), in-flight NodeClaims (no registered Node
// yet), DaemonSets and the storage objects (PersistentVolumeClaims, PersistentVolumes,
// StorageClasses, CSINodes) from the cluster view, plus `in`.
solver::Snapshot BuildSnapshot(const Cluster& cluster, SnapshotInputs in);

}  // namespace joinery::state
