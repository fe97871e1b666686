#include "joinery/state/cluster.h"

#include <chrono>
#include <thread>

#include "joinery/api/json.h"
#include "joinery/common/log.h"
#include "joinery/kube/informer.h"

namespace joinery::state {

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kPod: return "Pod";
    case Kind::kNode: return "Node";
    case Kind::kNodeClaim: return "NodeClaim";
    case Kind::kNodePool: return "NodePool";
    case Kind::kNodeClass: return "EC2NodeClass";
    case Kind::kDaemonSet: return "DaemonSet";
    case Kind::kPersistentVolumeClaim: return "PersistentVolumeClaim";
    case Kind::kPersistentVolume: return "PersistentVolume";
    case Kind::kStorageClass: return "StorageClass";
    case Kind::kCSINode: return "CSINode";
    case Kind::kPodDisruptionBudget: return "PodDisruptionBudget";
  }
  return "";
}

std::string ObjectKey(const kube::Json& object) {
  const auto& meta = object.value("metadata", kube::Json::object());
  std::string name = meta.value("name", "");
  std::string ns = meta.value("namespace", "");
  return ns.empty() ? name : ns + "/" + name;
}

template <typename T>
struct Cluster::Store {
  using Decoder = absl::StatusOr<T> (*)(const nlohmann::json&);
  explicit Store(Decoder d) : decode(d) {}
  Decoder decode;
  std::map<std::string, Entry<T>, std::less<>> items;

  // Returns the previous entry, if any.
  std::optional<Entry<T>> Put(const std::string& key, kube::ObjectPtr obj) {
    Entry<T> e;
    e.raw = std::move(obj);  // shared with the informer's cache, not copied
    auto typed = decode(*e.raw);
    if (typed.ok()) {
      e.typed = std::make_shared<const T>(*std::move(typed));
    } else {
      e.error = std::string(typed.status().message());
    }
    std::optional<Entry<T>> prev;
    auto it = items.find(key);
    if (it != items.end()) prev = std::move(it->second);
    items[key] = std::move(e);
    return prev;
  }
  std::optional<Entry<T>> Remove(const std::string& key) {
    auto it = items.find(key);
    if (it == items.end()) return std::nullopt;
    auto prev = std::move(it->second);
    items.erase(it);
    return prev;
  }
  std::optional<Entry<T>> Find(std::string_view key) const {
    auto it = items.find(key);
    if (it == items.end()) return std::nullopt;
    return it->second;
  }
  std::vector<Entry<T>> All() const {
    std::vector<Entry<T>> out;
    out.reserve(items.size());
    for (const auto& [k, v] : items) out.push_back(v);
    return out;
  }
};

Cluster::Cluster(kube::Client& client)
    : client_(client),
      pods_(std::make_unique<Store<api::Pod>>(&api::PodFromJson)),
      nodes_(std::make_unique<Store<api::Node>>(&api::NodeFromJson)),
      node_claims_(std::make_unique<Store<api::NodeClaim>>(&api::NodeClaimFromJson)),
      node_pools_(std::make_unique<Store<api::NodePool>>(&api::NodePoolFromJson)),
      node_classes_(std::make_unique<Store<api::EC2NodeClass>>(&api::EC2NodeClassFromJson)),
      daemon_sets_(std::make_unique<Store<api::DaemonSet>>(&api::DaemonSetFromJson)),
      claims_(
          std::make_unique<Store<api::PersistentVolumeClaim>>(&api::PersistentVolumeClaimFromJson)),
      volumes_(std::make_unique<Store<api::PersistentVolume>>(&api::PersistentVolumeFromJson)),
      storage_classes_(std::make_unique<Store<api::StorageClass>>(&api::StorageClassFromJson)),
      csi_nodes_(std::make_unique<Store<api::CSINode>>(&api::CSINodeFromJson)),
      pdbs_(std::make_unique<Store<api::PodDisruptionBudget>>(&api::PodDisruptionBudgetFromJson)) {}

Cluster::~Cluster() { Stop(); }

void Cluster::AddListener(Listener listener) { listeners_.push_back(std::move(listener)); }

namespace {

// policy/v1 PodDisruptionBudgets where the server serves them (1.21 and later), else v1beta1. A
// server that cannot be asked now is taken to be current.
const kube::Resource& PodDisruptionBudgetResource(kube::Client& client) {
  kube::ListOptions probe;
  probe.limit = 1;
  absl::StatusOr<kube::Json> v1 = client.List(kube::resources::PodDisruptionBudgetsV1(), "", probe);
  if (!v1.ok() && absl::IsNotFound(v1.status())) return kube::resources::PodDisruptionBudgets();
  return kube::resources::PodDisruptionBudgetsV1();
}

}  // namespace

void Cluster::Start() {
  struct Watched {
    Kind kind;
    const kube::Resource& resource;
  };
  const Watched watched[] = {
      {Kind::kNodePool, kube::resources::NodePools()},
      {Kind::kNodeClass, kube::resources::EC2NodeClasses()},
      {Kind::kNodeClaim, kube::resources::NodeClaims()},
      {Kind::kNode, kube::resources::Nodes()},
      {Kind::kDaemonSet, kube::resources::DaemonSets()},
      {Kind::kStorageClass, kube::resources::StorageClasses()},
      {Kind::kPersistentVolume, kube::resources::PersistentVolumes()},
      {Kind::kPersistentVolumeClaim, kube::resources::PersistentVolumeClaims()},
      {Kind::kCSINode, kube::resources::CSINodes()},
      {Kind::kPodDisruptionBudget, PodDisruptionBudgetResource(client_)},
      {Kind::kPod, kube::resources::Pods()},
  };
  for (const auto& w : watched) {
    auto inf = std::make_unique<kube::Informer>(client_, w.resource, kube::InformerOptions{});
    Kind kind = w.kind;
    kube::EventHandlers h;
    h.on_add = [this, kind](const kube::ObjectPtr& obj) { Apply(kind, nullptr, obj); };
    h.on_update = [this, kind](const kube::ObjectPtr& old_obj, const kube::ObjectPtr& new_obj) {
      Apply(kind, old_obj.get(), new_obj);
    };
    h.on_delete = [this, kind](const kube::ObjectPtr& obj) { Apply(kind, obj.get(), nullptr); };
    inf->AddEventHandler(std::move(h));
    informers_.push_back(std::move(inf));
  }
  for (auto& inf : informers_) inf->Start();
}

void Cluster::Stop() {
  for (auto& inf : informers_) inf->Stop();
}

bool Cluster::Synced() const {
  if (informers_.empty()) return false;
  for (const auto& inf : informers_) {
    if (!inf->HasSynced()) return false;
  }
  return true;
}

bool Cluster::WaitForSync(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  while (!Synced()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

void Cluster::Apply(Kind kind, const kube::Json* old_obj, const kube::ObjectPtr& new_ptr) {
  const kube::Json* new_obj = new_ptr.get();
  const kube::Json& any = new_obj ? *new_obj : *old_obj;
  std::string key = ObjectKey(any);
  bool deleted = new_obj == nullptr;
  {
    std::lock_guard lock(mu_);
    switch (kind) {
      case Kind::kPod: {
        auto prev = deleted ? pods_->Remove(key) : pods_->Put(key, new_ptr);
        if (prev && prev->raw) {
          std::string node = prev->raw->value("spec", kube::Json::object()).value("nodeName", "");
          if (!node.empty()) {
            auto it = pods_by_node_.find(node);
            if (it != pods_by_node_.end()) {
              it->second.erase(key);
              if (it->second.empty()) pods_by_node_.erase(it);
            }
          }
        }
        if (!deleted) {
          std::string node = new_obj->value("spec", kube::Json::object()).value("nodeName", "");
          if (!node.empty()) pods_by_node_[node].insert(key);
        }
        break;
      }
      case Kind::kNode: {
        auto prev = deleted ? nodes_->Remove(key) : nodes_->Put(key, new_ptr);
        if (prev && prev->raw) {
          std::string id = prev->raw->value("spec", kube::Json::object()).value("providerID", "");
          auto it = node_by_provider_id_.find(id);
          if (it != node_by_provider_id_.end() && it->second == key) node_by_provider_id_.erase(it);
        }
        if (!deleted) {
          std::string id = new_obj->value("spec", kube::Json::object()).value("providerID", "");
          if (!id.empty()) node_by_provider_id_[id] = key;
        }
        break;
      }
      case Kind::kNodeClaim: {
        auto prev = deleted ? node_claims_->Remove(key) : node_claims_->Put(key, new_ptr);
        if (prev && prev->raw) {
          std::string id =
              prev->raw->value("status", kube::Json::object()).value("providerID", "");
          auto it = claim_by_provider_id_.find(id);
          if (it != claim_by_provider_id_.end() && it->second == key) {
            claim_by_provider_id_.erase(it);
          }
        }
        if (!deleted) {
          std::string id = new_obj->value("status", kube::Json::object()).value("providerID", "");
          if (!id.empty()) claim_by_provider_id_[id] = key;
        }
        break;
      }
      case Kind::kNodePool:
        deleted ? (void)node_pools_->Remove(key) : (void)node_pools_->Put(key, new_ptr);
        break;
      case Kind::kNodeClass:
        deleted ? (void)node_classes_->Remove(key) : (void)node_classes_->Put(key, new_ptr);
        break;
      case Kind::kDaemonSet:
        deleted ? (void)daemon_sets_->Remove(key) : (void)daemon_sets_->Put(key, new_ptr);
        break;
      case Kind::kPersistentVolumeClaim:
        deleted ? (void)claims_->Remove(key) : (void)claims_->Put(key, new_ptr);
        break;
      case Kind::kPersistentVolume:
        deleted ? (void)volumes_->Remove(key) : (void)volumes_->Put(key, new_ptr);
        break;
      case Kind::kStorageClass:
        deleted ? (void)storage_classes_->Remove(key) : (void)storage_classes_->Put(key, new_ptr);
        break;
      case Kind::kCSINode:
        deleted ? (void)csi_nodes_->Remove(key) : (void)csi_nodes_->Put(key, new_ptr);
        break;
      case Kind::kPodDisruptionBudget:
        deleted ? (void)pdbs_->Remove(key) : (void)pdbs_->Put(key, new_ptr);
        break;
    }
  }
  Notify(kind, key, any, deleted);
}

void Cluster::Notify(Kind kind, const std::string& key, const kube::Json& object, bool deleted) {
  for (const auto& l : listeners_) l(kind, key, object, deleted);
}

void Cluster::ObserveNodeClaim(const kube::Json& object) {
  // Only fills a gap: a watch event that already delivered a newer version wins.
  {
    std::lock_guard lock(mu_);
    if (node_claims_->Find(ObjectKey(object))) return;
  }
  Apply(Kind::kNodeClaim, nullptr, std::make_shared<const kube::Json>(object));
}

std::optional<Entry<api::Pod>> Cluster::Pod(const std::string& key) const {
  std::lock_guard lock(mu_);
  return pods_->Find(key);
}
std::vector<Entry<api::Pod>> Cluster::Pods() const {
  std::lock_guard lock(mu_);
  return pods_->All();
}
std::vector<Entry<api::Pod>> Cluster::PodsOnNode(const std::string& node) const {
  std::lock_guard lock(mu_);
  std::vector<Entry<api::Pod>> out;
  auto it = pods_by_node_.find(node);
  if (it == pods_by_node_.end()) return out;
  for (const auto& key : it->second) {
    if (auto e = pods_->Find(key)) out.push_back(*std::move(e));
  }
  return out;
}
std::optional<Entry<api::Node>> Cluster::Node(const std::string& name) const {
  std::lock_guard lock(mu_);
  return nodes_->Find(name);
}
std::optional<Entry<api::Node>> Cluster::NodeByProviderID(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = node_by_provider_id_.find(id);
  if (it == node_by_provider_id_.end()) return std::nullopt;
  return nodes_->Find(it->second);
}
std::vector<Entry<api::Node>> Cluster::Nodes() const {
  std::lock_guard lock(mu_);
  return nodes_->All();
}
std::optional<Entry<api::NodeClaim>> Cluster::NodeClaim(const std::string& name) const {
  std::lock_guard lock(mu_);
  return node_claims_->Find(name);
}
std::optional<Entry<api::NodeClaim>> Cluster::NodeClaimByProviderID(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = claim_by_provider_id_.find(id);
  if (it == claim_by_provider_id_.end()) return std::nullopt;
  return node_claims_->Find(it->second);
}
std::vector<Entry<api::NodeClaim>> Cluster::NodeClaims() const {
  std::lock_guard lock(mu_);
  return node_claims_->All();
}
std::optional<Entry<api::NodePool>> Cluster::NodePool(const std::string& name) const {
  std::lock_guard lock(mu_);
  return node_pools_->Find(name);
}
std::vector<Entry<api::NodePool>> Cluster::NodePools() const {
  std::lock_guard lock(mu_);
  return node_pools_->All();
}
std::optional<Entry<api::EC2NodeClass>> Cluster::NodeClass(const std::string& name) const {
  std::lock_guard lock(mu_);
  return node_classes_->Find(name);
}
std::vector<Entry<api::EC2NodeClass>> Cluster::NodeClasses() const {
  std::lock_guard lock(mu_);
  return node_classes_->All();
}
std::vector<Entry<api::DaemonSet>> Cluster::DaemonSets() const {
  std::lock_guard lock(mu_);
  return daemon_sets_->All();
}
std::vector<Entry<api::PersistentVolumeClaim>> Cluster::PersistentVolumeClaims() const {
  std::lock_guard lock(mu_);
  return claims_->All();
}
std::vector<Entry<api::PersistentVolume>> Cluster::PersistentVolumes() const {
  std::lock_guard lock(mu_);
  return volumes_->All();
}
std::vector<Entry<api::StorageClass>> Cluster::StorageClasses() const {
  std::lock_guard lock(mu_);
  return storage_classes_->All();
}
std::vector<Entry<api::CSINode>> Cluster::CSINodes() const {
  std::lock_guard lock(mu_);
  return csi_nodes_->All();
}
std::vector<Entry<api::PodDisruptionBudget>> Cluster::PodDisruptionBudgets() const {
  std::lock_guard lock(mu_);
  return pdbs_->All();
}

}  // namespace joinery::state
