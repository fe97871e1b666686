// Solve: the scheduling core. A value snapshot of the cluster goes in — pending pods, NodePools,
// the instance types they may launch, existing nodes with their pods, in-flight NodeClaims and
// DaemonSets — and a plan comes out: which pods go to existing capacity, which NodeClaims to create
// (with their instance-type options, the launch choice and its price), and why the rest cannot be
// scheduled, in Karpenter's words.
//
// Semantics follow Karpenter's provisioner (see docs/solver.md): pods ordered by cpu then memory
// descending; each pod tried on existing nodes, then on NodeClaims created earlier in this run
// (emptiest first), then on a new NodeClaim from each NodePool in weight order; a NodeClaim keeps
// every instance type that still fits all its pods; NodePool limits are respected pessimistically.
// Topology spread, pod (anti-)affinity (solver/topology.h), preferences relaxed in Karpenter's
// order, host ports, volume zones and attach limits all constrain the placement.
//
// Solve is pure: no clients, no clock, no randomness; the same snapshot gives the same plan. It is
// safe to call concurrently on different (or the same, const) snapshots.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "joinery/api/types.h"
#include "joinery/cloudprovider/instance_type.h"
#include "joinery/common/quantity.h"

namespace joinery::solver {

enum class PreferencePolicy { kRespect, kIgnore };
enum class MinValuesPolicy { kStrict, kBestEffort };

struct Options {
  // Instance-type options kept per NodeClaim, cheapest first (Karpenter's MaxInstanceTypes).
  int max_instance_types = 600;
  PreferencePolicy preference_policy = PreferencePolicy::kRespect;
  MinValuesPolicy min_values_policy = MinValuesPolicy::kStrict;
};

struct ExistingNode {
  api::Node node;
  std::vector<api::Pod> pods;  // pods bound to the node (including DaemonSet pods)
  // Karpenter tries initialized nodes before uninitialized ones.
  bool initialized = true;
  // Being deleted (its NodeClaim is, or the Node is when no NodeClaim manages it): takes no pods,
  // and the pods it must give up are among the pods to place (snapshot/builder.h).
  bool marked_for_deletion = false;
};

// What the solver derives from an instance-type list alone (requirements, offerings as bitmasks,
// name order). Solve builds it when the snapshot does not bring one; a caller that solves many
// snapshots against one list (the controller between catalog refreshes, the benchmark) can build
// it once with PrepareInstanceTypes. Immutable; safe to share across threads.
class PreparedInstanceTypes;
std::shared_ptr<const PreparedInstanceTypes> PrepareInstanceTypes(
    std::shared_ptr<const cloudprovider::InstanceTypes> types);

struct Snapshot {
  std::vector<api::Pod> pods;  // pending pods to place
  std::vector<api::NodePool> node_pools;
  // Instance types every NodePool may launch (the provider's catalog for its node class).
  std::shared_ptr<const cloudprovider::InstanceTypes> instance_types;
  // Optional: PrepareInstanceTypes(instance_types); ignored unless built from that same list.
  std::shared_ptr<const PreparedInstanceTypes> prepared;
  std::vector<ExistingNode> nodes;
  // NodeClaims launched or launching whose Node has not registered yet; they take pods like nodes.
  std::vector<api::NodeClaim> node_claims;
  std::vector<api::DaemonSet> daemon_sets;
  // Storage objects, for volume topology and attach limits (scheduling/volumes.h): the claims of
  // the pods above and of the existing nodes' pods, their volumes and classes, and the CSINodes of
  // existing nodes (metadata.name = node name).
  std::vector<api::PersistentVolumeClaim> persistent_volume_claims;
  std::vector<api::PersistentVolume> persistent_volumes;
  std::vector<api::StorageClass> storage_classes;
  std::vector<api::CSINode> csi_nodes;
  Options options;
};

struct LaunchChoice {
  std::string instance_type;
  std::string zone;
  std::string capacity_type;
  double price = 0;  // USD per hour
  bool price_simulated = false;
};

struct PlannedNodeClaim {
  std::string name;  // <nodepool>-<5 chars>, deterministic
  std::string node_pool;
  api::NodeClassReference node_class_ref;
  // Final requirements: template ∩ pods, instance types narrowed to the options, capacity types
  // narrowed to those offered.
  std::vector<api::NodeSelectorRequirement> requirements;
  std::vector<std::string> instance_type_options;  // cheapest first, at most max_instance_types
  LaunchChoice launch;
  api::StringMap labels;  // NodeClaim labels plus the launched instance's well-known labels
  std::vector<api::Taint> taints;
  std::vector<api::Taint> startup_taints;
  std::vector<std::string> pods;  // "namespace/name", in placement order
  ResourceList requests;          // pods + DaemonSet overhead (spec.resources.requests)
  ResourceList capacity;          // of the launched instance type
  ResourceList allocatable;       // of the launched instance type
  bool min_values_relaxed = false;
};

struct ExistingNodePlacement {
  std::string name;
  bool is_node_claim = false;     // an in-flight NodeClaim rather than a registered Node
  std::vector<std::string> pods;  // newly placed pods, "namespace/name"
};

struct UnschedulablePod {
  std::string pod;  // "namespace/name"
  std::string reason;
};

struct Plan {
  std::vector<PlannedNodeClaim> node_claims;
  std::vector<ExistingNodePlacement> existing_nodes;  // only nodes that receive pods
  std::vector<UnschedulablePod> unschedulable;
  double cost_per_hour = 0;  // sum of the launch choices' prices
};

// Computes the plan. Errors only for an unusable snapshot (no instance-type list).
absl::StatusOr<Plan> Solve(const Snapshot& snapshot);

}  // namespace joinery::solver
