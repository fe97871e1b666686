#include "joinery/state/snapshot.h"

#include <memory>
#include <vector>

namespace joinery::state {
namespace {

// Keeps the cache entries alive while the builder reads through their pointers, and lists the
// decoded ones.
template <typename T>
void Collect(const std::vector<Entry<T>>& entries, std::vector<std::shared_ptr<const T>>& keep,
             std::vector<const T*>& out) {
  out.reserve(out.size() + entries.size());
  for (const auto& e : entries) {
    if (!e.typed) continue;
    keep.push_back(e.typed);
    out.push_back(e.typed.get());
  }
}

}  // namespace

solver::Snapshot BuildSnapshot(const Cluster& cluster, SnapshotInputs in) {
  snapshot::Objects objects;
  std::vector<std::shared_ptr<const api::Node>> nodes;
  std::vector<std::shared_ptr<const api::NodeClaim>> claims;
  std::vector<std::shared_ptr<const api::Pod>> pods;
  std::vector<std::shared_ptr<const api::DaemonSet>> daemon_sets;
  std::vector<std::shared_ptr<const api::PersistentVolumeClaim>> pvcs;
  std::vector<std::shared_ptr<const api::PersistentVolume>> pvs;
  std::vector<std::shared_ptr<const api::StorageClass>> classes;
  std::vector<std::shared_ptr<const api::CSINode>> csi_nodes;
  std::vector<std::shared_ptr<const api::PodDisruptionBudget>> pdbs;
  Collect(cluster.Nodes(), nodes, objects.nodes);
  Collect(cluster.NodeClaims(), claims, objects.node_claims);
  Collect(cluster.DaemonSets(), daemon_sets, objects.daemon_sets);
  // One pass over the pods: the bound ones (the builder places them on their nodes) and the
  // DaemonSets' (bound or not; a DaemonSet is weighed by its newest pod).
  for (const auto& e : cluster.Pods()) {
    if (!e.typed) continue;
    const bool bound = !e.typed->spec.node_name.empty();
    const bool daemon = !objects.daemon_sets.empty() && snapshot::IsOwnedByDaemonSet(*e.typed);
    if (!bound && !daemon) continue;
    pods.push_back(e.typed);
    if (bound) objects.bound_pods.push_back(e.typed.get());
    if (daemon) objects.daemon_set_pods.push_back(e.typed.get());
  }
  Collect(cluster.PersistentVolumeClaims(), pvcs, objects.persistent_volume_claims);
  Collect(cluster.PersistentVolumes(), pvs, objects.persistent_volumes);
  Collect(cluster.StorageClasses(), classes, objects.storage_classes);
  Collect(cluster.CSINodes(), csi_nodes, objects.csi_nodes);
  Collect(cluster.PodDisruptionBudgets(), pdbs, objects.pod_disruption_budgets);
  return snapshot::Build(objects, std::move(in), /*warnings=*/nullptr);
}

}  // namespace joinery::state
