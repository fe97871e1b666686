#include "joinery/controllers/nodeclaim/lifecycle.h"

#include <algorithm>

#include "joinery/api/conditions.h"
#include "joinery/api/json.h"
#include "joinery/api/labels.h"
#include "joinery/common/log.h"
#include "joinery/common/status.h"
#include "joinery/kube/fenced_client.h"
#include "joinery/operator/metrics.h"
#include "joinery/state/snapshot.h"

namespace joinery::controllers {
namespace {

constexpr char kLogger[] = "controller";

// Removes every taint with `key` from a Node's JSON spec (dropping an emptied list); returns whether
// one was there.
bool StripTaint(kube::Json& spec, std::string_view key) {
  if (!spec.is_object() || !spec.contains("taints") || !spec["taints"].is_array()) return false;
  kube::Json kept = kube::Json::array();
  for (const auto& t : spec["taints"]) {
    if (t.value("key", "") != key) kept.push_back(t);
  }
  bool found = kept.size() != spec["taints"].size();
  if (kept.empty()) {
    spec.erase("taints");
  } else {
    spec["taints"] = std::move(kept);
  }
  return found;
}

bool SameTaint(const api::Taint& a, const api::Taint& b) {
  return a.key == b.key && a.effect == b.effect;
}

bool IsStandardResource(std::string_view name) {
  return name == api::kResourceCPU || name == api::kResourceMemory ||
         name == api::kResourcePods || name == api::kResourceEphemeralStorage;
}

bool HasFinalizer(const api::ObjectMeta& m, std::string_view f) {
  return std::find(m.finalizers.begin(), m.finalizers.end(), f) != m.finalizers.end();
}

std::string Truncate(std::string_view s, size_t n) {
  return std::string(s.size() <= n ? s : s.substr(0, n));
}

}  // namespace

kube::ObjectRef NodeClaimRef(const api::NodeClaim& nc) {
  kube::ObjectRef ref;
  ref.kind = "NodeClaim";
  ref.api_version = "karpenter.sh/v1";
  ref.name = nc.metadata.name;
  ref.uid = nc.metadata.uid;
  return ref;
}

NodeClaimLifecycle::NodeClaimLifecycle(state::Cluster& cluster, kube::Client& client,
                                       cloudprovider::CloudProvider& cloud,
                                       kube::EventSink& events, op::Metrics* metrics, Clock& clock,
                                       LifecycleOptions options)
    : cluster_(cluster),
      client_(client),
      cloud_(cloud),
      events_(events),
      metrics_(metrics),
      clock_(clock),
      options_(options) {}

absl::Status NodeClaimLifecycle::WriteStatus(api::NodeClaim& nc) {
  // A compare-and-swap on the resourceVersion this reconcile started from (and its own writes
  // since): a writer holding a stale copy, such as a deposed leader, fails with Conflict instead of
  // overwriting what another wrote meanwhile.
  kube::Json obj = api::ToJson(nc);
  auto written = client_.Update(kube::resources::NodeClaims(), "", obj, "status");
  if (!written.ok()) return written.status();
  nc.metadata.resource_version =
      written->value("metadata", kube::Json::object()).value("resourceVersion", "");
  return absl::OkStatus();
}

absl::Status NodeClaimLifecycle::PatchMetadata(api::NodeClaim& nc, kube::Json metadata) {
  // A merge patch that carries metadata.resourceVersion is conditional on it (Karpenter's
  // MergeFromWithOptimisticLock): lists such as finalizers are replaced whole, so a patch built
  // from a stale copy must not land.
  metadata["resourceVersion"] = nc.metadata.resource_version;
  auto patched = client_.Patch(kube::resources::NodeClaims(), "", nc.metadata.name,
                               kube::PatchType::kMerge, {{"metadata", std::move(metadata)}});
  if (!patched.ok()) return patched.status();
  nc.metadata.resource_version =
      patched->value("metadata", kube::Json::object()).value("resourceVersion", "");
  return absl::OkStatus();
}

absl::Status NodeClaimLifecycle::DeleteNodeClaim(const api::NodeClaim& nc,
                                                 std::string_view reason) {
  kube::DeleteOptions opts;
  opts.precondition_uid = nc.metadata.uid;
  absl::Status st = client_.Delete(kube::resources::NodeClaims(), "", nc.metadata.name, opts);
  if (!st.ok() && !kube::IsNotFound(st)) return st;
  log::Info(kLogger, "deleting nodeclaim",
            {{"controller", "nodeclaim.lifecycle"}, {"NodeClaim", {{"name", nc.metadata.name}}},
             {"reason", std::string(reason)}});
  return absl::OkStatus();
}

absl::StatusOr<Result> NodeClaimLifecycle::Reconcile(std::string_view key) {
  auto entry = cluster_.NodeClaim(std::string(key));
  if (!entry) return Result{};
  if (!entry->typed) {
    events_.Publish(kube::ObjectRef::FromJson(*entry->raw), kube::EventType::kWarning,
                    "FailedDecoding", entry->error);
    return Result{};
  }
  api::NodeClaim nc = *entry->typed;
  // Karpenter's IsManaged: only NodeClaims of a node class this provider serves (EC2NodeClass).
  // Others belong to another provisioner and are left alone entirely. A NodeClaim without a
  // karpenter.sh/nodepool label (a standalone NodeClaim) is managed and launched as Karpenter does.
  if (nc.spec.node_class_ref.group != "karpenter.k8s.aws" ||
      nc.spec.node_class_ref.kind != "EC2NodeClass") {
    return Result{};
  }
  if (nc.metadata.deletion_timestamp) return Finalize(nc);

  // Any write below that meets a Conflict means the copy this reconcile started from is stale (the
  // cache trails our own writes, or another writer got there first): look again shortly.
  const Result conflict_retry{absl::Seconds(1)};
  if (!HasFinalizer(nc.metadata, kTerminationFinalizer)) {
    // Added before anything is launched, so that no instance can outlive its NodeClaim.
    std::vector<std::string> finalizers = nc.metadata.finalizers;
    finalizers.push_back(kTerminationFinalizer);
    absl::Status st = PatchMetadata(nc, {{"finalizers", finalizers}});
    if (kube::IsConflict(st)) return conflict_retry;
    if (kube::IsNotFound(st)) return Result{};
    RETURN_IF_ERROR(st);
    nc.metadata.finalizers = std::move(finalizers);
  }

  const api::NodeClaim before = nc;
  const absl::Time now = clock_.Now();
  auto& conds = nc.status.conditions;
  const int64_t gen = nc.metadata.generation;

  // Launch.
  if (nc.status.provider_id.empty()) {
    absl::Time created = ParseRfc3339(nc.metadata.creation_timestamp);
    if (created != absl::InfinitePast() && now - created > options_.launch_timeout) {
      events_.Publish(NodeClaimRef(nc), kube::EventType::kWarning, "LaunchTimeout",
                      "NodeClaim was not launched in time");
      RETURN_IF_ERROR(DeleteNodeClaim(nc, "launch_timeout"));
      return Result{};
    }
    // A NodeClaim names the NodePool it belongs to; launching for a pool that does not exist
    // would create capacity nothing accounts for (limits, disruption).
    if (auto pool = nc.metadata.labels.find(api::kLabelNodePool);
        pool != nc.metadata.labels.end() && !cluster_.NodePool(pool->second)) {
      std::string msg = StrCat("NodePool \"", pool->second, "\" not found");
      api::SetCondition(conds, api::MakeCondition("Launched", "False", "NodePoolNotFound", msg, gen), now);
      api::SetCondition(conds, api::MakeCondition("Ready", "False", "UnhealthyDependents", "Launched=False", gen),
                        now);
      events_.Publish(NodeClaimRef(nc), kube::EventType::kWarning, "NodePoolNotFound",
                      StrCat("Cannot launch NodeClaim ", nc.metadata.name, ": ", msg));
      RETURN_IF_ERROR(WriteStatus(nc));
      return Result{absl::Seconds(30)};
    }
    bool deleted = false, cloud_failed = false;
    absl::Status st = Launch(nc, &deleted, &cloud_failed);
    if (deleted) return Result{};
    if (kube::IsConflict(st)) return conflict_retry;
    if (!st.ok() && !cloud_failed) return st;  // an API write failed: retried with backoff
    if (!st.ok()) {
      log::Error(kLogger, "failed launching nodeclaim",
                 {{"controller", "nodeclaim.lifecycle"},
                  {"NodeClaim", {{"name", nc.metadata.name}}},
                  {"error", std::string(st.message())}});
      // No instance type can satisfy it (kInvalidArgument): it will not launch until the catalog
      // changes, so Launched=False and the provisioner stops counting it as capacity; other
      // failures are transient (Unknown).
      const char* launched =
          st.code() == absl::StatusCode::kInvalidArgument ? "False" : "Unknown";
      api::SetCondition(conds, api::MakeCondition("Launched", launched, "LaunchFailed",
                                    Truncate(std::string(st.message()), 300), gen),
                        now);
      api::SetCondition(conds, api::MakeCondition("Ready", launched, "LaunchFailed", "", gen), now);
      (void)WriteStatus(nc);
      // Retry with backoff (1 s doubling to 1 min, as Karpenter's lifecycle queue), but never past
      // the launch timeout, which then deletes the NodeClaim on time.
      absl::Duration backoff = NextLaunchBackoff(nc.metadata.uid);
      if (created != absl::InfinitePast()) {
        backoff = std::min(backoff, std::max(absl::Seconds(1),
                                             created + options_.launch_timeout - now +
                                                 absl::Milliseconds(100)));
      }
      return Result{backoff};
    }
    ForgetLaunchBackoff(nc.metadata.uid);
  }
  if (!api::FindCondition(conds, "Launched") || !api::IsTrue(conds, "Launched")) {
    api::SetCondition(conds, api::MakeCondition("Launched", "True", "Launched", "", gen), now);
  }

  // Registration.
  Result result;
  auto node_entry = cluster_.NodeByProviderID(nc.status.provider_id);
  if ((!node_entry || !node_entry->typed) && api::IsTrue(conds, "Registered")) {
    // Registered once: a Node that is gone now stays gone, and garbage collection (which only
    // looks at Registered NodeClaims) removes the NodeClaim once its instance is gone too.
  } else if (!node_entry || !node_entry->typed) {
    api::SetCondition(conds, api::MakeCondition("Registered", "Unknown", "NodeNotFound",
                                  "Node not registered with cluster", gen),
                      now);
    api::SetCondition(conds, api::MakeCondition("Initialized", "Unknown", "NodeNotFound",
                                  "Node not registered with cluster", gen),
                      now);
    const api::Condition* launched = api::FindCondition(conds, "Launched");
    absl::Time since = launched ? ParseRfc3339(launched->last_transition_time) : now;
    if (since == absl::InfinitePast()) since = now;
    if (now - since > options_.registration_timeout) {
      events_.Publish(NodeClaimRef(nc), kube::EventType::kWarning, "RegistrationTimeout",
                      "NodeClaim did not register a Node in time");
      RETURN_IF_ERROR(DeleteNodeClaim(nc, "registration_timeout"));
      return Result{};
    }
    result.requeue_after = std::min(absl::Seconds(30), options_.registration_timeout - (now - since));
  } else {
    const api::Node& node = *node_entry->typed;
    if (!api::IsTrue(conds, "Registered")) {
      RETURN_IF_ERROR(Register(nc, node));
    } else if (HasUnregisteredTaint(node)) {
      RETURN_IF_ERROR(RemoveUnregisteredTaint(nc, node));
    }
    Initialize(nc, node);
    if (!api::IsTrue(conds, "Initialized")) result.requeue_after = absl::Seconds(5);
  }
  bool ready = api::IsTrue(conds, "Launched") && api::IsTrue(conds, "Registered") &&
               api::IsTrue(conds, "Initialized");
  if (ready) {
    api::SetCondition(conds, api::MakeCondition("Ready", "True", "Ready", "", gen), now);
  } else {
    std::string why;
    for (const char* t : {"Launched", "Registered", "Initialized"}) {
      if (!api::IsTrue(conds, t)) {
        const api::Condition* c = api::FindCondition(conds, t);
        why = StrCat(t, "=", c ? c->status : "Unknown");
        break;
      }
    }
    api::SetCondition(conds, api::MakeCondition("Ready", "Unknown", "UnhealthyDependents", why, gen), now);
  }
  if (api::ToJson(nc).value("status", kube::Json::object()) !=
      api::ToJson(before).value("status", kube::Json::object())) {
    absl::Status st = WriteStatus(nc);
    if (kube::IsConflict(st)) return conflict_retry;
    if (kube::IsNotFound(st)) return Result{};
    RETURN_IF_ERROR(st);
  }
  return result;
}

absl::Status NodeClaimLifecycle::Launch(api::NodeClaim& nc, bool* deleted, bool* cloud_failed) {
  api::NodeClaim hydrated;
  bool cached = false;
  {
    std::lock_guard lock(mu_);
    auto it = launched_.find(nc.metadata.uid);
    if (it != launched_.end()) {
      hydrated = it->second;
      cached = true;
    }
  }
  if (!cached) {
    // The cache may trail the API server: a NodeClaim that another replica (or this one, before a
    // restart) launched already is never launched again. A quorum read settles it.
    auto fresh = client_.Get(kube::resources::NodeClaims(), "", nc.metadata.name);
    if (!fresh.ok()) {
      if (kube::IsNotFound(fresh.status())) {
        *deleted = true;
        return absl::OkStatus();
      }
      return Annotate(fresh.status(), "reading nodeclaim before launch");
    }
    const kube::Json fresh_status = fresh->value("status", kube::Json::object());
    if (!fresh_status.value("providerID", "").empty() ||
        fresh->value("metadata", kube::Json::object()).value("uid", "") != nc.metadata.uid) {
      return absl::AbortedError("nodeclaim changed since it was read (launched already)");
    }
    // The cloud provider's Create is idempotent per NodeClaim: an instance launched for it before
    // (whose launch was never recorded) is returned rather than launched again.
    auto created = cloud_.Create(nc);
    if (!created.ok()) {
      const absl::Status& st = created.status();
      if (kube::IsNotLeader(st)) return st;
      if (metrics_) metrics_->CloudProviderError("Create", st, Name());
      if (cloudprovider::IsInsufficientCapacity(st) ||
          st.code() == absl::StatusCode::kFailedPrecondition) {
        events_.Publish(NodeClaimRef(nc), kube::EventType::kWarning,
                        cloudprovider::IsInsufficientCapacity(st) ? "InsufficientCapacityError"
                                                                  : "NodeClassNotReady",
                        StrCat("NodeClaim ", nc.metadata.name, " event: ", st.message()));
        log::Error(kLogger, "failed launching nodeclaim",
                   {{"controller", "nodeclaim.lifecycle"},
                    {"NodeClaim", {{"name", nc.metadata.name}}},
                    {"error", std::string(st.message())}});
        RETURN_IF_ERROR(DeleteNodeClaim(nc, cloudprovider::IsInsufficientCapacity(st)
                                                ? "insufficient_capacity"
                                                : "nodeclass_not_ready"));
        *deleted = true;
        return absl::OkStatus();
      }
      *cloud_failed = true;
      return Annotate(st, "launching nodeclaim");
    }
    hydrated = *std::move(created);
    std::lock_guard lock(mu_);
    launched_[nc.metadata.uid] = hydrated;
  }
  // Labels resolved by the provider; the NodeClaim's own labels win.
  kube::Json labels = kube::Json::object();
  for (const auto& [k, v] : hydrated.metadata.labels) {
    if (!nc.metadata.labels.count(k)) {
      labels[k] = v;
      nc.metadata.labels[k] = v;
    }
  }
  absl::Status st;
  if (!labels.empty()) st = PatchMetadata(nc, {{"labels", labels}});
  nc.status.provider_id = hydrated.status.provider_id;
  nc.status.image_id = hydrated.status.image_id;
  nc.status.capacity = hydrated.status.capacity;
  nc.status.allocatable = hydrated.status.allocatable;
  api::SetCondition(nc.status.conditions,
                    api::MakeCondition("Launched", "True", "Launched", "", nc.metadata.generation),
                    clock_.Now());
  if (st.ok()) st = WriteStatus(nc);
  if (kube::IsConflict(st)) return ResolveLaunchConflict(nc, hydrated);
  if (kube::IsNotFound(st)) {
    // Deleted while launching: the finalizer made it wait, so Finalize terminates the instance
    // (the launch cache names it).
    *deleted = true;
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(st);
  if (!cached && metrics_) metrics_->NodeClaimLaunched(nc.metadata.labels[std::string(api::kLabelNodePool)]);
  auto label = [&](std::string_view k) {
    auto it = nc.metadata.labels.find(k);
    return it == nc.metadata.labels.end() ? std::string() : it->second;
  };
  log::Info(kLogger, "launched nodeclaim",
            {{"controller", "nodeclaim.lifecycle"},
             {"NodeClaim", {{"name", nc.metadata.name}}},
             {"provider-id", nc.status.provider_id},
             {"instance-type", label(api::kLabelInstanceType)},
             {"zone", label(api::kLabelZone)},
             {"capacity-type", label(api::kLabelCapacityType)},
             {"allocatable", api::ResourceListToJson(nc.status.allocatable)}});
  return absl::OkStatus();
}

absl::Status NodeClaimLifecycle::ResolveLaunchConflict(const api::NodeClaim& nc,
                                                       const api::NodeClaim& hydrated) {
  // The NodeClaim changed under this launch. If it records another instance now, ours is a
  // duplicate (two writers launched for it): terminate ours. Otherwise keep it and write again.
  auto fresh = client_.Get(kube::resources::NodeClaims(), "", nc.metadata.name);
  if (!fresh.ok()) return kube::IsNotFound(fresh.status()) ? absl::OkStatus() : fresh.status();
  std::string recorded = fresh->value("status", kube::Json::object()).value("providerID", "");
  if (recorded.empty() || recorded == hydrated.status.provider_id) {
    return absl::AbortedError("nodeclaim changed during launch; recording it again");
  }
  log::Warn(kLogger, "terminating duplicate instance: the nodeclaim records another",
            {{"controller", "nodeclaim.lifecycle"},
             {"NodeClaim", {{"name", nc.metadata.name}}},
             {"provider-id", hydrated.status.provider_id},
             {"recorded-provider-id", recorded}});
  absl::Status st = cloud_.Delete(hydrated);
  if (!st.ok() && !kube::IsNotFound(st)) {
    // Garbage collection terminates it later: no NodeClaim holds its providerID.
    return Annotate(st, "terminating duplicate instance");
  }
  std::lock_guard lock(mu_);
  launched_.erase(nc.metadata.uid);
  return absl::AbortedError("nodeclaim records another instance; duplicate terminated");
}

absl::Duration NodeClaimLifecycle::NextLaunchBackoff(const std::string& uid) {
  std::lock_guard lock(mu_);
  int& attempts = launch_failures_[uid];
  absl::Duration d = absl::Seconds(1) * (int64_t{1} << std::min(attempts, 6));
  ++attempts;
  return std::min(d, absl::Minutes(1));
}

void NodeClaimLifecycle::ForgetLaunchBackoff(const std::string& uid) {
  std::lock_guard lock(mu_);
  launch_failures_.erase(uid);
}

bool NodeClaimLifecycle::HasUnregisteredTaint(const api::Node& node) {
  return std::any_of(node.taints.begin(), node.taints.end(),
                     [](const api::Taint& t) { return t.key == api::kTaintUnregistered; });
}

absl::Status NodeClaimLifecycle::RemoveUnregisteredTaint(const api::NodeClaim& nc,
                                                         const api::Node& node) {
  // A registered Node should not carry the taint, but a writer that patches spec.taints from a
  // stale copy without a resourceVersion can put it back: kube-controller-manager 1.20 (the version
  // the integration tests run) does exactly that when it lifts node.kubernetes.io/not-ready right
  // after the Node joins. Strip it again from the current Node (a conditional update; no write when
  // it is already gone).
  bool removed = false;
  auto updated = kube::UpdateWithRetry(
      client_, kube::resources::Nodes(), "", node.metadata.name,
      [&](kube::Json& obj) -> absl::StatusOr<bool> {
        removed = StripTaint(obj["spec"], api::kTaintUnregistered);
        return removed;
      });
  RETURN_IF_ERROR(updated.status());
  if (removed) {
    log::Info(kLogger, "removed the karpenter.sh/unregistered taint again",
              {{"controller", "nodeclaim.lifecycle"},
               {"NodeClaim", {{"name", nc.metadata.name}}},
               {"Node", {{"name", node.metadata.name}}}});
  }
  return absl::OkStatus();
}

absl::Status NodeClaimLifecycle::Register(api::NodeClaim& nc, const api::Node& node) {
  bool missing_unregistered = true;
  // Registered by an earlier reconcile whose status write the cache has not shown yet: the Node
  // already carries this NodeClaim's owner reference and the registered label.
  bool already_registered = false;
  auto updated = kube::UpdateWithRetry(
      client_, kube::resources::Nodes(), "", node.metadata.name,
      [&](kube::Json& obj) -> absl::StatusOr<bool> {
        auto& meta = obj["metadata"];
        auto& labels = meta["labels"];
        if (!labels.is_object()) labels = kube::Json::object();
        already_registered = labels.value(std::string(api::kLabelRegistered), "") == "true";
        for (const auto& [k, v] : nc.metadata.labels) labels[k] = v;
        labels[std::string(api::kLabelRegistered)] = "true";
        auto& annotations = meta["annotations"];
        if (!annotations.is_object()) annotations = kube::Json::object();
        for (const auto& [k, v] : nc.metadata.annotations) annotations[k] = v;
        auto& finalizers = meta["finalizers"];
        if (!finalizers.is_array()) finalizers = kube::Json::array();
        if (std::find(finalizers.begin(), finalizers.end(), kTerminationFinalizer) ==
            finalizers.end()) {
          finalizers.push_back(kTerminationFinalizer);
        }
        auto& owners = meta["ownerReferences"];
        if (!owners.is_array()) owners = kube::Json::array();
        bool owned = false;
        for (const auto& o : owners) owned |= o.value("uid", "") == nc.metadata.uid;
        already_registered = already_registered && owned;
        if (!owned) {
          owners.push_back({{"apiVersion", "karpenter.sh/v1"},
                            {"kind", "NodeClaim"},
                            {"name", nc.metadata.name},
                            {"uid", nc.metadata.uid},
                            {"blockOwnerDeletion", true}});
        }
        auto& spec = obj["spec"];
        if (!spec.is_object()) spec = kube::Json::object();
        missing_unregistered = !StripTaint(spec, api::kTaintUnregistered);
        kube::Json kept = spec.value("taints", kube::Json::array());
        bool sync_taints = labels.value(std::string(api::kLabelDoNotSyncTaints), "") != "true";
        if (sync_taints) {
          std::vector<api::Taint> want = nc.spec.taints;
          want.insert(want.end(), nc.spec.startup_taints.begin(), nc.spec.startup_taints.end());
          for (const auto& w : want) {
            bool present = false;
            for (const auto& t : kept) {
              present |= t.value("key", "") == w.key && t.value("effect", "") == w.effect;
            }
            if (!present) kept.push_back(api::TaintsToJson({w})[0]);
          }
        }
        if (kept.empty()) {
          spec.erase("taints");
        } else {
          spec["taints"] = kept;
        }
        return true;
      });
  RETURN_IF_ERROR(updated.status());
  if (missing_unregistered && !already_registered) {
    events_.Publish(NodeClaimRef(nc), kube::EventType::kWarning, "UnregisteredTaintMissing",
                    StrCat("Missing karpenter.sh/unregistered taint which prevents registration "
                           "related race conditions on Karpenter-managed nodes"));
  }
  nc.status.node_name = node.metadata.name;
  api::SetCondition(nc.status.conditions,
                    api::MakeCondition("Registered", "True", "Registered", "", nc.metadata.generation),
                    clock_.Now());
  if (already_registered) return absl::OkStatus();
  if (metrics_) metrics_->NodeClaimRegistered(nc.metadata.labels[std::string(api::kLabelNodePool)]);
  log::Info(kLogger, "registered nodeclaim",
            {{"controller", "nodeclaim.lifecycle"},
             {"NodeClaim", {{"name", nc.metadata.name}}},
             {"provider-id", nc.status.provider_id},
             {"Node", {{"name", node.metadata.name}}}});
  return absl::OkStatus();
}

void NodeClaimLifecycle::Initialize(api::NodeClaim& nc, const api::Node& node) {
  auto& conds = nc.status.conditions;
  const int64_t gen = nc.metadata.generation;
  const absl::Time now = clock_.Now();
  if (api::IsTrue(conds, "Initialized")) return;
  if (!api::IsNodeReady(node)) {
    api::SetCondition(conds, api::MakeCondition("Initialized", "Unknown", "NodeNotReady", "Node status is NotReady", gen), now);
    return;
  }
  for (const auto& t : node.taints) {
    for (const auto& s : nc.spec.startup_taints) {
      if (SameTaint(s, t)) {
        api::SetCondition(conds, api::MakeCondition("Initialized", "Unknown", "StartupTaintsExist",
                                      StrCat("StartupTaint \"", t.key, "\" still exists"), gen),
                          now);
        return;
      }
    }
    if (state::IsEphemeralTaint(t)) {
      api::SetCondition(conds, api::MakeCondition("Initialized", "Unknown", "KnownEphemeralTaintsExist",
                                    StrCat("KnownEphemeralTaint \"", t.key, "\" still exists"), gen),
                        now);
      return;
    }
  }
  for (const auto& [name, q] : nc.spec.resource_requests) {
    if (IsStandardResource(name) || q.IsZero()) continue;
    auto it = node.allocatable.find(name);
    if (it == node.allocatable.end() || it->second.IsZero()) {
      api::SetCondition(conds, api::MakeCondition("Initialized", "Unknown", "ResourceNotRegistered",
                                    StrCat("Resource \"", name, "\" was requested but not registered"),
                                    gen),
                        now);
      return;
    }
  }
  auto patched = client_.Patch(
      kube::resources::Nodes(), "", node.metadata.name, kube::PatchType::kMerge,
      {{"metadata", {{"labels", {{std::string(api::kLabelInitialized), "true"}}}}}});
  if (!patched.ok()) return;  // retried on the next reconcile
  api::SetCondition(conds, api::MakeCondition("Initialized", "True", "Initialized", "", gen), now);
  if (metrics_) {
    auto pool = nc.metadata.labels.find(api::kLabelNodePool);
    metrics_->NodeClaimInitialized(pool == nc.metadata.labels.end() ? "" : pool->second);
  }
  log::Info(kLogger, "initialized nodeclaim",
            {{"controller", "nodeclaim.lifecycle"},
             {"NodeClaim", {{"name", nc.metadata.name}}},
             {"Node", {{"name", node.metadata.name}}},
             {"allocatable", api::ResourceListToJson(node.allocatable)}});
}

absl::StatusOr<Result> NodeClaimLifecycle::Finalize(const api::NodeClaim& deleting) {
  if (!HasFinalizer(deleting.metadata, kTerminationFinalizer)) return Result{};
  api::NodeClaim nc = deleting;
  if (nc.status.provider_id.empty()) {
    // Launched, but the status write that records it failed: the launch cache still knows the
    // instance, which must not outlive its NodeClaim.
    std::lock_guard lock(mu_);
    if (auto it = launched_.find(nc.metadata.uid); it != launched_.end()) {
      nc.status.provider_id = it->second.status.provider_id;
    }
  }
  if (!nc.status.provider_id.empty()) {
    // The Node goes first: its termination drains the pods.
    if (auto node = cluster_.NodeByProviderID(nc.status.provider_id); node && node->typed) {
      if (!node->typed->metadata.deletion_timestamp) {
        absl::Status st = client_.Delete(kube::resources::Nodes(), "", node->typed->metadata.name);
        if (!st.ok() && !kube::IsNotFound(st)) return st;
      }
      return Result{absl::Seconds(2)};
    }
    absl::Status st = cloud_.Delete(nc);
    if (st.ok()) {
      api::NodeClaim copy = nc;
      api::SetCondition(copy.status.conditions,
                        api::MakeCondition("InstanceTerminating", "True", "InstanceTerminating", "",
                             nc.metadata.generation),
                        clock_.Now());
      (void)WriteStatus(copy);
      return Result{absl::Seconds(2)};
    }
    if (!kube::IsNotFound(st)) {
      if (metrics_) metrics_->CloudProviderError("Delete", st, Name());
      return Annotate(st, "terminating instance");
    }
  }
  RETURN_IF_ERROR(kube::RemoveFinalizer(client_, kube::resources::NodeClaims(), "",
                                        nc.metadata.name, kTerminationFinalizer));
  {
    std::lock_guard lock(mu_);
    launched_.erase(nc.metadata.uid);
    launch_failures_.erase(nc.metadata.uid);
  }
  if (metrics_) {
    auto it = nc.metadata.labels.find(api::kLabelNodePool);
    metrics_->NodeClaimTerminated(it == nc.metadata.labels.end() ? "" : it->second);
  }
  log::Info(kLogger, "deleted nodeclaim",
            {{"controller", "nodeclaim.lifecycle"},
             {"NodeClaim", {{"name", nc.metadata.name}}},
             {"provider-id", nc.status.provider_id}});
  return Result{};
}

}  // namespace joinery::controllers
