// `joinery simulate`: turns manifests into a solver snapshot, runs Solve, and renders the plan as a
// kubectl-style table or as the stable JSON contract documented in the README.
//
// Workload pods are expanded the way their controllers would create them, named
// `<owner>-<ordinal>` in the owner's namespace. Pods with spec.nodeName run on that Node; all other
// pods (not owned by a DaemonSet, not finished) are pending. Thread-safe: pure functions.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "joinery/api/types.h"
#include "joinery/cloudprovider/catalog.h"
#include "joinery/solver/solver.h"

namespace joinery::simulate {

struct SimulateOptions {
  std::vector<std::string> paths;
  std::map<std::string, std::string, std::less<>> env;
  cloudprovider::CatalogOptions catalog;
  std::string instance_types_file;  // replaces the embedded catalog when set
  solver::Options solver;
};

struct Simulation {
  api::Manifests manifests;
  solver::Snapshot snapshot;
  solver::Plan plan;
  std::vector<std::string> warnings;  // e.g. a NodePool whose EC2NodeClass is not in the input
  double spot_discount = 0;
  bool any_spot = false;  // some launch choice uses a simulated spot price
};

// The most pods one simulation expands workloads into (about 1 GB of pod objects).
inline constexpr int64_t kMaxSimulatedPods = 1'000'000;

// InvalidArgument naming the workload at which the pods in `m` (bare pods plus replicas) would
// exceed kMaxSimulatedPods.
absl::Status CheckPodCount(const api::Manifests& m);

// Expands workloads into pods: Deployment/ReplicaSet/StatefulSet replicas, Job parallelism.
// A StatefulSet pod of ordinal i mounts, for each volumeClaimTemplate t, the claim
// `<t name>-<StatefulSet name>-<i>` as volume `<t name>` (replacing a template volume of that
// name), as the StatefulSet controller does.
std::vector<api::Pod> ExpandWorkloads(const api::Manifests& m);

// The PersistentVolumeClaims the StatefulSet controller would create for those pods, in
// StatefulSet, ordinal, template order: in the StatefulSet's namespace, with the template's
// metadata (its labels plus the selector's matchLabels, which win) and spec, status.phase Pending
// (unbound). A claim of that namespace and name already in m.persistent_volume_claims is left out:
// the controller reuses it.
std::vector<api::PersistentVolumeClaim> StatefulSetClaims(const api::Manifests& m);

// Builds the snapshot: pending pods, nodes with their bound pods, in-flight NodeClaims, DaemonSets,
// and the storage objects (PersistentVolumeClaims, PersistentVolumes, StorageClasses, CSINodes).
// The claims are the input ones followed by StatefulSetClaims(m).
solver::Snapshot BuildSnapshot(const api::Manifests& m,
                               std::shared_ptr<const cloudprovider::InstanceTypes> instance_types,
                               const solver::Options& options, std::vector<std::string>* warnings);

// Loads manifests and the catalog, then solves. InvalidArgument/NotFound for bad input.
absl::StatusOr<Simulation> Run(const SimulateOptions& options);

std::string RenderJson(const Simulation& sim);
std::string RenderTable(const Simulation& sim);

}  // namespace joinery::simulate
