#include "joinery/state/snapshot.h"

#include <algorithm>

#include "joinery/api/labels.h"

namespace joinery::state {

bool IsTerminal(const api::Pod& pod) {
  return pod.status.phase == "Succeeded" || pod.status.phase == "Failed";
}

bool IsOwnedByDaemonSet(const api::Pod& pod) {
  for (const auto& o : pod.metadata.owner_references) {
    if (o.kind == "DaemonSet") return true;
  }
  return false;
}

bool IsProvisionable(const api::Pod& pod) {
  if (!pod.spec.node_name.empty() || pod.metadata.deletion_timestamp.has_value()) return false;
  if (IsTerminal(pod) || IsOwnedByDaemonSet(pod)) return false;
  if (pod.metadata.annotations.count("kubernetes.io/config.mirror")) return false;
  for (const auto& c : pod.status.conditions) {
    if (c.type == "PodScheduled" && c.status == "False" && c.reason == "Unschedulable") return true;
  }
  return false;
}

bool IsEphemeralTaint(const api::Taint& t) {
  static const char* const kKeys[] = {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
                                      "node.cloudprovider.kubernetes.io/uninitialized",
                                      "karpenter.sh/unregistered"};
  for (const char* k : kKeys) {
    if (t.key == k) return true;
  }
  return t.key.rfind("readiness.k8s.io/", 0) == 0;
}

api::Node SchedulingView(const api::Node& node, const api::NodeClaim* claim, bool initialized) {
  api::Node view = node;
  if (initialized) return view;
  std::erase_if(view.taints, [&](const api::Taint& t) {
    if (IsEphemeralTaint(t)) return true;
    if (claim == nullptr) return false;
    return std::any_of(claim->spec.startup_taints.begin(), claim->spec.startup_taints.end(),
                       [&](const api::Taint& s) { return s.key == t.key && s.effect == t.effect; });
  });
  if (claim != nullptr) {
    // Device plugins publish extended resources after the Node registers: count on what the
    // instance type promises until then.
    for (const auto& [name, q] : claim->status.allocatable) {
      auto it = view.allocatable.find(name);
      if (it == view.allocatable.end() || it->second.IsZero()) view.allocatable[name] = q;
    }
    for (const auto& [name, q] : claim->status.capacity) {
      auto it = view.capacity.find(name);
      if (it == view.capacity.end() || it->second.IsZero()) view.capacity[name] = q;
    }
    // Labels the NodeClaim carries (the NodePool's) count before registration syncs them.
    for (const auto& [k, v] : claim->metadata.labels) view.metadata.labels.emplace(k, v);
  }
  return view;
}

namespace {
bool ConditionTrue(const std::vector<api::Condition>& cs, std::string_view type) {
  return std::any_of(cs.begin(), cs.end(),
                     [&](const api::Condition& c) { return c.type == type && c.status == "True"; });
}
}  // namespace

solver::Snapshot BuildSnapshot(const Cluster& cluster, SnapshotInputs in) {
  solver::Snapshot snap;
  snap.pods = std::move(in.pending);
  snap.node_pools = std::move(in.node_pools);
  snap.instance_types = std::move(in.instance_types);
  snap.prepared = std::move(in.prepared);
  snap.options = in.options;

  std::set<std::string> registered_ids;
  for (const auto& n : cluster.Nodes()) {
    if (!n.typed) continue;
    const api::Node& node = *n.typed;
    std::shared_ptr<const api::NodeClaim> claim;
    if (!node.provider_id.empty()) {
      if (auto c = cluster.NodeClaimByProviderID(node.provider_id); c && c->typed) {
        claim = c->typed;
        registered_ids.insert(node.provider_id);
      }
    }
    bool initialized = claim == nullptr || ConditionTrue(claim->status.conditions, "Initialized");
    solver::ExistingNode en;
    en.node = SchedulingView(node, claim.get(), initialized);
    en.initialized = initialized;
    for (const auto& p : cluster.PodsOnNode(node.metadata.name)) {
      if (!p.typed || IsTerminal(*p.typed)) continue;
      en.pods.push_back(*p.typed);
    }
    snap.nodes.push_back(std::move(en));
  }
  for (const auto& c : cluster.NodeClaims()) {
    if (!c.typed || c.typed->metadata.deletion_timestamp.has_value()) continue;
    const std::string& id = c.typed->status.provider_id;
    if (!id.empty() && registered_ids.count(id)) continue;  // seen as its Node
    snap.node_claims.push_back(*c.typed);
  }
  for (const auto& d : cluster.DaemonSets()) {
    if (d.typed) snap.daemon_sets.push_back(*d.typed);
  }
  // Storage objects whole: claims are few next to pods, and the volume index looks them up by
  // name. Objects that did not decode are left out (their pods then fail to find them).
  for (const auto& c : cluster.PersistentVolumeClaims()) {
    if (c.typed) snap.persistent_volume_claims.push_back(*c.typed);
  }
  for (const auto& v : cluster.PersistentVolumes()) {
    if (v.typed) snap.persistent_volumes.push_back(*v.typed);
  }
  for (const auto& sc : cluster.StorageClasses()) {
    if (sc.typed) snap.storage_classes.push_back(*sc.typed);
  }
  for (const auto& n : cluster.CSINodes()) {
    if (n.typed) snap.csi_nodes.push_back(*n.typed);
  }
  return snap;
}

}  // namespace joinery::state
