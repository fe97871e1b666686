// Instance types and offerings: what a cloud provider can launch, as data.
//
// An InstanceType carries its single-valued well-known labels (instance-type, arch, os, region and the
// karpenter.k8s.aws/* labels), its capacity, the overhead Kubernetes reserves on it, and its offerings
// (zone × capacity type, with a price and availability). The scheduler derives requirements from these;
// a well-known label key absent from `labels` means "this type does not have it" (DoesNotExist), as
// with Karpenter's GPU labels on a CPU-only type. Plain values; share catalogs as
// shared_ptr<const InstanceTypes> between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "joinery/api/types.h"
#include "joinery/common/quantity.h"

namespace joinery::cloudprovider {

struct Offering {
  std::string zone;
  std::string capacity_type;  // on-demand, spot, reserved
  double price = 0;           // USD per hour
  bool available = true;
  // True when the price is not a published list price (e.g. a spot price derived from a discount).
  bool price_simulated = false;
};

struct Overhead {
  ResourceList kube_reserved;
  ResourceList system_reserved;
  ResourceList eviction_threshold;
  ResourceList Total() const;
};

struct InstanceType {
  std::string name;
  api::StringMap labels;  // well-known labels with one value each (not zone / capacity type)
  // Further constraints the type puts on node labels beyond `labels`: several values a node of
  // the type may carry (e.g. kubernetes.io/os In [linux, windows]) or a label it never has
  // (DoesNotExist). Empty for the AWS catalog; catalog files may set it (catalog.h).
  std::vector<api::NodeSelectorRequirement> requirements;
  ResourceList capacity;  // cpu, memory (after VM overhead), ephemeral-storage, pods, extended
  Overhead overhead;
  std::vector<Offering> offerings;
  // The most EBS volumes (CSI driver ebs.csi.aws.com) a node of this type can attach, as the AWS
  // EBS CSI driver will report it in the node's CSINode (allocatable.count), root volume excluded;
  // the catalog estimates it (docs/catalog.md). nullopt when unknown: no limit.
  std::optional<int> ebs_volume_limit;

  // capacity − kube-reserved − system-reserved − eviction threshold (never negative).
  ResourceList Allocatable() const;
  // Cheapest available offering price, or +infinity when none is available.
  double CheapestAvailablePrice() const;
  // The attach limit of CSI `driver` on a new node of this type: ebs_volume_limit for
  // ebs.csi.aws.com; nullopt (no limit known) for other drivers.
  std::optional<int> VolumeLimit(std::string_view driver) const;
};

using InstanceTypes = std::vector<InstanceType>;

}  // namespace joinery::cloudprovider
