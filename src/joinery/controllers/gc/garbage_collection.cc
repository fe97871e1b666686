#include "joinery/controllers/gc/garbage_collection.h"

#include <set>

#include "joinery/api/conditions.h"
#include "joinery/common/log.h"
#include "joinery/common/status.h"

namespace joinery::controllers {

GarbageCollection::GarbageCollection(state::Cluster& cluster, kube::Client& client,
                                     cloudprovider::CloudProvider& cloud, Clock& clock,
                                     GarbageCollectionOptions options)
    : cluster_(cluster), client_(client), cloud_(cloud), clock_(clock), options_(options) {}

absl::StatusOr<Result> GarbageCollection::Reconcile(std::string_view) {
  Result again{options_.interval};
  if (!cluster_.Synced()) return again;
  ASSIGN_OR_RETURN(std::vector<api::NodeClaim> instances, cloud_.List());
  const absl::Time now = clock_.Now();
  std::set<std::string> live;
  for (const auto& inst : instances) {
    live.insert(inst.status.provider_id);
    if (cluster_.NodeClaimByProviderID(inst.status.provider_id)) continue;
    if (!inst.metadata.name.empty() && cluster_.NodeClaim(inst.metadata.name)) continue;
    absl::Time created = ParseRfc3339(inst.metadata.creation_timestamp);
    if (created == absl::InfinitePast() || now - created < options_.instance_grace) continue;
    absl::Status st = cloud_.Delete(inst);
    if (!st.ok() && !kube::IsNotFound(st)) {
      log::Warn("controller", "terminating orphaned instance failed",
                {{"controller", std::string(Name())}, {"provider-id", inst.status.provider_id},
                 {"error", std::string(st.message())}});
      continue;
    }
    log::Info("controller", "garbage collected instance without a nodeclaim",
              {{"controller", std::string(Name())}, {"provider-id", inst.status.provider_id}});
  }
  for (const auto& c : cluster_.NodeClaims()) {
    if (!c.typed || c.typed->metadata.deletion_timestamp) continue;
    const auto& nc = *c.typed;
    if (nc.status.provider_id.empty() || !api::IsTrue(nc.status.conditions, "Registered")) continue;
    if (live.count(nc.status.provider_id)) continue;
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
