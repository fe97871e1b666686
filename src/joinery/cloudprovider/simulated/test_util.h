// Fixtures shared by the simulated provider's unit tests: the Trainium EC2NodeClass of
// examples/trainium as the API server would store it, and a NodeClaim for it.
#pragma once

#include <string>
#include <string_view>

#include "joinery/api/types.h"
#include "nlohmann/json.hpp"

namespace joinery::cloudprovider::simulated::testing {

inline constexpr char kCluster[] = "test-cluster";

// examples/trainium/ec2nodeclass.yaml with ${EKS_CLUSTER_NAME} = kCluster.
inline nlohmann::json TrainiumNodeClass(std::string_view name = "trainium-trn1") {
  nlohmann::json j = nlohmann::json::parse(R"({
    "apiVersion": "karpenter.k8s.aws/v1",
    "kind": "EC2NodeClass",
    "metadata": {"name": "trainium-trn1"},
    "spec": {
      "amiSelectorTerms": [{"alias": "al2023@latest"}],
      "role": "KarpenterNodeRole-test-cluster",
      "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "test-cluster"}}],
      "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "test-cluster"}}],
      "tags": {"app.kubernetes.io/created-by": "eks-workshop"}
    }
  })");
  j["metadata"]["name"] = std::string(name);
  return j;
}

inline api::NodeSelectorRequirement Req(std::string key, std::string op,
                                        std::vector<std::string> values) {
  return api::NodeSelectorRequirement{.key = std::move(key), .operator_ = std::move(op),
                                      .values = std::move(values)};
}

// The NodeClaim the provisioner would create for the Trainium NodePool.
inline api::NodeClaim TrainiumNodeClaim(std::string name = "trainium-trn1-abcde") {
  api::NodeClaim nc;
  nc.metadata.name = std::move(name);
  nc.metadata.labels = {{"karpenter.sh/nodepool", "trainium-trn1"},
                        {"karpenter.k8s.aws/ec2nodeclass", "trainium-trn1"},
                        {"instanceType", "trn1.2xlarge"},
                        {"neuron.amazonaws.com/neuron-device", "true"}};
  nc.spec.requirements = {Req("node.kubernetes.io/instance-type", "In", {"trn1.2xlarge"}),
                          Req("kubernetes.io/arch", "In", {"amd64"}),
                          Req("karpenter.sh/capacity-type", "In", {"on-demand"}),
                          Req("karpenter.sh/nodepool", "In", {"trainium-trn1"})};
  nc.spec.resource_requests = {{"cpu", Quantity::FromMilli(1000)},
                               {"aws.amazon.com/neuron", Quantity::FromUnits(1)},
                               {"pods", Quantity::FromUnits(1)}};
  nc.spec.taints = {{.key = "aws.amazon.com/neuron", .value = "true", .effect = "NoSchedule"}};
  nc.spec.node_class_ref = {.group = "karpenter.k8s.aws", .kind = "EC2NodeClass",
                            .name = "trainium-trn1"};
  return nc;
}

}  // namespace joinery::cloudprovider::simulated::testing
