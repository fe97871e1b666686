// Typed objects <-> the JSON the Kubernetes API server reads and writes.
//
// Reading: XFromJson() takes an object as the API server returns it (a GET, a list item or a watch
// event's object) and yields the typed value with the same fields, error messages and semantics as
// the manifest decoder (decode.h), then applies the same defaults as ApplyDefaults() (defaults.h).
// It does not validate: callers run validate.h themselves so that problems become status conditions
// rather than read errors. Fields Joinery does not model (managedFields, status.containerStatuses,
// ...) are ignored. List items from the API server carry no kind/apiVersion; both are then taken to
// be the expected ones. A different kind is an InvalidArgument error; errors name the object and
// the field path ("Pod/default/web: spec.priority: must be an integer, got \"high\""). JSON strings
// are strings: "5" where an integer belongs is an error, as a quoted "5" is in YAML. Pods, Nodes,
// DaemonSets, PDBs and the storage kinds (PersistentVolumeClaim, PersistentVolume, StorageClass,
// CSINode) are read by direct decoders (a few hundred microseconds per pod in the
// sanitizer build); the Karpenter kinds go through the manifest decoder itself (see internal::
// DecodeJsonViaYaml below).
//
// Writing: ToJson() produces what Joinery sends: NodeClaims it creates and whose status it updates,
// and Nodes (the simulated kubelet registers them). Quantities print in canonical form ("500m",
// "16Gi"), durations as written ("720h", "Never"), empty optional fields are left out. Server-set
// metadata (uid, resourceVersion, creationTimestamp, generation, deletionTimestamp) is written when
// set, so that an update carries the resourceVersion it read.
//
// Thread-safe: pure functions.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "joinery/api/types.h"
#include "nlohmann/json.hpp"

namespace joinery::api {

// ---- Reading ----

absl::StatusOr<NodePool> NodePoolFromJson(const nlohmann::json& j);
absl::StatusOr<NodeClaim> NodeClaimFromJson(const nlohmann::json& j);
absl::StatusOr<EC2NodeClass> EC2NodeClassFromJson(const nlohmann::json& j);
absl::StatusOr<Pod> PodFromJson(const nlohmann::json& j);
absl::StatusOr<Node> NodeFromJson(const nlohmann::json& j);
absl::StatusOr<DaemonSet> DaemonSetFromJson(const nlohmann::json& j);
absl::StatusOr<PodDisruptionBudget> PodDisruptionBudgetFromJson(const nlohmann::json& j);
absl::StatusOr<PersistentVolumeClaim> PersistentVolumeClaimFromJson(const nlohmann::json& j);
absl::StatusOr<PersistentVolume> PersistentVolumeFromJson(const nlohmann::json& j);
absl::StatusOr<StorageClass> StorageClassFromJson(const nlohmann::json& j);
absl::StatusOr<CSINode> CSINodeFromJson(const nlohmann::json& j);

// ---- Writing ----

// apiVersion karpenter.sh/v1, kind NodeClaim, metadata, spec and (when any field is set) status.
// Owner references are written with blockOwnerDeletion: true, as Karpenter writes the NodePool
// owner reference of its NodeClaims (OwnerReference has no field for it).
nlohmann::json ToJson(const NodeClaim& nc);
// apiVersion v1, kind Node, metadata, spec (providerID, taints, unschedulable), status (capacity,
// allocatable, conditions).
nlohmann::json ToJson(const Node& node);

// Building blocks, for status updates and patches.
nlohmann::json MetadataToJson(const ObjectMeta& meta);
// [{type, status, reason?, message?, lastTransitionTime?, observedGeneration?}]: empty strings and
// a zero observedGeneration are left out (Karpenter's CRDs reject an empty reason).
nlohmann::json ConditionsToJson(const std::vector<Condition>& conditions);
// {"cpu": "500m", "memory": "16Gi"}.
nlohmann::json ResourceListToJson(const ResourceList& resources);
// [{key, value?, effect}].
nlohmann::json TaintsToJson(const std::vector<Taint>& taints);
// [{key, operator, values?, minValues?}].
nlohmann::json RequirementsToJson(const std::vector<NodeSelectorRequirement>& requirements);

namespace internal {
// The general route for any kind read here: JSON → YAML node tree → the manifest decoder
// (decode.cc), then defaults. NodePool, NodeClaim and EC2NodeClass are read this way; Pod, Node,
// DaemonSet, PodDisruptionBudget and the storage kinds have direct decoders (a yaml-cpp tree
// costs milliseconds per object in a sanitizer build), which tests compare against this route.
absl::StatusOr<Manifests> DecodeJsonViaYaml(const nlohmann::json& j, std::string_view kind);
}  // namespace internal

}  // namespace joinery::api
