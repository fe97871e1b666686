// Realistic workloads on the full embedded AWS catalog, for the benchmark suite: hundreds of
// Deployments of 1..200 replicas with mixed requests (100m..4 cpu, 128Mi..16Gi), some spread across
// zones, some one replica per host, a few pinned to an architecture or capacity type, on one
// NodePool allowing amd64 and arm64, on-demand and spot. Generated from a fixed seed with a
// hand-written PRNG, so the same pods come out on every machine and standard library.
// Thread-compatible: pure functions over values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/karpenter_workload.h"
#include "joinery/api/types.h"
#include "joinery/common/splitmix64.h"
#include "joinery/cloudprovider/instance_type.h"
#include "joinery/solver/solver.h"

namespace joinery::bench {

using SplitMix64 = ::joinery::SplitMix64;

// What a realistic Deployment asks for; the generator's output, exposed for tests and reports.
struct AwsDeployment {
  std::string name;  // also its `app` label
  std::string namespace_;
  int replicas = 0;  // 1..200
  int64_t cpu_millis = 0;
  int64_t memory_mib = 0;
  bool zonal_spread = false;            // topology spread on the zone, maxSkew 1, DoNotSchedule
  bool hostname_anti_affinity = false;  // required anti-affinity to its own app label per host
  api::StringMap node_selector;         // arch or capacity type, for a few
};

// Deployments whose replicas add up to exactly `total_pods`, from a fixed seed (the same list for
// the same total on every machine). Replica counts are skewed toward small Deployments, as in real
// clusters: 10,000 pods give 188 Deployments, 50,000 give 1,032.
std::vector<AwsDeployment> AwsRealisticDeployments(int total_pods);

// The NodePool "default" for the realistic workloads: EC2NodeClass default, arch amd64 and arm64,
// capacity types on-demand and spot, no limits.
api::NodePool AwsRealisticNodePool();

// The snapshot of AwsRealisticDeployments(total_pods) on `catalog`, truncated to `max_pods` pods.
solver::Snapshot AwsRealisticSnapshot(int total_pods,
                                      std::shared_ptr<const cloudprovider::InstanceTypes> catalog,
                                      size_t max_pods = kAllPods);

}  // namespace joinery::bench
