#include "joinery/cloudprovider/simulated/kubelet.h"

#include <chrono>
#include <cstdio>
#include <set>
#include <utility>

#include "absl/time/time.h"
#include "joinery/common/hash.h"
#include "joinery/common/log.h"
#include "joinery/cloudprovider/simulated/simulated_cloud_provider.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"

namespace joinery::cloudprovider::simulated {
namespace {

using Json = nlohmann::json;

constexpr char kLeaseNamespace[] = "kube-node-lease";

std::string Str(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return "";
    auto it = cur->find(k);
    if (it == cur->end()) return "";
    cur = &*it;
  }
  return cur->is_string() ? cur->get<std::string>() : std::string();
}

bool Has(const Json& j, const char* a, const char* b) {
  return j.is_object() && j.contains(a) && j[a].is_object() && j[a].contains(b) && !j[a][b].is_null();
}

// metav1.MicroTime, as the kubelet writes Lease renewTime.
std::string MicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

std::string InternalIP(const Json& node) {
  if (!Has(node, "status", "addresses") || !node["status"]["addresses"].is_array()) return "";
  for (const Json& a : node["status"]["addresses"]) {
    if (Str(a, {"type"}) == "InternalIP") return Str(a, {"address"});
  }
  return "";
}

void Keep(absl::Status& first, const absl::Status& s) {
  if (first.ok() && !s.ok()) first = s;
}

}  // namespace

SimulatedKubelet::SimulatedKubelet(kube::Client& client, Clock& clock, Options options)
    : client_(client), clock_(clock), options_(std::move(options)) {}

SimulatedKubelet::~SimulatedKubelet() { Stop(); }

void SimulatedKubelet::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  kube::InformerOptions instance_opts;
  instance_opts.ns = options_.instance_namespace;
  instance_opts.label_selector = StrCat(kLabelInstance, "=true");
  instances_ =
      std::make_unique<kube::Informer>(client_, kube::resources::ConfigMaps(), instance_opts);
  kube::InformerOptions node_opts;
  node_opts.label_selector = StrCat(kLabelSimulated, "=true");
  nodes_ = std::make_unique<kube::Informer>(client_, kube::resources::Nodes(), node_opts);
  kube::InformerOptions pod_opts;
  pod_opts.field_selector = "spec.nodeName!=";
  pods_ = std::make_unique<kube::Informer>(client_, kube::resources::Pods(), pod_opts);
  auto wake = [this] {
    {
      std::lock_guard l(mu_);
      dirty_ = true;
    }
    cv_.notify_all();
  };
  pods_->AddEventHandler({.on_add = [wake](const kube::ObjectPtr&) { wake(); },
                          .on_update = [wake](const kube::ObjectPtr&,
                                              const kube::ObjectPtr&) { wake(); },
                          .on_delete = nullptr});
  nodes_->AddEventHandler({.on_add = [wake](const kube::ObjectPtr&) { wake(); },
                           .on_update = nullptr,
                           .on_delete = nullptr});
  instances_->AddEventHandler({.on_add = [wake](const kube::ObjectPtr&) { wake(); },
                               .on_update = nullptr,
                               .on_delete = nullptr});
  instances_->Start();
  nodes_->Start();
  pods_->Start();
  thread_ = std::thread([this] { Loop(); });
}

void SimulatedKubelet::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (instances_) instances_->Stop();
  if (nodes_) nodes_->Stop();
  if (pods_) pods_->Stop();
}

void SimulatedKubelet::Loop() {
  const auto interval = absl::ToChronoMilliseconds(options_.sync_interval);
  std::string last_error;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, interval, [this] { return stopping_ || dirty_; });
      if (stopping_) return;
      dirty_ = false;
    }
    if (!instances_->HasSynced() || !nodes_->HasSynced() || !pods_->HasSynced()) continue;
    // Failures are retried on the next pass; each new kind of failure is logged once.
    absl::Status s = SyncObjects(instances_->List(), nodes_->List(), pods_->List());
    std::string error = s.ok() ? std::string() : std::string(s.message());
    if (error != last_error) {
      if (s.ok()) {
        log::Info("kubelet-simulator", "pass succeeded again", {});
      } else {
        log::Warn("kubelet-simulator", "pass failed; retrying", {{"error", error}});
      }
      last_error = error;
    }
  }
}

absl::Status SimulatedKubelet::Sync() {
  kube::ListOptions instance_opts;
  instance_opts.label_selector = StrCat(kLabelInstance, "=true");
  auto instances =
      client_.List(kube::resources::ConfigMaps(), options_.instance_namespace, instance_opts);
  if (!instances.ok()) return Annotate(instances.status(), "simulated kubelet: listing instances");
  kube::ListOptions node_opts;
  node_opts.label_selector = StrCat(kLabelSimulated, "=true");
  auto nodes = client_.List(kube::resources::Nodes(), "", node_opts);
  if (!nodes.ok()) return Annotate(nodes.status(), "simulated kubelet: listing nodes");
  kube::ListOptions pod_opts;
  pod_opts.field_selector = "spec.nodeName!=";
  auto pods = client_.List(kube::resources::Pods(), "", pod_opts);
  if (!pods.ok()) return Annotate(pods.status(), "simulated kubelet: listing pods");
  auto items = [](Json& list) {
    std::vector<kube::ObjectPtr> out;
    if (list.contains("items") && list["items"].is_array()) {
      for (Json& o : list["items"]) out.push_back(std::make_shared<const Json>(std::move(o)));
    }
    return out;
  };
  return SyncObjects(items(*instances), items(*nodes), items(*pods));
}

absl::Status SimulatedKubelet::SyncObjects(const std::vector<kube::ObjectPtr>& instances,
                                           const std::vector<kube::ObjectPtr>& nodes,
                                           const std::vector<kube::ObjectPtr>& pods) {
  absl::Status first;
  const absl::Time now = clock_.Now();
  // Running instances by provider ID.
  std::map<std::string, const Json*> running;
  for (const kube::ObjectPtr& inst : instances) {
    if (Has(*inst, "metadata", "deletionTimestamp")) continue;
    std::string id = InstanceRecord(*inst).value("providerID", std::string());
    if (!id.empty()) running.emplace(std::move(id), inst.get());
  }
  // Nodes of running instances; the others' kubelets are gone.
  std::map<std::string, const Json*> live;
  std::set<std::string> has_node;
  for (const kube::ObjectPtr& n : nodes) {
    std::string id = Str(*n, {"spec", "providerID"});
    has_node.insert(id);
    if (!running.contains(id)) continue;
    live.emplace(Str(*n, {"metadata", "name"}), n.get());
  }
  // Instances that have booted register their Node (and register it again if it is deleted while
  // the machine runs, as a kubelet does; a registration of the last 30 s is the informer cache
  // lagging behind, not a deletion).
  std::erase_if(registered_, [&](const auto& kv) { return now - kv.second > absl::Seconds(30); });
  for (const auto& [id, inst] : running) {
    if (has_node.contains(id) || InstanceBootTime(*inst) > now) continue;
    Keep(first, RegisterNode(*inst));
  }
  for (const auto& [name, node] : live) Keep(first, SyncNode(*node));
  std::erase_if(lease_renewed_, [&](const auto& kv) { return !live.contains(kv.first); });
  std::erase_if(status_updated_, [&](const auto& kv) { return !live.contains(kv.first); });
  for (const kube::ObjectPtr& pod : pods) {
    auto node = live.find(Str(*pod, {"spec", "nodeName"}));
    if (node == live.end()) continue;
    Keep(first, SyncPod(*pod, *node->second));
  }
  return first;
}

absl::Status SimulatedKubelet::RegisterNode(const Json& instance) {
  Json node = RegisteringNode(instance, clock_.Now());
  const std::string name = Str(node, {"metadata", "name"});
  if (name.empty()) return absl::OkStatus();  // not an instance this kubelet can boot
  if (registered_.contains(name)) return absl::OkStatus();  // the cache has not caught up yet
  const std::string context = StrCat("simulated kubelet: registering node ", name);
  auto created = client_.Create(kube::resources::Nodes(), "", node);
  if (!created.ok() && !kube::IsAlreadyExists(created.status())) {
    return Annotate(created.status(), context);
  }
  registered_[name] = clock_.Now();
  if (!created.ok()) return absl::OkStatus();
  // The instance may have been terminated while its Node was being created (the cache is a moment
  // behind): a machine that is gone does not keep its Node.
  const std::string obj_name = Str(instance, {"metadata", "name"});
  auto still = client_.Get(kube::resources::ConfigMaps(), options_.instance_namespace, obj_name);
  if (!still.ok() && kube::IsNotFound(still.status())) {
    kube::DeleteOptions opts;
    opts.precondition_uid = Str(*created, {"metadata", "uid"});
    (void)client_.Delete(kube::resources::Nodes(), "", name, opts);
    return absl::OkStatus();
  }
  log::Info("kubelet-simulator", "registered node",
            {{"Node", {{"name", name}}},
             {"provider-id", Str(node, {"spec", "providerID"})},
             {"nodeclaim", InstanceRecord(instance).value("nodeClaim", std::string())}});
  return absl::OkStatus();
}

absl::Status SimulatedKubelet::SyncNode(const Json& node) {
  absl::Status first;
  Keep(first, RenewLease(node));
  Keep(first, UpdateNodeStatus(node));
  return first;
}

absl::Status SimulatedKubelet::RenewLease(const Json& node) {
  const std::string name = Str(node, {"metadata", "name"});
  const absl::Time now = clock_.Now();
  if (auto it = lease_renewed_.find(name);
      it != lease_renewed_.end() && now < it->second + options_.lease_renew_interval) {
    return absl::OkStatus();
  }
  const std::string context = StrCat("simulated kubelet: renewing lease ", kLeaseNamespace, "/", name);
  Json spec = {{"holderIdentity", name},
               {"leaseDurationSeconds", options_.lease_duration_seconds},
               {"renewTime", MicroTime(now)}};
  auto lease = client_.Get(kube::resources::Leases(), kLeaseNamespace, name);
  if (!lease.ok()) {
    if (!kube::IsNotFound(lease.status())) return Annotate(lease.status(), context);
    Json obj = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata",
                 {{"name", name},
                  {"namespace", kLeaseNamespace},
                  {"ownerReferences",
                   Json::array({{{"apiVersion", "v1"},
                                 {"kind", "Node"},
                                 {"name", name},
                                 {"uid", Str(node, {"metadata", "uid"})}}})}}},
                {"spec", spec}};
    auto created = client_.Create(kube::resources::Leases(), kLeaseNamespace, obj);
    if (!created.ok()) return Annotate(created.status(), context);
  } else {
    if (!lease->contains("spec") || !(*lease)["spec"].is_object()) (*lease)["spec"] = Json::object();
    (*lease)["spec"].update(spec);
    auto updated = client_.Update(kube::resources::Leases(), kLeaseNamespace, *lease);
    if (!updated.ok()) return Annotate(updated.status(), context);
  }
  lease_renewed_[name] = now;
  return absl::OkStatus();
}

absl::Status SimulatedKubelet::UpdateNodeStatus(const Json& node) {
  const std::string name = Str(node, {"metadata", "name"});
  const absl::Time now = clock_.Now();
  if (auto it = status_updated_.find(name);
      it != status_updated_.end() && now < it->second + options_.status_update_interval) {
    return absl::OkStatus();
  }
  const std::string ts = FormatRfc3339(now);
  struct Want {
    const char* type;
    const char* status;
    const char* reason;
    const char* message;
  };
  const Want wants[] = {
      {"MemoryPressure", "False", "KubeletHasSufficientMemory",
       "kubelet has sufficient memory available"},
      {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
      {"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
      {"Ready", "True", "KubeletReady", "kubelet is posting ready status"},
  };
  Json conditions = Json::array();
  if (Has(node, "status", "conditions") && node["status"]["conditions"].is_array()) {
    conditions = node["status"]["conditions"];
  }
  for (const Want& w : wants) {
    Json* found = nullptr;
    for (Json& c : conditions) {
      if (Str(c, {"type"}) == w.type) found = &c;
    }
    if (found == nullptr) {
      conditions.push_back({{"type", w.type}, {"lastTransitionTime", ts}});
      found = &conditions.back();
    } else if (Str(*found, {"status"}) != w.status) {
      (*found)["lastTransitionTime"] = ts;
    }
    (*found)["status"] = w.status;
    (*found)["reason"] = w.reason;
    (*found)["message"] = w.message;
    (*found)["lastHeartbeatTime"] = ts;
  }
  Json patch = {{"status", {{"conditions", conditions}}}};
  auto res = client_.Patch(kube::resources::Nodes(), "", name, kube::PatchType::kMerge, patch,
                           "status");
  if (!res.ok()) {
    if (kube::IsNotFound(res.status())) return absl::OkStatus();  // deleted meanwhile
    return Annotate(res.status(), StrCat("simulated kubelet: updating status of node ", name));
  }
  status_updated_[name] = now;
  return absl::OkStatus();
}

absl::Status SimulatedKubelet::SyncPod(const Json& pod, const Json& node) {
  const std::string ns = Str(pod, {"metadata", "namespace"});
  const std::string name = Str(pod, {"metadata", "name"});
  if (Has(pod, "metadata", "deletionTimestamp")) {
    // The containers have stopped (instantly, here): finish the deletion as the kubelet does.
    kube::DeleteOptions opts;
    opts.grace_period_seconds = 0;
    opts.precondition_uid = Str(pod, {"metadata", "uid"});
    absl::Status s = client_.Delete(kube::resources::Pods(), ns, name, opts);
    if (!s.ok() && !kube::IsNotFound(s) && !kube::IsConflict(s)) {
      return Annotate(s, StrCat("simulated kubelet: deleting terminating pod ", ns, "/", name));
    }
    return absl::OkStatus();
  }
  const std::string phase = Str(pod, {"status", "phase"});
  if (phase == "Running" || phase == "Succeeded" || phase == "Failed") return absl::OkStatus();

  const std::string ts = FormatRfc3339(clock_.Now());
  uint64_t h = Fnv1a64(StrCat(Str(pod, {"metadata", "uid"}), "/", ns, "/", name));
  std::string pod_ip = StrCat("10.", 128 + ((h >> 16) & 0x7f), ".", (h >> 8) & 0xff, ".",
                              1 + (h & 0xffff) % 254);
  std::string host_ip = InternalIP(node);
  auto cond = [&](const char* type) {
    return Json{{"type", type}, {"status", "True"}, {"lastProbeTime", nullptr},
                {"lastTransitionTime", ts}};
  };
  Json container_statuses = Json::array();
  Json init_statuses = Json::array();
  auto statuses = [&](const char* key, bool init, Json& out) {
    if (!Has(pod, "spec", key) || !pod["spec"][key].is_array()) return;
    for (const Json& c : pod["spec"][key]) {
      std::string cname = Str(c, {"name"});
      std::string image = Str(c, {"image"});
      char cid[32];
      std::snprintf(cid, sizeof(cid), "%016llx",
                    static_cast<unsigned long long>(Fnv1a64(StrCat(name, "/", cname, "/", h))));
      Json st = {{"name", cname},
                 {"image", image},
                 {"imageID", StrCat("docker.io/library/", image)},
                 {"containerID", StrCat("containerd://", cid)},
                 {"restartCount", 0}};
      // A sidecar (restartPolicy Always) keeps running; other init containers ran to completion.
      bool sidecar = Str(c, {"restartPolicy"}) == "Always";
      if (init && !sidecar) {
        st["ready"] = true;
        st["started"] = false;
        st["state"] = {{"terminated",
                        {{"exitCode", 0}, {"reason", "Completed"}, {"startedAt", ts},
                         {"finishedAt", ts}, {"containerID", StrCat("containerd://", cid)}}}};
      } else {
        st["ready"] = true;
        st["started"] = true;
        st["state"] = {{"running", {{"startedAt", ts}}}};
      }
      out.push_back(std::move(st));
    }
  };
  statuses("initContainers", true, init_statuses);
  statuses("containers", false, container_statuses);
  Json status = {{"phase", "Running"},
                 {"conditions", Json::array({cond("Initialized"), cond("Ready"),
                                             cond("ContainersReady"), cond("PodScheduled")})},
                 {"podIP", pod_ip},
                 {"podIPs", Json::array({{{"ip", pod_ip}}})},
                 {"startTime", ts},
                 {"containerStatuses", container_statuses}};
  if (!host_ip.empty()) status["hostIP"] = host_ip;
  if (!init_statuses.empty()) status["initContainerStatuses"] = init_statuses;
  Json patch = {{"status", status}};
  auto res = client_.Patch(kube::resources::Pods(), ns, name, kube::PatchType::kMerge, patch,
                           "status");
  if (!res.ok() && !kube::IsNotFound(res.status())) {
    return Annotate(res.status(), StrCat("simulated kubelet: marking pod ", ns, "/", name, " Running"));
  }
  return absl::OkStatus();
}

}  // namespace joinery::cloudprovider::simulated
