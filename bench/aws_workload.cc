#include "bench/aws_workload.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "joinery/api/labels.h"
#include "joinery/common/strings.h"

namespace joinery::bench {
namespace {

constexpr uint64_t kSeed = 0x6a6f696e65727931ULL;  // "joinery1"

// Requests as engineers write them: mostly small, a few large.
constexpr int64_t kCpuMillis[] = {100, 100,  250,  250,  250,  500,  500,  500,
                                  750, 1000, 1000, 1500, 2000, 2000, 3000, 4000};
// Memory per cpu in MiB per core: compute-heavy, general purpose, memory-heavy.
constexpr int64_t kMiBPerCpu[] = {512, 1024, 2048, 2048, 4096, 4096, 8192};
constexpr const char* kTiers[] = {"web", "api", "worker", "cache", "batch", "stream"};
constexpr int kNamespaces = 12;

}  // namespace

std::vector<AwsDeployment> AwsRealisticDeployments(int total_pods) {
  SplitMix64 rng(kSeed);
  std::vector<AwsDeployment> out;
  int placed = 0;
  while (placed < total_pods) {
    AwsDeployment d;
    const double u = rng.Unit();
    // Skewed toward small Deployments, as in real clusters: 1..200 replicas, mean about 50.
    d.replicas = std::min(1 + static_cast<int>(199 * u * u * u), total_pods - placed);
    const char* tier = kTiers[rng.Below(std::size(kTiers))];
    d.name = StrCat(tier, "-", out.size());
    d.namespace_ = StrCat("team-", rng.Below(kNamespaces));
    d.cpu_millis = kCpuMillis[rng.Below(std::size(kCpuMillis))];
    const int64_t mib = d.cpu_millis * kMiBPerCpu[rng.Below(std::size(kMiBPerCpu))] / 1000;
    d.memory_mib = std::clamp<int64_t>((mib + 63) / 64 * 64, 128, 16384);
    d.zonal_spread = rng.Unit() < 0.30;
    d.hostname_anti_affinity = rng.Unit() < 0.10;
    const double s = rng.Unit();
    if (s < 0.04) {
      d.node_selector = {{std::string(api::kLabelArch), "arm64"}};
    } else if (s < 0.07) {
      d.node_selector = {{std::string(api::kLabelArch), "amd64"}};
    } else if (s < 0.11) {
      d.node_selector = {{std::string(api::kLabelCapacityType), "on-demand"}};
    } else if (s < 0.14) {
      d.node_selector = {{std::string(api::kLabelCapacityType), "spot"}};
    }
    placed += d.replicas;
    out.push_back(std::move(d));
  }
  return out;
}

api::NodePool AwsRealisticNodePool() {
  api::NodePool np;
  np.metadata.name = "default";
  np.template_.spec.node_class_ref = {"karpenter.k8s.aws", "EC2NodeClass", "default"};
  // Built field by field: api types grow fields, and designated initializers would then need edits.
  auto in = [](std::string_view key, std::vector<std::string> values) {
    api::NodeSelectorRequirement r;
    r.key = std::string(key);
    r.operator_ = "In";
    r.values = std::move(values);
    return r;
  };
  np.template_.spec.requirements = {in(api::kLabelArch, {"amd64", "arm64"}),
                                    in(api::kLabelCapacityType, {"on-demand", "spot"})};
  return np;
}

solver::Snapshot AwsRealisticSnapshot(int total_pods,
                                      std::shared_ptr<const cloudprovider::InstanceTypes> catalog,
                                      size_t max_pods) {
  solver::Snapshot snap;
  snap.instance_types = std::move(catalog);
  snap.node_pools = {AwsRealisticNodePool()};
  const std::vector<AwsDeployment> deployments = AwsRealisticDeployments(total_pods);
  const size_t n = std::min(max_pods, static_cast<size_t>(total_pods));
  snap.pods.reserve(n);
  for (size_t k = 0; k < deployments.size() && snap.pods.size() < n; ++k) {
    const AwsDeployment& d = deployments[k];
    const api::StringMap app = {{"app", d.name}};
    api::OwnerReference owner;
    owner.api_version = "apps/v1";
    owner.kind = "ReplicaSet";
    owner.name = StrCat(d.name, "-rs");
    owner.uid = BenchUid("72657073", k);  // "reps"
    owner.controller = true;
    for (int r = 0; r < d.replicas && snap.pods.size() < n; ++r) {
      const size_t index = snap.pods.size();
      api::Pod pod;
      pod.metadata.name = StrCat(d.name, "-", r);
      pod.metadata.namespace_ = d.namespace_;
      pod.metadata.uid = BenchUid("6177735f", index);  // "aws_"
      pod.metadata.creation_timestamp = BenchCreationTimestamp(index);
      pod.metadata.labels = app;
      pod.metadata.owner_references = {owner};
      api::Container c;
      c.name = "app";
      c.resources.requests = {
          {std::string(api::kResourceCPU), Quantity::FromMilli(d.cpu_millis)},
          {std::string(api::kResourceMemory),
           Quantity::FromUnits(d.memory_mib * 1024 * 1024, Quantity::Format::kBinarySI)},
      };
      pod.spec.containers.push_back(std::move(c));
      pod.spec.node_selector = d.node_selector;
      if (d.zonal_spread) {
        api::TopologySpreadConstraint tsc;
        tsc.max_skew = 1;
        tsc.topology_key = std::string(api::kLabelZone);
        tsc.when_unsatisfiable = "DoNotSchedule";
        tsc.label_selector.emplace().match_labels = app;
        pod.spec.topology_spread_constraints.push_back(std::move(tsc));
      }
      if (d.hostname_anti_affinity) {
        api::PodAffinityTerm term;
        term.label_selector.emplace().match_labels = app;
        term.topology_key = std::string(api::kLabelHostname);
        pod.spec.affinity.emplace().pod_anti_affinity.emplace().required.push_back(std::move(term));
      }
      snap.pods.push_back(std::move(pod));
    }
  }
  return snap;
}

}  // namespace joinery::bench
