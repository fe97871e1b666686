// FencedCloudProvider: a CloudProvider that launches and terminates only while a fence holds (the
// leader lease, LeaderElector::HoldsLease). Reads (Get, List, GetInstanceTypes) pass through.
// A refused Create/Delete returns kube::NotLeaderError (kCancelled); nothing reaches the cloud.
// Thread-safety: as the wrapped provider.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "joinery/cloudprovider/cloud_provider.h"
#include "joinery/kube/fenced_client.h"

namespace joinery::cloudprovider {

class FencedCloudProvider final : public CloudProvider {
 public:
  // `inner` must outlive this provider.
  FencedCloudProvider(CloudProvider& inner, std::function<bool()> fence)
      : inner_(inner), fence_(std::move(fence)) {}

  std::string_view Name() const override { return inner_.Name(); }
  absl::StatusOr<api::NodeClaim> Create(const api::NodeClaim& node_claim) override {
    if (!Held()) {
      return kube::NotLeaderError("launch an instance for nodeclaim", node_claim.metadata.name);
    }
    return inner_.Create(node_claim);
  }
  absl::Status Delete(const api::NodeClaim& node_claim) override {
    if (!Held()) return kube::NotLeaderError("terminate instance", node_claim.status.provider_id);
    return inner_.Delete(node_claim);
  }
  absl::StatusOr<api::NodeClaim> Get(std::string_view provider_id) override {
    return inner_.Get(provider_id);
  }
  absl::StatusOr<std::vector<api::NodeClaim>> List() override { return inner_.List(); }
  absl::StatusOr<std::shared_ptr<const InstanceTypes>> GetInstanceTypes(
      const api::NodePool& node_pool) override {
    return inner_.GetInstanceTypes(node_pool);
  }

 private:
  bool Held() const { return !fence_ || fence_(); }

  CloudProvider& inner_;
  std::function<bool()> fence_;
};

}  // namespace joinery::cloudprovider
