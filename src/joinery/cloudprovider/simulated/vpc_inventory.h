// The simulated VPC: the subnets, security groups and AMIs that EC2NodeClass selector terms resolve
// against when Joinery runs with the simulated cloud provider (what DescribeSubnets,
// DescribeSecurityGroups and DescribeImages/SSM would return on AWS).
//
// An inventory is read from a YAML file (data/simulated-vpc.yaml is the built-in default written out
// for users to copy) or built by Default(). `${CLUSTER_NAME}` anywhere in the file is replaced by
// the cluster name, so that discovery tags (`karpenter.sh/discovery: ${CLUSTER_NAME}`) match the
// examples' `${EKS_CLUSTER_NAME}` selectors. File format:
//
//   vpcID: vpc-0a1b2c3d4e5f60718
//   subnets:
//     - {id: subnet-..., zone: us-east-1a, zoneID: use1-az1, availableIPs: 8187,
//        tags: {karpenter.sh/discovery: ${CLUSTER_NAME}, Name: ...}}
//   securityGroups:
//     - {id: sg-..., name: ..., tags: {...}}
//   amis:
//     - {id: ami-..., name: ..., arch: amd64, family: al2023, version: v20250115,
//        creationDate: "2025-01-15T00:00:00Z", deprecated: false, tags: {...}}
//
// `family` and `version` are what an alias (`al2023@latest`, `al2023@v20250115`) resolves against;
// `arch` is amd64 or arm64. A plain value: copy freely; thread-compatible (share as
// shared_ptr<const VpcInventory>).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "joinery/api/types.h"

namespace joinery::cloudprovider::simulated {

struct Subnet {
  std::string id;
  std::string zone;     // us-east-1a
  std::string zone_id;  // use1-az1
  int64_t available_ips = 8187;
  api::StringMap tags;
};

struct SecurityGroup {
  std::string id;
  std::string name;
  api::StringMap tags;
};

struct Image {
  std::string id;
  std::string name;
  std::string arch;           // amd64, arm64
  std::string family;         // al2023, al2, bottlerocket (alias family), "" for custom images
  std::string version;        // v20250115 (alias version)
  std::string creation_date;  // RFC 3339; newer images win when several match
  bool deprecated = false;
  api::StringMap tags;
};

struct VpcInventory {
  std::string vpc_id;
  std::vector<Subnet> subnets;
  std::vector<SecurityGroup> security_groups;
  std::vector<Image> images;

  // The built-in VPC: one subnet per default zone of `region` (DefaultZones: <region>a, b, c)
  // and one security group, all tagged `karpenter.sh/discovery: <cluster_name>`, plus AL2023, AL2
  // and Bottlerocket images for amd64 and arm64 (two AL2023 versions, so that pinned and latest
  // aliases differ). IDs are deterministic (they depend on the region only).
  static VpcInventory Default(std::string_view cluster_name, std::string_view region = "us-east-1");

  // Parses the YAML format above. Errors (InvalidArgument) name the field ("subnets[1].zone: ...").
  static absl::StatusOr<VpcInventory> Parse(std::string_view yaml_text,
                                            std::string_view cluster_name);
  // Reads and parses a file; NotFound when it cannot be read.
  static absl::StatusOr<VpcInventory> Load(const std::string& path, std::string_view cluster_name);

  // Back to the YAML format (round-trips through Parse with the same cluster name).
  std::string ToYaml() const;

  const Subnet* FindSubnet(std::string_view id) const;
};

// "us-east-1" -> "use1": the prefix of AWS zone IDs (use1-az1).
std::string ZoneIdPrefix(std::string_view region);

}  // namespace joinery::cloudprovider::simulated
