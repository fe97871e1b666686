// Validation of Karpenter and Kubernetes objects with the rules the upstream CRDs (OpenAPI + CEL)
// and API server enforce, so that Joinery refuses what `kubectl apply` against Karpenter would
// refuse, with the same wording where upstream has one. Thread-safe: pure functions.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "joinery/api/types.h"

namespace joinery::api {

// Validates one requirement as a NodePool (or, with for_node_claim, a NodeClaim) requirement.
// `path` is the field path used in the message, e.g. "spec.template.spec.requirements[0]".
absl::Status ValidateRequirement(const NodeSelectorRequirement& r, std::string_view path,
                                 bool for_node_claim = false);

absl::Status ValidateNodePool(const NodePool& np);
absl::Status ValidateEC2NodeClass(const EC2NodeClass& nc);
absl::Status ValidateNodeClaim(const NodeClaim& nc);
absl::Status ValidatePod(const Pod& pod);
absl::Status ValidateNode(const Node& node);
absl::Status ValidatePersistentVolumeClaim(const PersistentVolumeClaim& c);
absl::Status ValidatePersistentVolume(const PersistentVolume& pv);
absl::Status ValidateStorageClass(const StorageClass& sc);
absl::Status ValidateCSINode(const CSINode& n);

// True when `value` is a valid Kubernetes label value (at most 63 characters of alphanumerics, '-',
// '_' and '.', starting and ending with an alphanumeric; or empty).
bool IsValidLabelValue(std::string_view value);

// Validates every object, plus cross-object rules (unique names per kind and namespace).
// Errors are prefixed with "<file>: <Kind>/<name>: ".
absl::Status ValidateManifests(const Manifests& m);

}  // namespace joinery::api
