#include "joinery/controllers/gc/garbage_collection.h"

#include <algorithm>
#include <set>

#include "joinery/api/conditions.h"
#include "joinery/api/labels.h"
#include "joinery/common/log.h"
#include "joinery/common/status.h"

namespace joinery::controllers {

GarbageCollection::GarbageCollection(state::Cluster& cluster, kube::Client& client,
                                     cloudprovider::CloudProvider& cloud, Clock& clock,
                                     GarbageCollectionOptions options)
    : cluster_(cluster), client_(client), cloud_(cloud), clock_(clock), options_(options) {}

absl::StatusOr<Result> GarbageCollection::Reconcile(std::string_view) {
  // Karpenter's AWS instance GC: every 10 s for its first 20 passes, then every `interval`.
  Result again{passes_ < kFastPasses ? std::min(kFastInterval, options_.interval) : options_.interval};
  if (!cluster_.Synced()) return Result{kFastInterval};
  ASSIGN_OR_RETURN(std::vector<api::NodeClaim> instances, cloud_.List());
  ++passes_;
  const absl::Time now = clock_.Now();
  // Identity is the providerID: an instance belongs to the NodeClaim that records it.
  std::set<std::string> held;
  for (const auto& c : cluster_.NodeClaims()) {
    if (c.typed && !c.typed->status.provider_id.empty()) held.insert(c.typed->status.provider_id);
  }
  std::set<std::string> live;
  for (const auto& inst : instances) {
    live.insert(inst.status.provider_id);
    if (held.count(inst.status.provider_id)) continue;
    // A launch in progress: the NodeClaim it was launched for exists and records no instance yet
    // (the lifecycle controller adopts this one: the provider's Create is idempotent per NodeClaim).
    if (!inst.metadata.name.empty()) {
      auto claim = cluster_.NodeClaim(inst.metadata.name);
      if (claim && claim->typed && !claim->typed->metadata.deletion_timestamp &&
          claim->typed->status.provider_id.empty() &&
          (inst.metadata.uid.empty() || inst.metadata.uid == claim->typed->metadata.uid)) {
        continue;
      }
    }
    absl::Time created = ParseRfc3339(inst.metadata.creation_timestamp);
    if (created == absl::InfinitePast() || now - created < options_.instance_grace) continue;
    absl::Status st = cloud_.Delete(inst);
    if (!st.ok() && !kube::IsNotFound(st)) {
      log::Warn("controller", "terminating orphaned instance failed",
                {{"controller", std::string(Name())}, {"provider-id", inst.status.provider_id},
                 {"error", std::string(st.message())}});
      continue;
    }
    live.erase(inst.status.provider_id);
    log::Info("controller", "garbage collected instance without a nodeclaim",
              {{"controller", std::string(Name())}, {"provider-id", inst.status.provider_id},
               {"nodeclaim", inst.metadata.name}});
  }
  // Nodes of Karpenter-managed capacity that no NodeClaim holds and whose instance is gone (a
  // duplicate, or an instance terminated behind the NodeClaim's back): nothing else removes them.
  for (const auto& n : cluster_.Nodes()) {
    if (!n.typed || n.typed->metadata.deletion_timestamp) continue;
    const api::Node& node = *n.typed;
    if (node.provider_id.empty() || held.count(node.provider_id) || live.count(node.provider_id)) {
      continue;
    }
    if (!node.metadata.labels.contains(std::string(api::kLabelNodePool))) continue;
    absl::Time created = ParseRfc3339(node.metadata.creation_timestamp);
    if (created == absl::InfinitePast() || now - created < options_.instance_grace) continue;
    auto inst = cloud_.Get(node.provider_id);
    if (inst.ok() || !kube::IsNotFound(inst.status())) continue;
    kube::DeleteOptions opts;
    opts.precondition_uid = node.metadata.uid;
    absl::Status st = client_.Delete(kube::resources::Nodes(), "", node.metadata.name, opts);
    if (!st.ok() && !kube::IsNotFound(st)) return st;
    log::Info("controller", "garbage collected node without a nodeclaim or instance",
              {{"controller", std::string(Name())}, {"Node", {{"name", node.metadata.name}}},
               {"provider-id", node.provider_id}});
  }
  for (const auto& c : cluster_.NodeClaims()) {
    if (!c.typed || c.typed->metadata.deletion_timestamp) continue;
    const auto& nc = *c.typed;
    if (nc.status.provider_id.empty() || !api::IsTrue(nc.status.conditions, "Registered")) continue;
    if (live.count(nc.status.provider_id)) continue;
    // A Node that is still Ready has a running kubelet, whatever the provider's list says (it may
    // lag a launch): as Karpenter, wait for it to stop.
    if (auto node = cluster_.NodeByProviderID(nc.status.provider_id);
        node && node->typed && api::IsNodeReady(*node->typed)) {
      continue;
    }
    kube::DeleteOptions opts;
    opts.precondition_uid = nc.metadata.uid;
    absl::Status st = client_.Delete(kube::resources::NodeClaims(), "", nc.metadata.name, opts);
    if (!st.ok() && !kube::IsNotFound(st)) return st;
    log::Info("controller", "garbage collecting nodeclaim with no cloudprovider representation",
              {{"controller", std::string(Name())}, {"NodeClaim", {{"name", nc.metadata.name}}},
               {"provider-id", nc.status.provider_id}});
  }
  return again;
}

}  // namespace joinery::controllers
