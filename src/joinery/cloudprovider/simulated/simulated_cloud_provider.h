// The simulated cloud provider: launches "instances" that live in the cluster itself, so that the
// whole controller stack runs against a real API server without a cloud, and instances outlive
// the controller that launched them, as a real cloud's do.
//
// Where the truth lives: in the API server, not in this process. A simulated instance IS a
// ConfigMap `joinery-instance-<instance-id>` in Options::instance_namespace (kube-system) labelled
// `joinery.dev/simulated-instance=true` and `karpenter.sh/nodeclaim=<name>` (its launch identity,
// as Karpenter tags EC2 instances). Its data holds the launch record (`instance`: instance ID,
// providerID, type, zone, capacity type, image, subnet, price, launch time, the NodeClaim's name
// and uid, when it boots) and the Node its kubelet will register (`node`). A terminated instance's
// object is gone. Any replica sees the same instances; a controller that dies right after a launch
// leaves a running instance behind, exactly as on EC2.
//
// Booting and registering the Node, heartbeats and pods are the job of SimulatedKubelet
// (kubelet.h), run as its own process (`joinery kubelet-simulator`), independent of leadership:
// it creates the instance's Node Options::registration_delay after the launch.
// The only in-process state here is the unavailable-offerings cache (offerings that failed for
// capacity in the last 3 minutes) and the injected insufficient-capacity list.
//
// Create is idempotent per NodeClaim: when an instance carrying the NodeClaim's identity (name and
// uid) exists already, it is returned instead of launching another (a retried or duplicated launch,
// e.g. by a new leader after the old one launched but died before recording it).
// Otherwise Create follows the AWS provider: the node class must exist and be Ready; instance
// types are those compatible with spec.requirements, fitting spec.resources.requests in their
// allocatable, with an AMI for their architecture in status.amis, and with an available offering
// in a zone of status.subnets; exotic types (GPU, Neuron, metal) only when nothing else is left.
// The capacity type is the first of reserved, spot, on-demand with an available compatible
// offering (spot offerings pricier than the cheapest on-demand one are dropped when both are
// allowed); within it the cheapest offering wins (ties: instance-type name, then zone). Injected
// insufficient capacity makes an offering fail as CreateFleet would: the failure is remembered for
// 3 minutes and the next offering of the same capacity type is tried; when every one fails,
// Create returns kResourceExhausted naming them, and the core re-plans without them.
//
// Delete terminates the instance: its object is deleted, and so is its Node if it registered one
// (as the cloud-controller-manager removes the Node of a terminated instance); a second Delete
// reports kNotFound.
//
// The Node registers as the kubelet would with Karpenter's configuration: labels, taints
// (spec.taints, spec.startupTaints and karpenter.sh/unregistered:NoExecute), capacity,
// allocatable, nodeInfo, addresses and a Ready condition.
//
// Threads: every CloudProvider method may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "joinery/cloudprovider/cloud_provider.h"
#include "joinery/cloudprovider/simulated/vpc_inventory.h"
#include "joinery/common/clock.h"
#include "joinery/kube/client.h"
#include "joinery/scheduling/requirements.h"
#include "nlohmann/json.hpp"

namespace joinery::cloudprovider::simulated {

inline constexpr std::string_view kLabelSimulated = "joinery.dev/simulated";      // on Nodes
inline constexpr std::string_view kLabelInstance = "joinery.dev/simulated-instance";  // on instances
inline constexpr std::string_view kAnnotationInstance = "joinery.dev/simulated-instance";  // on Nodes
inline constexpr std::string_view kLabelNodeClaim = "karpenter.sh/nodeclaim";  // launch identity
inline constexpr std::string_view kDefaultInstanceNamespace = "kube-system";

// The instance ID of aws:///<zone>/<id>; "" when the provider ID is not of that shape.
std::string InstanceIdOf(std::string_view provider_id);
// The name of the object that is the instance: joinery-instance-<instance-id>.
std::string InstanceObjectName(std::string_view instance_id);
// An instance object's parts: the launch record (`instance`) and the Node to register (`node`);
// an empty object when missing or unparsable.
nlohmann::json InstanceRecord(const nlohmann::json& instance_object);
nlohmann::json InstanceNode(const nlohmann::json& instance_object);
// When the instance has booted and its kubelet registers the Node (record field registerAfter).
absl::Time InstanceBootTime(const nlohmann::json& instance_object);
// The Node the kubelet registers for an instance, as it posts it: the record's Node with fresh
// conditions (Ready, no pressure) stamped `now`.
nlohmann::json RegisteringNode(const nlohmann::json& instance_object, absl::Time now);

// How long an offering that failed for capacity stays unavailable (Karpenter's
// unavailable-offerings cache TTL).
inline constexpr absl::Duration kUnavailableOfferingTTL = absl::Minutes(3);

// Parses a list of offerings that fail for insufficient capacity:
// "type:zone:capacity-type[,type:zone:capacity-type...]" where any part may be "*" (every type,
// zone or capacity type), e.g. "trn1.2xlarge:us-east-1a:on-demand,*:us-east-1c:spot". Blank
// entries are ignored. Errors name the bad entry.
absl::StatusOr<std::vector<UnavailableOffering>> ParseInsufficientCapacity(std::string_view spec);
// Reads the same entries from a file, one or more per line; `#` starts a comment.
absl::StatusOr<std::vector<UnavailableOffering>> LoadInsufficientCapacityFile(
    const std::string& path);

class SimulatedCloudProvider final : public CloudProvider {
 public:
  struct Options {
    std::string cluster_name;
    std::string region = "us-east-1";
    // Boot time: how long after Create the Node registers.
    absl::Duration registration_delay = absl::Seconds(2);
    // Where instance objects live.
    std::string instance_namespace = std::string(kDefaultInstanceNamespace);
    // Seeds instance IDs (deterministic for a seed; IDs that are already in use are redrawn).
    uint64_t seed = 1;
    // Offerings that always fail for capacity ("*" wildcards allowed), e.g. from
    // --simulated-insufficient-capacity / a file (ParseInsufficientCapacity).
    std::vector<UnavailableOffering> insufficient_capacity;
    // Kubelet version reported in nodeInfo.
    std::string kubelet_version = "v1.20.2";
  };

  // `client` and `clock` must outlive the provider. `catalog` is the instance catalog (the one
  // `simulate` uses); `vpc` is what the node classes were resolved against (subnet IPs).
  SimulatedCloudProvider(kube::Client& client, Clock& clock,
                         std::shared_ptr<const InstanceTypes> catalog, VpcInventory vpc,
                         Options options);
  ~SimulatedCloudProvider() override = default;
  SimulatedCloudProvider(const SimulatedCloudProvider&) = delete;
  SimulatedCloudProvider& operator=(const SimulatedCloudProvider&) = delete;

  // CloudProvider.
  std::string_view Name() const override { return "simulated"; }
  absl::StatusOr<api::NodeClaim> Create(const api::NodeClaim& node_claim) override;
  absl::Status Delete(const api::NodeClaim& node_claim) override;
  absl::StatusOr<api::NodeClaim> Get(std::string_view provider_id) override;
  absl::StatusOr<std::vector<api::NodeClaim>> List() override;
  absl::StatusOr<std::shared_ptr<const InstanceTypes>> GetInstanceTypes(
      const api::NodePool& node_pool) override;

  // Makes launches of `instance_type` in `zone` with `capacity_type` fail for insufficient
  // capacity from now on ("*" matches anything).
  void InjectInsufficientCapacity(std::string instance_type, std::string zone,
                                  std::string capacity_type);
  void ClearInsufficientCapacity();
  // Offerings currently in the unavailable-offerings cache (failed within the last 3 minutes).
  std::vector<UnavailableOffering> UnavailableOfferings() const;

  // The Node name of an instance ID: ip-10-a-b-c.ec2.internal (us-east-1) or
  // ip-10-a-b-c.<region>.compute.internal, the address derived from the ID.
  std::string NodeNameFor(std::string_view instance_id) const;

 private:
  using OfferingKey = std::tuple<std::string, std::string, std::string>;  // type, zone, ct

  absl::StatusOr<nlohmann::json> ReadyNodeClass(std::string_view name) const;
  bool Injected(const std::string& type, const std::string& zone, const std::string& ct) const;
  // Requires mu_.
  void ExpireUnavailableLocked(absl::Time now) const;
  bool UnavailableLocked(const OfferingKey& key) const;
  std::string NewInstanceId();
  // The instance launched for `node_claim` (same name and uid), if any; kUnavailable on API errors.
  absl::StatusOr<std::optional<nlohmann::json>> FindLaunched(const api::NodeClaim& node_claim);

  kube::Client& client_;
  Clock& clock_;
  std::shared_ptr<const InstanceTypes> catalog_;
  // Per catalog entry (same index): its requirements and whether it is exotic. Immutable.
  std::vector<scheduling::Requirements> type_requirements_;
  std::vector<bool> exotic_;
  VpcInventory vpc_;
  Options options_;

  mutable std::mutex mu_;
  std::mt19937_64 rng_;                                         // guarded by mu_
  std::set<std::string> issued_ids_;                            // guarded by mu_
  mutable std::map<OfferingKey, absl::Time> unavailable_;       // expiry; guarded by mu_
  std::vector<UnavailableOffering> injected_;                   // guarded by mu_
  // Per node class: the list GetInstanceTypes last built and what it was built from (zones,
  // architectures, unavailable offerings). The same list is handed out again while those are
  // unchanged, as Karpenter's instance-type cache does, so that callers can key work on it.
  struct TypesCacheEntry {
    std::set<std::string> zones;
    std::set<std::string> arches;
    std::set<OfferingKey> unavailable;
    std::shared_ptr<const InstanceTypes> types;
  };
  std::map<std::string, TypesCacheEntry, std::less<>> types_cache_;  // guarded by mu_
};

}  // namespace joinery::cloudprovider::simulated
