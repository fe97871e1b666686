// The EC2NodeClass status controller of the simulated provider: resolves an EC2NodeClass's
// subnet, security-group and AMI selector terms against the simulated VPC (vpc_inventory.h) and its
// role to an instance profile, as Karpenter's AWS provider does against EC2/IAM, and writes
// status.subnets / securityGroups / amis / instanceProfile and the conditions SubnetsReady,
// SecurityGroupsReady, AMIsReady, InstanceProfileReady, ValidationSucceeded and the root Ready.
//
// Selector semantics (Karpenter's): terms are ORed, the fields of one term ANDed; a tag value "*"
// matches any value of that key; `id` matches exactly; security-group and AMI `name` match exactly
// or, for AMIs, as an EC2 name filter with `*` wildcards. An AMI alias `family@version` picks, per
// architecture, the image of that family with that version (`latest`: the newest by creation
// date). Several AMIs for the same architecture collapse to the newest non-deprecated one, as
// Karpenter keeps one AMI per requirement set. Status lists are sorted as Karpenter sorts them
// (subnets by available IPs descending then id, security groups by id).
//
// Conditions follow Karpenter's wording: SubnetsReady=False SubnetsNotFound "SubnetSelector did not
// match any Subnets"; SecurityGroupsReady=False SecurityGroupsNotFound "SecurityGroupSelector did
// not match any SecurityGroups"; AMIsReady=False AMINotFound "AMISelector did not match any AMIs";
// ValidationSucceeded=False DependenciesNotReady "Awaiting AMI, Instance Profile, Security Group,
// and Subnet resolution"; True conditions carry their type as the reason; the root Ready is True
// (reason Ready) when every dependent is True, else False with reason UnhealthyDependents and a
// message listing them ("SubnetsReady=False, ValidationSucceeded=False"), as operatorpkg computes
// it. lastTransitionTime moves only when a status changes; every condition carries the object's
// metadata.generation as observedGeneration.
//
// Thread-safety: Reconcile may be called concurrently for different keys (the status write is a
// compare-and-swap with conflict retry). ResolveNodeClass is a pure function.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "joinery/api/types.h"
#include "joinery/cloudprovider/simulated/vpc_inventory.h"
#include "joinery/common/clock.h"
#include "joinery/controllers/reconciler.h"
#include "joinery/kube/client.h"
#include "nlohmann/json.hpp"

namespace joinery::cloudprovider::simulated {

// Condition types on an EC2NodeClass.
inline constexpr std::string_view kConditionSubnetsReady = "SubnetsReady";
inline constexpr std::string_view kConditionSecurityGroupsReady = "SecurityGroupsReady";
inline constexpr std::string_view kConditionAMIsReady = "AMIsReady";
inline constexpr std::string_view kConditionInstanceProfileReady = "InstanceProfileReady";
inline constexpr std::string_view kConditionValidationSucceeded = "ValidationSucceeded";
inline constexpr std::string_view kConditionReady = "Ready";

// What an EC2NodeClass resolves to.
struct NodeClassResolution {
  std::vector<Subnet> subnets;                // sorted as written to status
  std::vector<SecurityGroup> security_groups;  // sorted by id
  std::vector<Image> images;                  // one per architecture, amd64 first
  std::string instance_profile;
  // SubnetsReady, SecurityGroupsReady, AMIsReady, InstanceProfileReady, ValidationSucceeded,
  // Ready, in that order, without lastTransitionTime / observedGeneration.
  std::vector<api::Condition> conditions;
};

NodeClassResolution ResolveNodeClass(const api::EC2NodeClass& node_class,
                                     const VpcInventory& vpc, std::string_view cluster_name,
                                     std::string_view region);

// The instance profile Karpenter creates for a role: "<cluster>_<hash of region and node class
// name>".
std::string InstanceProfileName(std::string_view cluster_name, std::string_view region,
                                std::string_view node_class_name);

// status.subnets / securityGroups / amis / instanceProfile as the CRD spells them (conditions not
// included).
nlohmann::json ResolutionStatusJson(const NodeClassResolution& r);

class NodeClassReconciler final : public controllers::Reconciler {
 public:
  struct Options {
    std::string cluster_name;
    std::string region = "us-east-1";
    // Karpenter re-resolves selector terms periodically (tags may be added later).
    absl::Duration resync = absl::Minutes(5);
  };

  // `client`, `clock` must outlive the reconciler.
  NodeClassReconciler(kube::Client& client, Clock& clock, std::shared_ptr<const VpcInventory> vpc,
                      Options options);
  NodeClassReconciler(const NodeClassReconciler&) = delete;
  NodeClassReconciler& operator=(const NodeClassReconciler&) = delete;

  std::string_view Name() const override { return "nodeclass"; }
  // `key` is the EC2NodeClass name. A missing EC2NodeClass is done (nothing to do). Otherwise the
  // status is written through the status subresource when anything changed, and the key is
  // requeued after Options::resync. Errors: the client's (with context), and InvalidArgument when
  // the stored object cannot be read.
  absl::StatusOr<controllers::Result> Reconcile(std::string_view key) override;

 private:
  kube::Client& client_;
  Clock& clock_;
  std::shared_ptr<const VpcInventory> vpc_;
  Options options_;
};

}  // namespace joinery::cloudprovider::simulated
