// The simulated cloud provider: launches "instances" that are Node objects registered on the
// cluster, as Karpenter's kwok provider does, so that the whole controller stack runs against a
// real API server without a cloud.
//
// Where the truth lives: in the API server, not in this process. A simulated instance IS a Node
// labelled `joinery.dev/simulated=true` whose annotation `joinery.dev/simulated-instance` records
// the launch (instance type, zone, capacity type, image, subnet, launch time, NodeClaim name, price).
// Another controller replica taking over sees the same instances. The only in-process state is:
//  - instances launched but not yet registered (the boot time, Options::registration_delay). If
//    the process dies in that window the instance is lost, as an instance that never joins is on
//    AWS: Karpenter's registration timeout (15 min) deletes the NodeClaim and the pods re-plan.
//  - the unavailable-offerings cache (offerings that failed for capacity in the last 3 minutes)
//    and the injected insufficient-capacity list.
//
// Create follows the AWS provider: the node class must exist and be Ready; instance types are those
// compatible with spec.requirements, fitting spec.resources.requests in their allocatable, with an
// AMI for their architecture in status.amis, and with an available offering in a zone of
// status.subnets; exotic types (GPU, Neuron, metal) only when nothing else is left. The capacity
// type is the first of reserved, spot, on-demand with an available compatible offering (spot
// offerings pricier than the cheapest on-demand one are dropped when both are allowed); within it
// the cheapest offering wins (ties: instance-type name, then zone). Injected insufficient capacity
// makes an offering fail as CreateFleet would: the failure is remembered for 3 minutes and the next
// offering of the same capacity type is tried; when every one fails, Create returns
// kResourceExhausted naming them, and the core re-plans without them.
//
// Delete terminates the instance: the Node is annotated `joinery.dev/simulated-terminated` and
// deleted (it may linger while finalizers run; Get, List and Delete treat it as gone from then on).
//
// The Node appears registration_delay after Create, registered as the kubelet would with
// Karpenter's configuration: labels, taints (spec.taints, spec.startupTaints and
// karpenter.sh/unregistered:NoExecute), capacity, allocatable, nodeInfo, addresses and a Ready
// condition. Leases, heartbeats and pods are SimulatedKubelet's (kubelet.h).
//
// Threads: every CloudProvider method may be called concurrently from any thread. Start() starts
// one registration thread; Stop() (and the destructor) joins it. Without Start(), pending
// registrations happen only through RegisterDueNodes() (tests).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
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

inline constexpr std::string_view kLabelSimulated = "joinery.dev/simulated";
inline constexpr std::string_view kAnnotationInstance = "joinery.dev/simulated-instance";
inline constexpr std::string_view kAnnotationTerminated = "joinery.dev/simulated-terminated";

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
  ~SimulatedCloudProvider() override;
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

  // Starts the registration thread (idempotent). It registers each launched instance's Node once
  // Clock::Now() passes its launch time + registration_delay (it checks the clock every 50 ms of
  // real time, so a FakeClock works too).
  void Start();
  // Stops and joins the registration thread (idempotent). Unregistered instances stay pending.
  void Stop();

  // Registers the Nodes of every pending instance whose boot time has passed; returns how many
  // were created. Called by the registration thread; tests may call it directly. A Node that
  // fails to be created (API error) stays pending and is retried on the next call.
  int RegisterDueNodes();
  // Instances launched whose Node has not been created yet.
  int PendingRegistrations() const;

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
  struct Pending {
    absl::Time due;
    std::string instance_id;
    std::string provider_id;
    nlohmann::json node;      // the Node to create
    api::NodeClaim instance;  // what Get/List report meanwhile
  };
  using OfferingKey = std::tuple<std::string, std::string, std::string>;  // type, zone, ct

  absl::StatusOr<nlohmann::json> ReadyNodeClass(std::string_view name) const;
  bool Injected(const std::string& type, const std::string& zone, const std::string& ct) const;
  // Requires mu_.
  void ExpireUnavailableLocked(absl::Time now) const;
  bool UnavailableLocked(const OfferingKey& key) const;
  // Requires mu_: a fresh instance ID whose node name is not in use.
  absl::StatusOr<std::string> NewInstanceIdLocked();
  absl::StatusOr<nlohmann::json> FindNode(std::string_view provider_id) const;
  void RegistrationLoop();

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
  std::map<std::string, Pending> pending_;                      // by provider ID; guarded by mu_
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
  bool stopping_ = false;                                       // guarded by mu_
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace joinery::cloudprovider::simulated
