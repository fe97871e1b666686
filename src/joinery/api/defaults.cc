#include "joinery/api/defaults.h"

#include <string>
#include <string_view>
#include <utility>

#include "joinery/api/labels.h"

namespace joinery::api {
namespace {

constexpr std::string_view kDefaultNamespace = "default";

void DefaultNamespace(ObjectMeta& meta) {
  if (meta.namespace_.empty()) meta.namespace_ = std::string(kDefaultNamespace);
}

void DefaultContainers(std::vector<Container>& containers) {
  for (Container& c : containers) {
    for (ContainerPort& p : c.ports) {
      if (p.protocol.empty()) p.protocol = "TCP";
    }
  }
}

// Defaults the Kubernetes API server applies to every pod spec (pods and workload templates).
void DefaultPodSpec(PodSpec& spec) {
  DefaultContainers(spec.containers);
  DefaultContainers(spec.init_containers);
  for (Toleration& t : spec.tolerations) {
    if (t.operator_.empty()) t.operator_ = "Equal";
  }
  for (TopologySpreadConstraint& c : spec.topology_spread_constraints) {
    if (c.when_unsatisfiable.empty()) c.when_unsatisfiable = "DoNotSchedule";
    if (c.node_affinity_policy.empty()) c.node_affinity_policy = "Honor";
    if (c.node_taints_policy.empty()) c.node_taints_policy = "Ignore";
  }
}

// Rewrites deprecated label keys to their current names (Karpenter normalizes them too). When both
// the old and the new key are present the new one wins.
void NormalizeLabels(StringMap& labels) {
  StringMap out;
  for (auto& [k, v] : labels) {
    std::string_view key = NormalizeLabelKey(k);
    if (key != k && labels.contains(key)) continue;
    out.insert_or_assign(std::string(key), std::move(v));
  }
  labels = std::move(out);
}

void NormalizeRequirements(std::vector<NodeSelectorRequirement>& reqs) {
  for (NodeSelectorRequirement& r : reqs) {
    std::string_view key = NormalizeLabelKey(r.key);
    if (key != r.key) r.key = std::string(key);
  }
}

// "al2023@latest" → "AL2023"; empty when the alias names no known family.
std::string FamilyFromAlias(std::string_view alias) {
  std::string_view family = alias.substr(0, alias.find('@'));
  if (family == "al2") return "AL2";
  if (family == "al2023") return "AL2023";
  if (family == "bottlerocket") return "Bottlerocket";
  if (family == "windows2019") return "Windows2019";
  if (family == "windows2022") return "Windows2022";
  if (family == "windows2025") return "Windows2025";
  return "";
}

}  // namespace

void ApplyDefaults(Manifests& m) {
  for (NodePool& np : m.node_pools) {
    if (np.disruption.budgets.empty()) {
      np.disruption.budgets.emplace_back();  // nodes: "10%"
    }
    NormalizeLabels(np.template_.labels);
    NormalizeRequirements(np.template_.spec.requirements);
  }
  for (NodeClaim& nc : m.node_claims) {
    NormalizeRequirements(nc.spec.requirements);
  }
  for (EC2NodeClass& nc : m.node_classes) {
    if (nc.ami_family.empty()) {
      for (const AMISelectorTerm& term : nc.ami_selector_terms) {
        if (term.alias.empty()) continue;
        nc.ami_family = FamilyFromAlias(term.alias);
        break;
      }
    }
  }
  for (Pod& p : m.pods) {
    DefaultNamespace(p.metadata);
    DefaultPodSpec(p.spec);
  }
  for (Deployment& d : m.deployments) {
    DefaultNamespace(d.metadata);
    DefaultPodSpec(d.template_.spec);
  }
  for (ReplicaSet& r : m.replica_sets) {
    DefaultNamespace(r.metadata);
    DefaultPodSpec(r.template_.spec);
  }
  for (StatefulSet& s : m.stateful_sets) {
    DefaultNamespace(s.metadata);
    DefaultPodSpec(s.template_.spec);
  }
  for (Job& j : m.jobs) {
    DefaultNamespace(j.metadata);
    DefaultPodSpec(j.template_.spec);
  }
  for (DaemonSet& d : m.daemon_sets) {
    DefaultNamespace(d.metadata);
    DefaultPodSpec(d.template_.spec);
  }
  for (PodDisruptionBudget& p : m.pod_disruption_budgets) DefaultNamespace(p.metadata);
  for (PersistentVolumeClaim& c : m.persistent_volume_claims) DefaultNamespace(c.metadata);
  for (StorageClass& sc : m.storage_classes) {
    // The API server's default for storage.k8s.io/v1.
    if (sc.volume_binding_mode.empty()) sc.volume_binding_mode = "Immediate";
  }
}

}  // namespace joinery::api
