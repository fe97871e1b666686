#include "joinery/controllers/provisioning/provisioner.h"

#include <algorithm>
#include <set>

#include "joinery/common/hash.h"
#include "joinery/api/json.h"
#include "joinery/api/labels.h"
#include "joinery/api/validate.h"
#include "joinery/common/log.h"
#include "joinery/common/status.h"
#include "joinery/operator/metrics.h"
#include "joinery/state/snapshot.h"

namespace joinery::controllers {
namespace {

constexpr char kLogger[] = "controller";

bool NodeClassReady(const kube::Json& raw, std::string* reason) {
  const auto& status = raw.value("status", kube::Json::object());
  for (const auto& c : status.value("conditions", kube::Json::array())) {
    if (c.value("type", "") == "Ready") {
      if (c.value("status", "") == "True") return true;
      *reason = c.value("message", c.value("reason", "not ready"));
      return false;
    }
  }
  *reason = "readiness unknown";
  return false;
}

std::vector<std::string> NodeClassZones(const kube::Json& raw) {
  std::set<std::string> zones;
  const auto& status = raw.value("status", kube::Json::object());
  for (const auto& s : status.value("subnets", kube::Json::array())) {
    std::string z = s.value("zone", "");
    if (!z.empty()) zones.insert(z);
  }
  return {zones.begin(), zones.end()};
}

// Lenient reads of an object that did not decode: whatever has the wrong type reads as absent.
const kube::Json* Member(const kube::Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}
std::string StringAt(const kube::Json& j, std::string_view key) {
  const kube::Json* v = Member(j, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}
const kube::Json& ObjectAt(const kube::Json& j, std::string_view key) {
  static const kube::Json kEmpty = kube::Json::object();
  const kube::Json* v = Member(j, key);
  return v != nullptr && v->is_object() ? *v : kEmpty;
}
const kube::Json& ArrayAt(const kube::Json& j, std::string_view key) {
  static const kube::Json kEmpty = kube::Json::array();
  const kube::Json* v = Member(j, key);
  return v != nullptr && v->is_array() ? *v : kEmpty;
}

// IsProvisionable (snapshot/builder.h) read from the API server's JSON, for a pod that did not
// decode: kube-scheduler marked it Unschedulable and nothing else disqualifies it, so it is a pod
// Karpenter would provision for, which the provisioner has to report rather than drop.
bool LooksProvisionable(const kube::Json& pod) {
  const kube::Json& meta = ObjectAt(pod, "metadata");
  const kube::Json& spec = ObjectAt(pod, "spec");
  const kube::Json& status = ObjectAt(pod, "status");
  if (!StringAt(spec, "nodeName").empty() || Member(meta, "deletionTimestamp") != nullptr) {
    return false;
  }
  const std::string phase = StringAt(status, "phase");
  if (phase == "Succeeded" || phase == "Failed") return false;
  if (Member(ObjectAt(meta, "annotations"), "kubernetes.io/config.mirror") != nullptr) return false;
  for (const auto& o : ArrayAt(meta, "ownerReferences")) {
    if (StringAt(o, "kind") == "DaemonSet") return false;
  }
  for (const auto& c : ArrayAt(status, "conditions")) {
    if (StringAt(c, "type") == "PodScheduled" && StringAt(c, "status") == "False" &&
        StringAt(c, "reason") == "Unschedulable") {
      return true;
    }
  }
  return false;
}

kube::ObjectRef PodRef(const kube::Json& raw) {
  const kube::Json& meta = ObjectAt(raw, "metadata");
  kube::ObjectRef ref;
  ref.kind = "Pod";
  ref.api_version = "v1";
  ref.ns = StringAt(meta, "namespace");
  ref.name = StringAt(meta, "name");
  ref.uid = StringAt(meta, "uid");
  return ref;
}

// What the provisioner remembers a pod by between passes.
std::string PodIdentity(const kube::ObjectRef& pod) {
  return pod.uid.empty() ? StrCat(pod.ns, "/", pod.name) : pod.uid;
}

kube::ObjectRef PodRef(const api::Pod& p) {
  kube::ObjectRef ref;
  ref.kind = "Pod";
  ref.api_version = "v1";
  ref.ns = p.metadata.namespace_;
  ref.name = p.metadata.name;
  ref.uid = p.metadata.uid;
  return ref;
}

}  // namespace

std::string NodePoolHash(const api::NodePool& pool) {
  const auto& t = pool.template_;
  nlohmann::json j;
  j["labels"] = t.labels;
  j["annotations"] = t.annotations;
  j["taints"] = api::TaintsToJson(t.spec.taints);
  j["startupTaints"] = api::TaintsToJson(t.spec.startup_taints);
  j["nodeClassRef"] = {{"group", t.spec.node_class_ref.group},
                       {"kind", t.spec.node_class_ref.kind},
                       {"name", t.spec.node_class_ref.name}};
  j["expireAfter"] = t.spec.expire_after.text;
  if (t.spec.termination_grace_period) {
    j["terminationGracePeriod"] = t.spec.termination_grace_period->text;
  }
  return std::to_string(Fnv1a64(j.dump()));
}

std::vector<api::NodePool> UsableNodePools(const state::Cluster& cluster,
                                           std::vector<std::string>* why) {
  std::vector<api::NodePool> out;
  auto skip = [&](const std::string& name, const std::string& reason) {
    if (why) why->push_back(StrCat("nodepool \"", name, "\": ", reason));
  };
  for (const auto& e : cluster.NodePools()) {
    std::string name = state::ObjectKey(*e.raw);
    if (!e.typed) {
      skip(name, e.error);
      continue;
    }
    const api::NodePool& np = *e.typed;
    if (np.metadata.deletion_timestamp) {
      skip(name, "being deleted");
      continue;
    }
    if (np.replicas.has_value()) {
      skip(name, "static NodePools are not provisioned from pending pods");
      continue;
    }
    if (auto st = api::ValidateNodePool(np); !st.ok()) {
      skip(name, std::string(st.message()));
      continue;
    }
    const auto& ref = np.template_.spec.node_class_ref;
    auto nc = cluster.NodeClass(ref.name);
    if (ref.kind != "EC2NodeClass" || !nc) {
      skip(name, StrCat("node class ", ref.kind, "/", ref.name, " not found"));
      continue;
    }
    std::string reason;
    if (!NodeClassReady(*nc->raw, &reason)) {
      skip(name, StrCat("node class ", ref.name, " is not ready: ", reason));
      continue;
    }
    api::NodePool usable = np;
    // Offerings are limited to the zones of the node class's subnets.
    std::vector<std::string> zones = NodeClassZones(*nc->raw);
    if (!zones.empty()) {
      usable.template_.spec.requirements.push_back(
          {std::string(api::kLabelZone), "In", zones, std::nullopt});
    }
    out.push_back(std::move(usable));
  }
  return out;
}

Provisioner::Provisioner(state::Cluster& cluster, kube::Client& client,
                         cloudprovider::CloudProvider& cloud, kube::EventSink& events,
                         op::Metrics* metrics, ProvisionerOptions options)
    : cluster_(cluster),
      client_(client),
      cloud_(cloud),
      events_(events),
      metrics_(metrics),
      options_(options) {}

Provisioner::~Provisioner() { Stop(); }

void Provisioner::Trigger(std::string_view id) {
  std::lock_guard lock(mu_);
  // As Karpenter's batcher: a pod that already triggered the open batch does not extend it again
  // (a pending pod's status changes each time kube-scheduler retries it).
  if (!id.empty() && !batch_triggers_.emplace(id).second && triggered_) return;
  triggered_ = true;
  last_trigger_ = std::chrono::steady_clock::now();
  cv_.notify_all();
}

void Provisioner::Start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void Provisioner::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void Provisioner::Loop() {
  using SteadyClock = std::chrono::steady_clock;
  auto to_chrono = [](absl::Duration d) {
    return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
  };
  const auto idle = to_chrono(options_.batch_idle);
  const auto max = to_chrono(options_.batch_max);
  const auto requeue = to_chrono(options_.requeue);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // Wait for the first trigger of a batch, or the periodic re-check.
    if (!triggered_) cv_.wait_for(lock, requeue, [&] { return triggered_ || stopping_; });
    if (stopping_) break;
    // Batch window: until idle for `idle`, at most `max` after it opened.
    auto opened = SteadyClock::now();
    while (!stopping_) {
      auto deadline = std::min(last_trigger_ + idle, opened + max);
      if (SteadyClock::now() >= deadline) break;
      cv_.wait_until(lock, deadline);
    }
    if (stopping_) break;
    triggered_ = false;
    batch_triggers_.clear();
    lock.unlock();
    auto result = Schedule();
    if (!result.ok()) {
      log::Warn(kLogger, "scheduling pass failed",
                {{"controller", "provisioner"}, {"error", std::string(result.status().message())}});
    }
    lock.lock();
  }
}

absl::StatusOr<ProvisionResult> Provisioner::Schedule() {
  if (!cluster_.Synced()) return absl::UnavailableError("cluster state is not synced yet");
  ProvisionResult result;
  state::SnapshotInputs in;
  // Pods reported before that are gone or bound now are forgotten: the memory of logged reasons
  // holds only pods that are still pending.
  std::erase_if(reported_, [&](const auto& kv) {
    const Reported& r = kv.second;
    auto e = cluster_.Pod(r.key);
    if (!e) return true;
    kube::ObjectRef now = PodRef(*e->raw);
    return PodIdentity(now) != kv.first || !StringAt(ObjectAt(*e->raw, "spec"), "nodeName").empty();
  });
  for (const auto& e : cluster_.Pods()) {
    if (e.typed) {
      if (state::IsProvisionable(*e.typed)) in.pending.push_back(*e.typed);
      continue;
    }
    // A pod that does not decode (e.g. a request beyond the quantity range) cannot be placed; one
    // kube-scheduler gave up on is told why it gets no capacity.
    if (LooksProvisionable(*e.raw)) {
      ReportUnschedulable(PodRef(*e.raw), "ignoring pod", StrCat("ignoring pod, ", e.error));
    }
  }
  result.pending_pods = static_cast<int>(in.pending.size());
  if (metrics_) metrics_->SetPodsPending(result.pending_pods);
  // Pods of nodes being deleted need capacity too (the snapshot adds them), as in Karpenter.
  bool deleting = false;
  for (const auto& e : cluster_.NodeClaims()) {
    deleting |= e.typed && e.typed->metadata.deletion_timestamp.has_value();
  }
  for (const auto& e : cluster_.Nodes()) {
    deleting |= e.typed && e.typed->metadata.deletion_timestamp.has_value();
  }
  if (in.pending.empty() && !deleting) return result;

  std::vector<std::string> skipped;
  std::vector<api::NodePool> pools = UsableNodePools(cluster_, &skipped);
  for (const auto& s : skipped) {
    log::Debug(kLogger, "ignoring nodepool", {{"controller", "provisioner"}, {"reason", s}});
  }
  // Every usable pool's node class resolves to the same catalog here; the first pool whose
  // instance types load supplies it, and pools whose lookup fails are left out.
  std::vector<api::NodePool> loaded;
  for (auto& np : pools) {
    auto types = cloud_.GetInstanceTypes(np);
    if (!types.ok()) {
      if (metrics_) metrics_->CloudProviderError("GetInstanceTypes", types.status(), "provisioner");
      log::Warn(kLogger, "skipping nodepool: listing instance types failed",
                {{"controller", "provisioner"}, {"NodePool", {{"name", np.metadata.name}}},
                 {"error", std::string(types.status().message())}});
      continue;
    }
    if (!in.instance_types) in.instance_types = *types;
    loaded.push_back(std::move(np));
  }
  in.node_pools = std::move(loaded);
  if (!in.instance_types) in.instance_types = std::make_shared<const cloudprovider::InstanceTypes>();
  if (prepared_ == nullptr || prepared_for_ != in.instance_types) {
    prepared_ = solver::PrepareInstanceTypes(in.instance_types);
    prepared_for_ = in.instance_types;
    ++catalog_preparations_;
  }
  in.prepared = prepared_;
  in.options = options_.solver;

  auto start = absl::Now();
  solver::Snapshot snapshot = state::BuildSnapshot(cluster_, std::move(in));
  if (snapshot.pods.empty()) return result;
  ASSIGN_OR_RETURN(solver::Plan plan, solver::Solve(snapshot));
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (metrics_) metrics_->ObserveSchedulingDuration(seconds);

  std::map<std::string, const api::Pod*, std::less<>> pods_by_key;
  for (const auto& p : snapshot.pods) {
    pods_by_key[StrCat(p.metadata.namespace_, "/", p.metadata.name)] = &p;
  }
  std::map<std::string, const api::NodePool*, std::less<>> pools_by_name;
  for (const auto& np : snapshot.node_pools) pools_by_name[np.metadata.name] = &np;

  for (const auto& planned : plan.node_claims) {
    auto pool = pools_by_name.find(planned.node_pool);
    if (pool == pools_by_name.end()) continue;  // cannot happen: the plan names snapshot pools
    auto name = CreateNodeClaim(planned, *pool->second);
    if (!name.ok()) {
      log::Error(kLogger, "creating nodeclaim failed",
                 {{"controller", "provisioner"}, {"NodePool", {{"name", planned.node_pool}}},
                  {"error", std::string(name.status().message())}});
      for (const auto& key : planned.pods) {
        if (auto it = pods_by_key.find(key); it != pods_by_key.end()) {
          events_.Publish(PodRef(*it->second), kube::EventType::kWarning, "FailedScheduling",
                          StrCat("Failed to schedule pod, ", name.status().message()));
        }
      }
      continue;
    }
    result.created.push_back(*name);
    for (const auto& key : planned.pods) {
      if (auto it = pods_by_key.find(key); it != pods_by_key.end()) {
        events_.Publish(PodRef(*it->second), kube::EventType::kNormal, "Nominated",
                        StrCat("Pod should schedule on: nodeclaim/", *name));
      }
    }
  }
  for (const auto& placement : plan.existing_nodes) {
    for (const auto& key : placement.pods) {
      if (auto it = pods_by_key.find(key); it != pods_by_key.end()) {
        events_.Publish(PodRef(*it->second), kube::EventType::kNormal, "Nominated",
                        StrCat("Pod should schedule on: ",
                               placement.is_node_claim ? "nodeclaim/" : "node/", placement.name));
      }
    }
  }
  for (const auto& u : plan.unschedulable) {
    if (auto it = pods_by_key.find(u.pod); it != pods_by_key.end()) {
      ReportUnschedulable(PodRef(*it->second), "could not schedule pod", u.reason);
    }
  }
  log::Info(kLogger, "computed new nodeclaim(s) to fit pod(s)",
            {{"controller", "provisioner"},
             {"pods", result.pending_pods},
             {"nodeclaims", plan.node_claims.size()},
             {"unschedulable", plan.unschedulable.size()},
             {"duration", StrCat(absl::FormatDuration(absl::Now() - start))}});
  result.plan = std::move(plan);
  return result;
}

void Provisioner::ReportUnschedulable(const kube::ObjectRef& pod, std::string_view message,
                                      const std::string& why) {
  // The event goes out on every pass (the recorder suppresses repeats, and a pod's events expire);
  // the log line only when the pod or its reason is new.
  events_.Publish(pod, kube::EventType::kWarning, "FailedScheduling",
                  StrCat("Failed to schedule pod, ", why));
  auto [it, added] =
      reported_.try_emplace(PodIdentity(pod), Reported{StrCat(pod.ns, "/", pod.name), why});
  if (!added) {
    if (it->second.reason == why) return;
    it->second.reason = why;
  }
  log::Warn(kLogger, message,
            {{"controller", "provisioner"},
             {"Pod", {{"name", pod.name}, {"namespace", pod.ns}}},
             {"error", why}});
}

absl::StatusOr<std::string> Provisioner::CreateNodeClaim(const solver::PlannedNodeClaim& planned,
                                                         const api::NodePool& pool) {
  const auto& tmpl = pool.template_;
  api::NodeClaim nc;
  nc.metadata.generate_name = StrCat(pool.metadata.name, "-");
  nc.metadata.labels = tmpl.labels;
  // Custom labels the requirements resolved to one value; well-known ones are left for the cloud
  // provider to resolve at launch.
  const auto& wk = api::WellKnownLabels();
  for (const auto& [k, v] : planned.labels) {
    if (wk.contains(k) || api::IsRestrictedLabel(k, /*allow_nodepool_label=*/true)) continue;
    nc.metadata.labels.emplace(k, v);
  }
  nc.metadata.labels[std::string(api::kLabelNodePool)] = pool.metadata.name;
  nc.metadata.labels[std::string(api::kLabelEC2NodeClass)] = tmpl.spec.node_class_ref.name;
  nc.metadata.annotations = tmpl.annotations;
  nc.metadata.annotations[std::string(api::kAnnotationNodePoolHash)] = NodePoolHash(pool);
  nc.metadata.annotations[std::string(api::kAnnotationNodePoolHashVersion)] = kNodePoolHashVersion;
  nc.metadata.owner_references.push_back(
      {"karpenter.sh/v1", "NodePool", pool.metadata.name, pool.metadata.uid, false});
  nc.spec.taints = planned.taints;
  nc.spec.startup_taints = planned.startup_taints;
  nc.spec.requirements = planned.requirements;
  nc.spec.resource_requests = planned.requests;
  nc.spec.node_class_ref = tmpl.spec.node_class_ref;
  nc.spec.expire_after = tmpl.spec.expire_after;
  nc.spec.termination_grace_period = tmpl.spec.termination_grace_period;

  ASSIGN_OR_RETURN(kube::Json created,
                   client_.Create(kube::resources::NodeClaims(), "", api::ToJson(nc)));
  cluster_.ObserveNodeClaim(created);
  std::string name = created["metadata"].value("name", "");
  std::vector<std::string> types(planned.instance_type_options.begin(),
                                 planned.instance_type_options.begin() +
                                     std::min<size_t>(5, planned.instance_type_options.size()));
  std::string shown = StrJoin(types, ", ");
  if (planned.instance_type_options.size() > 5) {
    shown += StrCat(" and ", planned.instance_type_options.size() - 5, " other(s)");
  }
  kube::Json requests = api::ResourceListToJson(planned.requests);
  // The pods it is for (at most 10 named), so a reader can tell why it exists.
  kube::Json pods = kube::Json::array();
  for (size_t i = 0; i < planned.pods.size() && i < 10; ++i) pods.push_back(planned.pods[i]);
  log::Info(kLogger, "created nodeclaim",
            {{"controller", "provisioner"},
             {"NodePool", {{"name", pool.metadata.name}}},
             {"NodeClaim", {{"name", name}}},
             {"requests", requests},
             {"instance-types", shown},
             {"pods", pods},
             {"pod-count", planned.pods.size()}});
  if (metrics_) metrics_->NodeClaimCreated(pool.metadata.name);
  return name;
}

}  // namespace joinery::controllers
