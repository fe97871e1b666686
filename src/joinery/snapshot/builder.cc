#include "joinery/snapshot/builder.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string_view>

#include "joinery/api/conditions.h"
#include "joinery/api/labels.h"
#include "joinery/common/strings.h"
#include "joinery/scheduling/requirements.h"

namespace joinery::snapshot {

bool IsTerminal(const api::Pod& pod) {
  return pod.status.phase == "Succeeded" || pod.status.phase == "Failed";
}

namespace {

bool OwnedBy(const api::Pod& pod, std::string_view kind) {
  return std::any_of(pod.metadata.owner_references.begin(), pod.metadata.owner_references.end(),
                     [&](const api::OwnerReference& o) { return o.kind == kind; });
}

}  // namespace

bool IsOwnedByDaemonSet(const api::Pod& pod) { return OwnedBy(pod, "DaemonSet"); }

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
  // Karpenter's KnownEphemeralTaints, matched by key and effect, plus the readiness.k8s.io/
  // family (Node Readiness Controller rules) with any effect.
  struct Known {
    std::string_view key, effect;
  };
  static constexpr Known kKnown[] = {
      {"node.kubernetes.io/not-ready", "NoSchedule"},
      {"node.kubernetes.io/not-ready", "NoExecute"},
      {"node.kubernetes.io/unreachable", "NoSchedule"},
      {"node.cloudprovider.kubernetes.io/uninitialized", "NoSchedule"},
      {"karpenter.sh/unregistered", "NoExecute"},
  };
  for (const Known& k : kKnown) {
    if (t.key == k.key && t.effect == k.effect) return true;
  }
  return t.key.starts_with("readiness.k8s.io/");
}

namespace {

bool LabelTrue(const api::StringMap& labels, std::string_view key) {
  auto it = labels.find(key);
  return it != labels.end() && it->second == "true";
}

// Drops the taints an uninitialized managed node does not count: ephemeral ones and the
// NodeClaim's startup taints (same key and effect, as Kubernetes' Taint.MatchTaint compares).
void DropStartupTaints(std::vector<api::Taint>& taints, const api::NodeClaim& claim) {
  std::erase_if(taints, [&](const api::Taint& t) {
    if (IsEphemeralTaint(t)) return true;
    return std::any_of(claim.spec.startup_taints.begin(), claim.spec.startup_taints.end(),
                       [&](const api::Taint& s) { return s.key == t.key && s.effect == t.effect; });
  });
}

// Resources the Node reports as zero or not at all, from the NodeClaim's status.
void FillFromClaim(ResourceList& node, const ResourceList& claim) {
  for (const auto& [name, q] : claim) {
    auto it = node.find(name);
    if (it == node.end() || it->second.IsZero()) node[name] = q;
  }
}

std::string PodKey(const api::Pod& p) {
  return StrCat(p.metadata.NamespaceOrDefault(), "/", p.metadata.name);
}

// The DaemonSet as the scheduler should weigh it: its newest running pod when it has one (what
// the DaemonSet controller actually created: requests may differ from the template, e.g. after a
// VPA or a mutating webhook), with the template's required node affinity, which the DaemonSet
// controller replaces by a per-node hostname term on each pod (Karpenter's getDaemonSetPods).
api::DaemonSet EffectiveDaemonSet(const api::DaemonSet& ds, const std::vector<const api::Pod*>& pods) {
  const api::Pod* newest = nullptr;
  for (const api::Pod* p : pods) {
    if (p->metadata.NamespaceOrDefault() != ds.metadata.NamespaceOrDefault()) continue;
    bool controlled = std::any_of(
        p->metadata.owner_references.begin(), p->metadata.owner_references.end(),
        [&](const api::OwnerReference& o) {
          if (!o.controller || o.kind != "DaemonSet" || o.name != ds.metadata.name) return false;
          return ds.metadata.uid.empty() || o.uid.empty() || o.uid == ds.metadata.uid;
        });
    if (!controlled) continue;
    if (newest == nullptr || p->metadata.creation_timestamp > newest->metadata.creation_timestamp) {
      newest = p;
    }
  }
  api::DaemonSet out = ds;
  if (newest == nullptr) return out;
  out.template_.spec = newest->spec;
  out.template_.spec.node_name.clear();
  const auto& want = ds.template_.spec.affinity;
  if (want && want->node_affinity && want->node_affinity->required) {
    auto& aff = out.template_.spec.affinity;
    if (!aff) aff.emplace();
    if (!aff->node_affinity) aff->node_affinity.emplace();
    aff->node_affinity->required = want->node_affinity->required;
  }
  return out;
}

bool ConditionTrue(const std::vector<api::Condition>& conditions, std::string_view type) {
  return std::any_of(conditions.begin(), conditions.end(), [&](const api::Condition& c) {
    return c.type == type && c.status == "True";
  });
}

bool DoNotDisrupt(const api::Pod& pod) {
  auto it = pod.metadata.annotations.find(api::kAnnotationDoNotDisrupt);
  if (it == pod.metadata.annotations.end()) return false;
  if (it->second == "true") return true;
  // A duration: active while the pod is younger than it, which needs a clock; an invalid value
  // counts as absent (Karpenter records an event and ignores it).
  return !it->second.empty() && std::isdigit(static_cast<unsigned char>(it->second[0]));
}

bool ToleratesDisruptedTaint(const api::Pod& pod) {
  return std::any_of(pod.spec.tolerations.begin(), pod.spec.tolerations.end(),
                     [](const api::Toleration& t) {
                       bool key = t.key.empty() ? t.operator_ == "Exists" : t.key == api::kTaintDisrupted;
                       bool effect = t.effect.empty() || t.effect == "NoSchedule";
                       return key && effect;
                     });
}

bool FullyBlocking(const api::PodDisruptionBudget& b) {
  return b.max_unavailable == "0" || b.max_unavailable == "0%" || b.min_available == "100%";
}

// Karpenter's MarkedForDeletion, from the objects.
bool Deleting(const api::Node& node, const api::NodeClaim* claim) {
  if (claim != nullptr) {
    return claim->metadata.deletion_timestamp.has_value() ||
           ConditionTrue(claim->status.conditions, "InstanceTerminating");
  }
  return node.metadata.deletion_timestamp.has_value();
}

}  // namespace

bool CannotLaunch(const api::NodeClaim& claim) {
  const api::Condition* launched = api::FindCondition(claim.status.conditions, "Launched");
  if (launched == nullptr) return false;
  // False: it never will (its NodePool is gone, or no instance type can satisfy it). Unknown with
  // LaunchFailed is a transient failure (throttling, an outage) that the retry may clear: it still
  // counts, or every throttled launch would be planned twice.
  return launched->status == "False";
}

bool IsCurrentlyReschedulable(const api::Pod& pod,
                              const std::vector<const api::PodDisruptionBudget*>& budgets) {
  const bool terminating = pod.metadata.deletion_timestamp.has_value();
  const bool active = !IsTerminal(pod) && !terminating;
  if (!(active || (terminating && OwnedBy(pod, "StatefulSet")))) return false;
  if (IsOwnedByDaemonSet(pod) || OwnedBy(pod, "Node")) return false;
  if (active && DoNotDisrupt(pod)) return false;
  // Budgets only matter for pods Karpenter would evict.
  if (!active || ToleratesDisruptedTaint(pod)) return true;
  int matching = 0;
  bool blocking = false;
  for (const api::PodDisruptionBudget* b : budgets) {
    if (b->metadata.NamespaceOrDefault() != pod.metadata.NamespaceOrDefault()) continue;
    if (!b->selector || !scheduling::SelectorMatches(*b->selector, pod.metadata.labels)) continue;
    ++matching;
    blocking |= FullyBlocking(*b);
  }
  return matching <= 1 && !blocking;
}

solver::ExistingNode NodeView(const api::Node& node, const api::NodeClaim* claim) {
  solver::ExistingNode en;
  en.node = node;
  const bool registered = claim == nullptr || LabelTrue(node.metadata.labels, api::kLabelRegistered);
  en.initialized = claim == nullptr || LabelTrue(node.metadata.labels, api::kLabelInitialized);
  en.marked_for_deletion = Deleting(node, claim);
  if (claim == nullptr) return en;
  if (!registered) {
    // Not registered yet: the NodeClaim's labels and taints are what the node will have.
    en.node.metadata.labels = claim->metadata.labels;
    for (const auto& [k, v] : node.metadata.labels) en.node.metadata.labels.emplace(k, v);
    en.node.taints = claim->spec.taints;
  }
  if (!en.initialized) {
    DropStartupTaints(en.node.taints, *claim);
    FillFromClaim(en.node.allocatable, claim->status.allocatable);
    FillFromClaim(en.node.capacity, claim->status.capacity);
  }
  return en;
}

api::NodeClaim InFlightView(const api::NodeClaim& claim) {
  api::NodeClaim view = claim;
  DropStartupTaints(view.spec.taints, claim);
  return view;
}

solver::Snapshot Build(const Objects& objects, Inputs in, std::vector<std::string>* warnings) {
  solver::Snapshot snap;
  snap.pods = std::move(in.pending);
  snap.node_pools = std::move(in.node_pools);
  snap.instance_types = std::move(in.instance_types);
  snap.prepared = std::move(in.prepared);
  snap.options = in.options;

  // NodeClaims by providerID and by the Node they name, to find each Node's manager.
  std::map<std::string_view, const api::NodeClaim*, std::less<>> by_provider_id, by_node_name;
  for (const api::NodeClaim* c : objects.node_claims) {
    if (!c->status.provider_id.empty()) by_provider_id.emplace(c->status.provider_id, c);
    if (!c->status.node_name.empty()) by_node_name.emplace(c->status.node_name, c);
  }
  // Nodes and in-flight NodeClaims in name order, whatever order the caller lists them in (the
  // solver's tie-breaks and messages follow it).
  std::vector<const api::Node*> nodes = objects.nodes;
  std::sort(nodes.begin(), nodes.end(), [](const api::Node* a, const api::Node* b) {
    return a->metadata.name < b->metadata.name;
  });
  std::vector<const api::NodeClaim*> claims = objects.node_claims;
  std::sort(claims.begin(), claims.end(), [](const api::NodeClaim* a, const api::NodeClaim* b) {
    return a->metadata.name < b->metadata.name;
  });
  std::map<std::string_view, size_t, std::less<>> node_index;
  std::set<const api::NodeClaim*> matched;
  for (const api::Node* node : nodes) {
    const api::NodeClaim* claim = nullptr;
    if (auto it = by_provider_id.find(node->provider_id);
        !node->provider_id.empty() && it != by_provider_id.end()) {
      claim = it->second;
    } else if (auto n = by_node_name.find(node->metadata.name); n != by_node_name.end()) {
      claim = n->second;
    }
    if (claim != nullptr) matched.insert(claim);
    if (!node_index.emplace(node->metadata.name, snap.nodes.size()).second) continue;
    snap.nodes.push_back(NodeView(*node, claim));
  }
  for (const api::NodeClaim* c : claims) {
    if (matched.contains(c) || c->metadata.deletion_timestamp.has_value()) continue;
    // No pod is bound to a NodeClaim without a Node, so skipping one leaves no pod to place again.
    if (CannotLaunch(*c)) continue;
    snap.node_claims.push_back(InFlightView(*c));
  }
  std::vector<api::Pod> rescheduled;
  std::set<std::string, std::less<>> bound_keys;  // pods the objects show bound
  for (const api::Pod* p : objects.bound_pods) {
    if (p->spec.node_name.empty()) continue;
    bound_keys.insert(PodKey(*p));
    if (IsTerminal(*p)) continue;
    auto it = node_index.find(p->spec.node_name);
    if (it == node_index.end()) {
      if (warnings != nullptr) {
        warnings->push_back(StrCat("pod ", PodKey(*p), " is bound to node ", p->spec.node_name,
                                   ", which is not in the input; ignoring it"));
      }
      continue;
    }
    solver::ExistingNode& en = snap.nodes[it->second];
    if (en.marked_for_deletion && IsCurrentlyReschedulable(*p, objects.pod_disruption_budgets)) {
      rescheduled.push_back(*p);  // needs a new home: placed after the pending pods
      continue;
    }
    en.pods.push_back(*p);
  }
  // A pending pod that the objects also show bound (its binding arrived between the caller's
  // reads) has been scheduled: it runs where it is bound, and placing it again would count it
  // twice and plan capacity it no longer needs.
  std::erase_if(snap.pods, [&](const api::Pod& p) { return bound_keys.contains(PodKey(p)); });
  snap.pods.insert(snap.pods.end(), std::make_move_iterator(rescheduled.begin()),
                   std::make_move_iterator(rescheduled.end()));
  std::vector<const api::Pod*> daemon_pods;
  for (const api::Pod* p : objects.daemon_set_pods) {
    if (IsOwnedByDaemonSet(*p) && !IsTerminal(*p)) daemon_pods.push_back(p);
  }
  for (const api::DaemonSet* d : objects.daemon_sets) {
    snap.daemon_sets.push_back(EffectiveDaemonSet(*d, daemon_pods));
  }
  for (const auto* c : objects.persistent_volume_claims) snap.persistent_volume_claims.push_back(*c);
  for (const auto* v : objects.persistent_volumes) snap.persistent_volumes.push_back(*v);
  for (const auto* sc : objects.storage_classes) snap.storage_classes.push_back(*sc);
  for (const auto* n : objects.csi_nodes) snap.csi_nodes.push_back(*n);
  return snap;
}

}  // namespace joinery::snapshot
