#include "joinery/scheduling/resources.h"

#include "joinery/api/labels.h"

namespace joinery::scheduling {
namespace {

ResourceList ContainerRequests(const api::Container& c) {
  ResourceList r = c.resources.requests;
  for (const auto& [k, q] : c.resources.limits) {
    if (!r.contains(k)) r.emplace(k, q);
  }
  return r;
}

}  // namespace

ResourceList PodRequests(const api::PodSpec& spec) {
  ResourceList reqs;
  for (const auto& c : spec.containers) AddInto(reqs, ContainerRequests(c));
  ResourceList sidecars;
  ResourceList init_max;
  for (const auto& c : spec.init_containers) {
    ResourceList cr = ContainerRequests(c);
    ResourceList effective;
    if (c.restart_policy == "Always") {
      AddInto(reqs, cr);
      AddInto(sidecars, cr);
      effective = sidecars;
    } else {
      effective = cr;
      AddInto(effective, sidecars);
    }
    init_max = MaxOf(init_max, effective);
  }
  reqs = MaxOf(reqs, init_max);
  AddInto(reqs, spec.overhead);
  return reqs;
}

ResourceList PodSchedulingRequests(const api::PodSpec& spec) {
  ResourceList r = PodRequests(spec);
  AddInto(r, {{std::string(api::kResourcePods), Quantity::FromUnits(1)}});
  return r;
}

}  // namespace joinery::scheduling
