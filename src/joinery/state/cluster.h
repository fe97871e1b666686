// The controller's view of the cluster: informer caches of the objects Joinery reasons about,
// decoded once into typed values, with the indexes the controllers need (pods by node, nodes and
// NodeClaims by providerID).
//
// Fed by list+watch informers (kube/informer.h) on pods, nodes, NodeClaims, NodePools,
// EC2NodeClasses, DaemonSets and the storage objects volume scheduling reads
// (PersistentVolumeClaims, PersistentVolumes, StorageClasses, CSINodes), and PodDisruptionBudgets
// (policy/v1, or policy/v1beta1 on servers older than 1.21). Every object is kept as
// the API server's JSON and, when it decodes, as the typed api:: value; an object that does not
// decode (a NodePool with a bad field, say) is still listed, with the decode error, so that a
// controller can report it. Listeners are told of every change (after the cache is updated) so that
// controllers can enqueue keys.
//
// Thread-safety: reads may come from any thread and return immutable shared objects (snapshots
// that stay valid while the cache moves on). Listeners run on informer threads and must not block.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "joinery/api/types.h"
#include "joinery/kube/client.h"

namespace joinery::kube {
class Informer;
}

namespace joinery::state {

enum class Kind {
  kPod,
  kNode,
  kNodeClaim,
  kNodePool,
  kNodeClass,
  kDaemonSet,
  kPersistentVolumeClaim,
  kPersistentVolume,
  kStorageClass,
  kCSINode,
  kPodDisruptionBudget,
};
std::string_view KindName(Kind k);

template <typename T>
struct Entry {
  std::shared_ptr<const kube::Json> raw;
  std::shared_ptr<const T> typed;  // null when the object did not decode
  std::string error;               // the decode error, when typed is null
};

class Cluster {
 public:
  // `key` is "namespace/name" for namespaced objects (pods, claims), the name otherwise; `object`
  // is the new object (the last known one when `deleted`).
  using Listener = std::function<void(Kind kind, const std::string& key, const kube::Json& object,
                                      bool deleted)>;

  explicit Cluster(kube::Client& client);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Before Start().
  void AddListener(Listener listener);
  void Start();
  void Stop();
  // True once every informer has listed its objects.
  bool Synced() const;
  bool WaitForSync(absl::Duration timeout) const;

  std::optional<Entry<api::Pod>> Pod(const std::string& key) const;
  std::vector<Entry<api::Pod>> Pods() const;
  // Pods whose spec.nodeName is `node`.
  std::vector<Entry<api::Pod>> PodsOnNode(const std::string& node) const;

  std::optional<Entry<api::Node>> Node(const std::string& name) const;
  std::optional<Entry<api::Node>> NodeByProviderID(const std::string& provider_id) const;
  std::vector<Entry<api::Node>> Nodes() const;

  std::optional<Entry<api::NodeClaim>> NodeClaim(const std::string& name) const;
  std::optional<Entry<api::NodeClaim>> NodeClaimByProviderID(const std::string& id) const;
  std::vector<Entry<api::NodeClaim>> NodeClaims() const;

  std::optional<Entry<api::NodePool>> NodePool(const std::string& name) const;
  std::vector<Entry<api::NodePool>> NodePools() const;

  std::optional<Entry<api::EC2NodeClass>> NodeClass(const std::string& name) const;
  std::vector<Entry<api::EC2NodeClass>> NodeClasses() const;

  std::vector<Entry<api::DaemonSet>> DaemonSets() const;

  // Storage, for volume topology and attach limits. Claims are keyed "namespace/name"; CSINodes
  // by their node's name.
  std::vector<Entry<api::PersistentVolumeClaim>> PersistentVolumeClaims() const;
  std::vector<Entry<api::PersistentVolume>> PersistentVolumes() const;
  std::vector<Entry<api::StorageClass>> StorageClasses() const;
  std::vector<Entry<api::CSINode>> CSINodes() const;
  std::vector<Entry<api::PodDisruptionBudget>> PodDisruptionBudgets() const;

  // Makes an object this process just wrote visible before its watch event arrives (Karpenter
  // updates cluster state right after creating a NodeClaim so the next batch cannot miss it).
  void ObserveNodeClaim(const kube::Json& object);

 private:
  template <typename T>
  struct Store;
  void Apply(Kind kind, const kube::Json* old_obj, const std::shared_ptr<const kube::Json>& new_obj);
  void Notify(Kind kind, const std::string& key, const kube::Json& object, bool deleted);

  kube::Client& client_;
  mutable std::mutex mu_;
  std::unique_ptr<Store<api::Pod>> pods_;
  std::unique_ptr<Store<api::Node>> nodes_;
  std::unique_ptr<Store<api::NodeClaim>> node_claims_;
  std::unique_ptr<Store<api::NodePool>> node_pools_;
  std::unique_ptr<Store<api::EC2NodeClass>> node_classes_;
  std::unique_ptr<Store<api::DaemonSet>> daemon_sets_;
  std::unique_ptr<Store<api::PersistentVolumeClaim>> claims_;
  std::unique_ptr<Store<api::PersistentVolume>> volumes_;
  std::unique_ptr<Store<api::StorageClass>> storage_classes_;
  std::unique_ptr<Store<api::CSINode>> csi_nodes_;
  std::unique_ptr<Store<api::PodDisruptionBudget>> pdbs_;
  std::map<std::string, std::set<std::string>, std::less<>> pods_by_node_;
  std::map<std::string, std::string, std::less<>> node_by_provider_id_;
  std::map<std::string, std::string, std::less<>> claim_by_provider_id_;
  std::vector<Listener> listeners_;
  std::vector<std::unique_ptr<kube::Informer>> informers_;
};

// "namespace/name" (or "name" when the object has no namespace) from the JSON metadata.
std::string ObjectKey(const kube::Json& object);

}  // namespace joinery::state
