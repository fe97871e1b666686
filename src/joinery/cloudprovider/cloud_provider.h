// The cloud provider contract: how the controllers launch, find and terminate instances.
//
// An implementation turns a NodeClaim (requirements + resource requests) into one running instance
// and reports instances as NodeClaims. Implementations: simulated/ (the default for local use and
// tests: instances are Node objects registered on the cluster) and aws/ (a later milestone).
//
// Errors (absl::Status codes):
//   kResourceExhausted   insufficient capacity for every compatible offering (InsufficientCapacity);
//                        the caller deletes the NodeClaim and re-plans without the offerings named in
//                        the message. IsInsufficientCapacity().
//   kFailedPrecondition  the NodeClaim's node class does not exist or is not Ready (NodeClassNotReady).
//   kNotFound            Get/Delete: the instance does not exist (Delete: already gone).
//   kInvalidArgument     no instance type satisfies the NodeClaim's requirements and requests.
//   kUnavailable         transient failure; retry with backoff.
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "joinery/api/types.h"
#include "joinery/cloudprovider/instance_type.h"

namespace joinery::cloudprovider {

// An offering that failed for capacity, so that planning can avoid it for a while.
struct UnavailableOffering {
  std::string instance_type;
  std::string zone;
  std::string capacity_type;
};

class CloudProvider {
 public:
  virtual ~CloudProvider() = default;

  // "simulated", "aws".
  virtual std::string_view Name() const = 0;

  // Launches one instance for `node_claim` (its spec.requirements and spec.resources.requests):
  // picks the cheapest available offering of a compatible type that fits the requests, as
  // Karpenter does. Returns the NodeClaim hydrated with status.providerID, status.imageID,
  // status.capacity, status.allocatable and the resolved labels (instance type, zone, capacity
  // type, arch, os, region, ...; labels already on the NodeClaim win). Does not write to the API.
  virtual absl::StatusOr<api::NodeClaim> Create(const api::NodeClaim& node_claim) = 0;

  // Terminates the instance named by status.providerID. OK once termination has begun;
  // kNotFound when the instance is already gone (the caller treats that as done).
  virtual absl::Status Delete(const api::NodeClaim& node_claim) = 0;

  // The instance as a NodeClaim (providerID, labels, capacity); kNotFound when it does not exist.
  virtual absl::StatusOr<api::NodeClaim> Get(std::string_view provider_id) = 0;

  // Every instance this provider launched for the cluster, as NodeClaims (for garbage collection).
  // Each carries the `karpenter.sh/nodeclaim` name it was launched for in metadata.name.
  virtual absl::StatusOr<std::vector<api::NodeClaim>> List() = 0;

  // All instance types for the NodePool's node class, with offerings (availability included:
  // offerings that recently failed for capacity are marked unavailable). kFailedPrecondition when
  // the node class is missing or not Ready.
  virtual absl::StatusOr<std::shared_ptr<const InstanceTypes>> GetInstanceTypes(
      const api::NodePool& node_pool) = 0;
};

inline bool IsInsufficientCapacity(const absl::Status& s) {
  return s.code() == absl::StatusCode::kResourceExhausted;
}

}  // namespace joinery::cloudprovider
