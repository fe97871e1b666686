// Test fixtures: a small synthetic catalog and builders for pods, NodePools and requirements, so
// that solver and plan-checker tests state their inputs in a line each. For tests only.
#pragma once

#include <string>
#include <vector>

#include "joinery/api/types.h"
#include "joinery/cloudprovider/instance_type.h"
#include "joinery/common/quantity.h"

namespace joinery::testing {

Quantity Cpu(double cores);
Quantity Gi(int64_t n);

// `cpu` cores and `mem` GiB with no overhead (allocatable = capacity, 110 pods), offered on-demand
// in zones test-a and test-b at `price` and as (simulated) spot at half of it.
cloudprovider::InstanceType SyntheticType(std::string name, int cpu, int mem, double price,
                                          std::string arch = "amd64");
// small (2 cpu, 4Gi, $0.10), medium (4, 8Gi, $0.20), large (8, 16Gi, $0.40), arm (arm64 4, 8Gi,
// $0.15).
cloudprovider::InstanceTypes SyntheticCatalog();

api::NodeSelectorRequirement Req(std::string key, std::string op, std::vector<std::string> values);
// A NodePool with an EC2NodeClass reference and the given requirements.
api::NodePool MakeNodePool(std::string name, std::vector<api::NodeSelectorRequirement> reqs = {});
// A pod in namespace default with one container requesting `cpu` cores and `mem_gi` GiB.
api::Pod MakePod(std::string name, double cpu, int mem_gi = 1);

}  // namespace joinery::testing
