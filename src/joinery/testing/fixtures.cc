#include "joinery/testing/fixtures.h"

#include "joinery/api/labels.h"
#include "joinery/common/strings.h"

namespace joinery::testing {

Quantity Cpu(double cores) { return Quantity::FromMilli(static_cast<int64_t>(cores * 1000)); }
Quantity Gi(int64_t n) { return Quantity::FromUnits(n << 30, Quantity::Format::kBinarySI); }

cloudprovider::InstanceType SyntheticType(std::string name, int cpu, int mem, double price,
                                          std::string arch) {
  cloudprovider::InstanceType it;
  it.name = name;
  it.labels = {{std::string(api::kLabelInstanceType), name},
               {std::string(api::kLabelArch), std::move(arch)},
               {std::string(api::kLabelOS), "linux"},
               {std::string(api::kLabelInstanceCPU), StrCat(cpu)}};
  it.capacity = {{"cpu", Cpu(cpu)}, {"memory", Gi(mem)}, {"pods", Quantity::FromUnits(110)}};
  for (std::string zone : {"test-a", "test-b"}) {
    cloudprovider::Offering od;
    od.zone = zone;
    od.capacity_type = "on-demand";
    od.price = price;
    it.offerings.push_back(od);
    cloudprovider::Offering spot = od;
    spot.capacity_type = "spot";
    spot.price = price / 2;
    spot.price_simulated = true;
    it.offerings.push_back(spot);
  }
  return it;
}

cloudprovider::InstanceTypes SyntheticCatalog() {
  return {SyntheticType("small", 2, 4, 0.10), SyntheticType("medium", 4, 8, 0.20),
          SyntheticType("large", 8, 16, 0.40), SyntheticType("arm", 4, 8, 0.15, "arm64")};
}

api::NodeSelectorRequirement Req(std::string key, std::string op, std::vector<std::string> values) {
  api::NodeSelectorRequirement r;
  r.key = std::move(key);
  r.operator_ = std::move(op);
  r.values = std::move(values);
  return r;
}

api::NodePool MakeNodePool(std::string name, std::vector<api::NodeSelectorRequirement> reqs) {
  api::NodePool np;
  np.metadata.name = std::move(name);
  np.template_.spec.node_class_ref = {"karpenter.k8s.aws", "EC2NodeClass", "default"};
  np.template_.spec.requirements = std::move(reqs);
  return np;
}

api::Pod MakePod(std::string name, double cpu, int mem_gi) {
  api::Pod p;
  p.metadata.name = std::move(name);
  p.metadata.namespace_ = "default";
  api::Container c;
  c.name = "main";
  c.resources.requests = {{"cpu", Cpu(cpu)}, {"memory", Gi(mem_gi)}};
  p.spec.containers.push_back(c);
  return p;
}

}  // namespace joinery::testing
