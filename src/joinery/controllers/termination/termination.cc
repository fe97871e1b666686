#include "joinery/controllers/termination/termination.h"

#include <algorithm>

#include "joinery/api/conditions.h"
#include "joinery/api/labels.h"
#include "joinery/common/log.h"
#include "joinery/common/status.h"
#include "joinery/controllers/nodeclaim/lifecycle.h"
#include "joinery/scheduling/taints.h"
#include "joinery/state/snapshot.h"

namespace joinery::controllers {
namespace {

bool IsCritical(const api::Pod& p) {
  return p.spec.priority_class_name == "system-cluster-critical" ||
         p.spec.priority_class_name == "system-node-critical";
}

api::Taint DisruptedTaint() {
  api::Taint t;
  t.key = std::string(api::kTaintDisrupted);
  t.effect = "NoSchedule";
  return t;
}

}  // namespace

NodeTermination::NodeTermination(state::Cluster& cluster, kube::Client& client,
                                 cloudprovider::CloudProvider& cloud, kube::EventSink& events,
                                 Clock& clock)
    : cluster_(cluster), client_(client), cloud_(cloud), events_(events), clock_(clock) {}

absl::Status NodeTermination::Evict(const api::Pod& pod) {
  auto body = [&](const char* version) {
    return kube::Json{{"apiVersion", version},
                      {"kind", "Eviction"},
                      {"metadata", {{"name", pod.metadata.name},
                                    {"namespace", pod.metadata.namespace_}}}};
  };
  auto r = client_.CreateSubresource(kube::resources::Pods(), pod.metadata.namespace_,
                                     pod.metadata.name, "eviction", body("policy/v1"));
  if (r.status().code() == absl::StatusCode::kInvalidArgument) {
    // Kubernetes before 1.22 only knows policy/v1beta1 Evictions.
    r = client_.CreateSubresource(kube::resources::Pods(), pod.metadata.namespace_,
                                  pod.metadata.name, "eviction", body("policy/v1beta1"));
  }
  if (r.ok() || kube::IsNotFound(r.status())) {
    log::Info("controller", "evicted pod",
              {{"controller", "node.termination"},
               {"Pod", {{"name", pod.metadata.name}, {"namespace", pod.metadata.namespace_}}},
               {"Node", {{"name", pod.spec.node_name}}}});
    return absl::OkStatus();
  }
  return r.status();
}

absl::StatusOr<Result> NodeTermination::Reconcile(std::string_view key) {
  auto entry = cluster_.Node(std::string(key));
  if (!entry || !entry->typed) return Result{};
  const api::Node& node = *entry->typed;
  if (!node.metadata.deletion_timestamp) return Result{};
  const auto& fins = node.metadata.finalizers;
  if (std::find(fins.begin(), fins.end(), kTerminationFinalizer) == fins.end()) return Result{};

  // Deleting the Node ends its NodeClaim as well.
  std::shared_ptr<const api::NodeClaim> claim;
  if (!node.provider_id.empty()) {
    if (auto c = cluster_.NodeClaimByProviderID(node.provider_id); c && c->typed) {
      claim = c->typed;
      if (!claim->metadata.deletion_timestamp) {
        absl::Status st = client_.Delete(kube::resources::NodeClaims(), "", claim->metadata.name);
        if (!st.ok() && !kube::IsNotFound(st)) return st;
      }
    }
  }

  // The instance is gone and the Node no longer Ready (its kubelet went with it): nothing is left
  // to drain, as Karpenter decides, so the Node goes at once. A Ready Node has a running kubelet
  // whatever the provider says, and is drained.
  if (!api::IsNodeReady(node) && !node.provider_id.empty()) {
    auto instance = cloud_.Get(node.provider_id);
    if (!instance.ok() && kube::IsNotFound(instance.status())) {
      RETURN_IF_ERROR(kube::RemoveFinalizer(client_, kube::resources::Nodes(), "",
                                            node.metadata.name, kTerminationFinalizer));
      log::Info("controller", "deleted node",
                {{"controller", "node.termination"}, {"Node", {{"name", node.metadata.name}}},
                 {"reason", "instance already terminated"}});
      return Result{};
    }
  }

  // Cordon and taint.
  const api::Taint disrupted = DisruptedTaint();
  bool tainted = std::any_of(node.taints.begin(), node.taints.end(), [&](const api::Taint& t) {
    return t.key == disrupted.key && t.effect == disrupted.effect;
  });
  if (!tainted || !node.unschedulable) {
    auto st = kube::UpdateWithRetry(
        client_, kube::resources::Nodes(), "", node.metadata.name,
        [&](kube::Json& obj) -> absl::StatusOr<bool> {
          auto& spec = obj["spec"];
          bool changed = false;
          if (!spec.value("unschedulable", false)) {
            spec["unschedulable"] = true;
            changed = true;
          }
          auto taints = spec.value("taints", kube::Json::array());
          bool has = false;
          for (const auto& t : taints) {
            has |= t.value("key", "") == disrupted.key && t.value("effect", "") == "NoSchedule";
          }
          if (!has) {
            taints.push_back({{"key", disrupted.key}, {"effect", "NoSchedule"}});
            spec["taints"] = taints;
            changed = true;
          }
          return changed;
        });
    if (!st.ok() && !kube::IsNotFound(st.status())) return st.status();
  }

  // Drain, in tiers.
  const absl::Time now = clock_.Now();
  std::vector<api::Pod> tiers[4];
  int waiting = 0;
  for (const auto& e : cluster_.PodsOnNode(node.metadata.name)) {
    if (!e.typed) continue;
    const api::Pod& p = *e.typed;
    if (state::IsTerminal(p)) continue;
    if (p.metadata.annotations.count("kubernetes.io/config.mirror")) continue;
    if (scheduling::ToleratesAll(p.spec.tolerations, disrupted)) continue;
    if (p.metadata.deletion_timestamp) {
      absl::Time since = ParseRfc3339(*p.metadata.deletion_timestamp);
      if (since != absl::InfinitePast() && now - since > absl::Minutes(1)) continue;  // stuck
      ++waiting;
      continue;
    }
    int tier = (IsCritical(p) ? 2 : 0) + (state::IsOwnedByDaemonSet(p) ? 1 : 0);
    tiers[tier].push_back(p);
  }
  for (auto& tier : tiers) {
    if (tier.empty()) continue;
    for (const auto& p : tier) {
      absl::Status st = Evict(p);
      if (!st.ok()) {
        if (st.code() == absl::StatusCode::kResourceExhausted) {
          events_.Publish(kube::ObjectRef{"Pod", "v1", p.metadata.namespace_, p.metadata.name,
                                          p.metadata.uid, ""},
                          kube::EventType::kWarning, "FailedDraining",
                          StrCat("Failed to drain node, evicting pod ", p.metadata.namespace_, "/",
                                 p.metadata.name, ": ", st.message()));
        } else {
          log::Warn("controller", "evicting pod failed",
                    {{"controller", "node.termination"},
                     {"Pod", {{"name", p.metadata.name}, {"namespace", p.metadata.namespace_}}},
                     {"error", std::string(st.message())}});
        }
      }
    }
    return Result{absl::Seconds(1)};  // the next tier waits for this one
  }
  if (waiting > 0) return Result{absl::Seconds(1)};

  // Drained: end the instance, then let the Node go.
  if (claim) {
    absl::Status st = cloud_.Delete(*claim);
    if (!st.ok() && !kube::IsNotFound(st) && st.code() != absl::StatusCode::kNotFound) return st;
  }
  RETURN_IF_ERROR(kube::RemoveFinalizer(client_, kube::resources::Nodes(), "", node.metadata.name,
                                        kTerminationFinalizer));
  log::Info("controller", "deleted node",
            {{"controller", "node.termination"}, {"Node", {{"name", node.metadata.name}}}});
  return Result{};
}

}  // namespace joinery::controllers
