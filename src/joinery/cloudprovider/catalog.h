// The AWS instance catalog: the EC2 instance-type table and us-east-1 on-demand prices shipped in
// data/ (embedded in the binary), turned into InstanceTypes the way Karpenter's AWS provider does it:
// capacity (memory minus the 7.5% VM overhead, ENI-limited max pods, GPUs, Neuron devices and cores),
// kube-reserved, eviction threshold, well-known labels, and offerings per zone and capacity type.
// Thread-safe: pure functions over immutable inputs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "joinery/cloudprovider/instance_type.h"

namespace joinery::cloudprovider {

struct CatalogOptions {
  std::string region = "us-east-1";
  // Zones offered for every type; empty means the region's first three zones (<region>a, b, c).
  std::vector<std::string> zones;
  // Spot price = on-demand price × (1 − spot_discount). Spot offerings are marked price_simulated.
  double spot_discount = 0.6;
  // Ephemeral storage per node when no instance-store policy applies (AL2023 root volume default).
  Quantity ephemeral_storage = Quantity::FromUnits(20LL * 1024 * 1024 * 1024, Quantity::Format::kBinarySI);
  // VM_MEMORY_OVERHEAD_PERCENT.
  double vm_memory_overhead_percent = 0.075;
};

// Builds the catalog from CSV text with the columns of data/instance-types.csv and, optionally,
// data/instance-types-extra.csv (joined by name) and a price table (name,on_demand_usd_per_hour).
// Types without a price get no offerings (they cannot be launched) but are kept.
// Errors name the line and column.
absl::StatusOr<InstanceTypes> BuildCatalog(std::string_view types_csv, std::string_view extra_csv,
                                           std::string_view prices_csv, const CatalogOptions& options);

// The catalog embedded from data/ at build time.
absl::StatusOr<InstanceTypes> EmbeddedCatalog(const CatalogOptions& options);

// Reads a replacement catalog (--instance-types FILE). A `.yaml`/`.yml` file is an instance-type
// list (ParseInstanceTypeList; `options` do not apply: everything is explicit). Any other file is
// a CSV with at least the instance-types.csv columns name, arch, vcpu, memory_mib plus optionally
// any other column of that file, the extra file's columns, and `on_demand_usd_per_hour` for the
// price; its types are derived as the embedded catalog's are.
absl::StatusOr<InstanceTypes> LoadCatalogFile(const std::string& path, const CatalogOptions& options);

// An explicit instance-type list, for catalogs that are not AWS's (Karpenter's fake provider in
// the conformance scenarios, a private cloud's shapes): one or more YAML documents
//   apiVersion: joinery.dev/v1alpha1
//   kind: InstanceTypeList
//   items:
//     - name: default-instance-type          # also its node.kubernetes.io/instance-type label
//       labels: {kubernetes.io/arch: amd64}   # single-valued labels
//       requirements:                         # labels with several values, or DoesNotExist
//         - {key: kubernetes.io/os, operator: In, values: [linux, windows]}
//       capacity: {cpu: "4", memory: 4Gi, pods: "5"}
//       overhead: {kubeReserved: {cpu: 100m}, systemReserved: {}, evictionThreshold: {}}
//       ebsVolumeLimit: 25                    # optional
//       offerings:                            # zone x capacity type, with price and availability
//         - {zone: z1, capacityType: spot, price: 0.5, available: true}
// Unknown fields, bad quantities, repeated names or offerings are InvalidArgument naming `file`
// and the field. Every label key of a type is one its provider resolves (solver.h: well known).
absl::StatusOr<InstanceTypes> ParseInstanceTypeList(std::string_view text, std::string_view file);

// Region → its default zones (a, b, c).
std::vector<std::string> DefaultZones(std::string_view region);

}  // namespace joinery::cloudprovider
