#include "joinery/controllers/nodepool/status.h"

#include "joinery/api/conditions.h"
#include "joinery/api/json.h"
#include "joinery/api/labels.h"
#include "joinery/api/validate.h"
#include "joinery/common/status.h"
#include "joinery/controllers/provisioning/provisioner.h"
#include "joinery/operator/metrics.h"

namespace joinery::controllers {
namespace {

// Reads status.conditions of a raw object into typed conditions.
std::vector<api::Condition> RawConditions(const kube::Json& obj) {
  std::vector<api::Condition> out;
  const auto& status = obj.value("status", kube::Json::object());
  for (const auto& c : status.value("conditions", kube::Json::array())) {
    api::Condition cond;
    cond.type = c.value("type", "");
    cond.status = c.value("status", "");
    cond.reason = c.value("reason", "");
    cond.message = c.value("message", "");
    cond.last_transition_time = c.value("lastTransitionTime", "");
    cond.observed_generation = c.value("observedGeneration", int64_t{0});
    out.push_back(std::move(cond));
  }
  return out;
}

}  // namespace

NodePoolStatus::NodePoolStatus(state::Cluster& cluster, kube::Client& client,
                               op::Metrics* metrics, Clock& clock)
    : cluster_(cluster), client_(client), metrics_(metrics), clock_(clock) {}

absl::StatusOr<Result> NodePoolStatus::Reconcile(std::string_view key) {
  auto entry = cluster_.NodePool(std::string(key));
  if (!entry) return Result{};
  const kube::Json& raw = *entry->raw;
  const int64_t gen = raw["metadata"].value("generation", int64_t{0});
  const absl::Time now = clock_.Now();
  std::vector<api::Condition> conds = RawConditions(raw);

  // ValidationSucceeded.
  absl::Status valid = entry->typed ? api::ValidateNodePool(*entry->typed)
                                    : absl::InvalidArgumentError(entry->error);
  if (valid.ok()) {
    api::SetCondition(conds, api::MakeCondition("ValidationSucceeded", "True", "ValidationSucceeded", "", gen), now);
  } else {
    api::SetCondition(conds, api::MakeCondition("ValidationSucceeded", "False", "NodePoolValidationFailed",
                                  std::string(valid.message()), gen),
                      now);
  }

  // NodeClassReady.
  std::string class_name = raw.value("spec", kube::Json::object())
                               .value("template", kube::Json::object())
                               .value("spec", kube::Json::object())
                               .value("nodeClassRef", kube::Json::object())
                               .value("name", "");
  auto nc = cluster_.NodeClass(class_name);
  if (!nc) {
    api::SetCondition(conds, api::MakeCondition("NodeClassReady", "False", "NodeClassNotFound",
                                  "NodeClass not found on cluster", gen),
                      now);
  } else if (nc->raw->value("metadata", kube::Json::object()).contains("deletionTimestamp")) {
    api::SetCondition(conds, api::MakeCondition("NodeClassReady", "False", "NodeClassTerminating",
                                  "NodeClass is Terminating", gen),
                      now);
  } else {
    const api::Condition* ready = nullptr;
    auto class_conds = RawConditions(*nc->raw);
    ready = api::FindCondition(class_conds, "Ready");
    if (!ready || ready->status == "Unknown") {
      api::SetCondition(conds, api::MakeCondition("NodeClassReady", "Unknown", "NodeClassReadinessUnknown",
                                    "Node Class Readiness Unknown", gen),
                        now);
    } else if (ready->status == "True") {
      api::SetCondition(conds, api::MakeCondition("NodeClassReady", "True", "NodeClassReady", "", gen), now);
    } else {
      api::SetCondition(conds, api::MakeCondition("NodeClassReady", "False",
                                    ready->reason.empty() ? "NodeClassNotReady" : ready->reason,
                                    ready->message, gen),
                        now);
    }
  }

  // Ready: the root condition.
  std::string not_ready;
  for (const char* t : {"ValidationSucceeded", "NodeClassReady"}) {
    const api::Condition* c = api::FindCondition(conds, t);
    if (!c || c->status != "True") {
      if (!not_ready.empty()) not_ready += ", ";
      not_ready += StrCat(t, "=", c ? c->status : "Unknown");
    }
  }
  if (not_ready.empty()) {
    api::SetCondition(conds, api::MakeCondition("Ready", "True", "Ready", "", gen), now);
  } else {
    api::SetCondition(conds, api::MakeCondition("Ready", "False", "UnhealthyDependents", not_ready, gen), now);
  }

  // Resources in use: every NodeClaim of the pool (the Node's capacity once registered).
  ResourceList resources;
  int64_t nodes = 0;
  for (const auto& c : cluster_.NodeClaims()) {
    if (!c.typed) continue;
    auto pool = c.typed->metadata.labels.find(api::kLabelNodePool);
    if (pool == c.typed->metadata.labels.end() || pool->second != key) continue;
    ++nodes;
    const ResourceList* cap = &c.typed->status.capacity;
    std::optional<state::Entry<api::Node>> node;
    if (!c.typed->status.provider_id.empty()) {
      node = cluster_.NodeByProviderID(c.typed->status.provider_id);
      if (node && node->typed && !node->typed->capacity.empty()) cap = &node->typed->capacity;
    }
    // A zero Quantity takes the addend's format, so memory stays "30310Mi", not bytes.
    for (const auto& [name, q] : *cap) resources[name] += q;
  }
  resources[std::string(api::kResourceNodes)] = Quantity::FromUnits(nodes);

  kube::Json status = raw.value("status", kube::Json::object());
  kube::Json want = status;
  want["conditions"] = api::ConditionsToJson(conds);
  want["resources"] = api::ResourceListToJson(resources);
  want["nodes"] = nodes;
  if (metrics_ && entry->typed) {
    for (const auto& [name, q] : resources) metrics_->NodePoolUsage(key, name).Set(static_cast<double>(q.milli()) / 1000.0);
    for (const auto& [name, q] : entry->typed->limits) {
      metrics_->NodePoolLimit(key, name).Set(static_cast<double>(q.milli()) / 1000.0);
    }
  }
  if (want != status) {
    auto st = kube::UpdateWithRetry(
        client_, kube::resources::NodePools(), "", key,
        [&](kube::Json& obj) -> absl::StatusOr<bool> {
          if (obj.value("status", kube::Json::object()) == want) return false;
          obj["status"] = want;
          return true;
        },
        "status");
    if (!st.ok() && !kube::IsNotFound(st.status())) return st.status();
  }

  // karpenter.sh/nodepool-hash.
  if (entry->typed) {
    std::string hash = NodePoolHash(*entry->typed);
    const auto& ann = entry->typed->metadata.annotations;
    auto it = ann.find(api::kAnnotationNodePoolHash);
    if (it == ann.end() || it->second != hash) {
      auto st = client_.Patch(
          kube::resources::NodePools(), "", key, kube::PatchType::kMerge,
          {{"metadata",
            {{"annotations",
              {{std::string(api::kAnnotationNodePoolHash), hash},
               {std::string(api::kAnnotationNodePoolHashVersion), kNodePoolHashVersion}}}}}});
      if (!st.ok() && !kube::IsNotFound(st.status())) return st.status();
    }
  }
  return Result{absl::Seconds(30)};
}

}  // namespace joinery::controllers
