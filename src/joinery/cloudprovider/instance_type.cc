#include "joinery/cloudprovider/instance_type.h"

#include <algorithm>
#include <limits>

#include "joinery/api/labels.h"

namespace joinery::cloudprovider {

ResourceList Overhead::Total() const {
  ResourceList total;
  AddInto(total, kube_reserved);
  AddInto(total, system_reserved);
  AddInto(total, eviction_threshold);
  return total;
}

ResourceList InstanceType::Allocatable() const {
  const ResourceList overhead_total = overhead.Total();
  ResourceList allocatable;
  // Only capacity's keys: overhead on a resource the type does not have cannot create allocatable.
  for (const auto& [name, cap] : capacity) {
    Quantity q = cap;
    if (auto it = overhead_total.find(name); it != overhead_total.end()) q -= it->second;
    if (q.milli() < 0) q = Quantity::FromMilli(0, cap.format());
    allocatable.emplace(name, q);
  }
  return allocatable;
}

double InstanceType::CheapestAvailablePrice() const {
  double best = std::numeric_limits<double>::infinity();
  for (const Offering& o : offerings) {
    if (o.available) best = std::min(best, o.price);
  }
  return best;
}

std::optional<int> InstanceType::VolumeLimit(std::string_view driver) const {
  if (driver == api::kEBSCSIDriver) return ebs_volume_limit;
  return std::nullopt;
}

}  // namespace joinery::cloudprovider
