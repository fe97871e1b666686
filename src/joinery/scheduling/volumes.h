// Volumes: the topology a pod's PersistentVolumeClaims impose on its node, and the per-node limit
// on attached CSI volumes, as Karpenter computes them (core pkg/scheduling/volumeusage.go,
// pkg/controllers/provisioning/scheduling/volumetopology.go, pkg/utils/volume/volume.go).
//
// VolumeIndex is built once per Solve from the snapshot's storage objects and answers per-pod
// questions by lookups (hash maps keyed by namespace/name); VolumeUsage is the set of volumes one
// node has attached, checked against that node's per-driver limits. A pod's volumes that come from
// neither a persistentVolumeClaim nor an ephemeral source (emptyDir, configMap, ...) are ignored.
//
// Claims are found as Kubernetes names them: persistentVolumeClaim.claimName in the pod's
// namespace, or <pod name>-<volume name> for a generic ephemeral volume. Two deliberate
// differences from Karpenter, both for input that has not been through the API server yet (the
// manifests `joinery simulate` reads): an ephemeral volume whose claim does not exist yet is read
// from its volumeClaimTemplate (Karpenter reports the claim missing until the ephemeral-volume
// controller creates it, moments after the pod), and a claim with no storageClassName at all uses
// the default StorageClass (annotation storageclass.kubernetes.io/is-default-class=true, the newest
// if several), which the API server's DefaultStorageClass admission plugin would have filled in.
//
// Thread-safety: a VolumeIndex is immutable after construction; concurrent const calls are safe.
// VolumeUsage is a plain value (thread-compatible).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "joinery/api/labels.h"
#include "joinery/api/types.h"
#include "joinery/scheduling/requirements.h"

namespace joinery::scheduling {

// The AWS EBS CSI driver; also the driver of in-tree awsElasticBlockStore volumes and of the
// in-tree kubernetes.io/aws-ebs provisioner.
inline constexpr std::string_view kEBSCSIDriver = api::kEBSCSIDriver;

// A pod's (or a node's) CSI volumes: driver name → unique volume ids, both sorted. A volume's id is
// "<namespace>/<claim name>", as Karpenter keys them: a PersistentVolume binds to exactly one
// claim, so pods sharing a claim share one attachment and count once.
using DriverVolumes = std::map<std::string, std::set<std::string, std::less<>>, std::less<>>;

// Attach limits: driver name → the most unique volumes of that driver a node may have. A driver
// without an entry is unlimited.
using VolumeLimits = std::map<std::string, int, std::less<>>;

class VolumeIndex {
 public:
  // An index of no storage objects: pods with claims fail to find them.
  VolumeIndex() = default;
  // Indexes the objects by name. It keeps pointers into the vectors, which must outlive the index
  // and not change while it is used. Where a name repeats (input that skipped validation), the
  // first object wins.
  VolumeIndex(const std::vector<api::PersistentVolumeClaim>& claims,
              const std::vector<api::PersistentVolume>& volumes,
              const std::vector<api::StorageClass>& storage_classes,
              const std::vector<api::CSINode>& csi_nodes);

  // True when the pod has a persistentVolumeClaim or ephemeral volume (the only volumes the other
  // calls look at); cheap, for skipping the rest.
  static bool HasClaims(const api::Pod& pod);

  // Karpenter's ValidatePersistentVolumeClaims: whether the pod's claims let it be provisioned
  // for at all. Errors (Karpenter's words, then the objects involved, as Karpenter attaches them to
  // the error, in parentheses; Karpenter's provisioner then ignores the pod, "ignoring pod,
  // <err>"):
  //   NotFound  getting persistent volume claim "c", persistentvolumeclaims "c" not found
  //   FailedPrecondition  persistentvolumeclaim is being deleted (PersistentVolumeClaim=ns/c)
  //   FailedPrecondition  persistentvolumeclaim bound to non-existent persistentvolume (...)
  //   NotFound  failed to validate pvc, persistentvolumes "pv" not found (...)
  //   FailedPrecondition  failed to validate pvc, persistentvolume is being deleted (...)
  //   FailedPrecondition  pvc is considered unbound because it does not contain annotation (...)
  //   FailedPrecondition  unbound pvc must define a storage class (...)
  //   NotFound  failed to validate pvc, failed to get storage class, storageclasses.storage.k8s.io
  //             "sc" not found (...)
  //   FailedPrecondition  failed to validate pvc, pvc with immediate volume binding mode must be
  //                       bound (...)
  // A claim with a volumeName counts as bound when it has the pv.kubernetes.io/bind-completed
  // annotation (Karpenter's test, after kube-scheduler's) or status.phase Bound.
  absl::Status ValidatePod(const api::Pod& pod) const;

  // The node requirements the pod's volumes impose (Karpenter's VolumeTopology.GetRequirements),
  // as alternatives: the pod fits a node that satisfies any one of them; empty when the volumes
  // impose nothing. Each volume contributes its ORed terms:
  //  - a claim bound to a PersistentVolume with spec.nodeAffinity.required: one alternative per
  //    node selector term, without kubernetes.io/hostname for local and hostPath volumes (a new
  //    node cannot be the old host; a hostname-only term leaves an unconstrained alternative);
  //  - an unbound claim whose StorageClass binds WaitForFirstConsumer: one alternative per
  //    allowedTopologies term, each matchLabelExpression as key In values;
  //  - an unbound claim with an Immediate StorageClass or storageClassName "", or a volume without
  //    node affinity: nothing;
  //  - ephemeral volumes of a pod already bound to a node: nothing (its claim is recreated when
  //    the pod is).
  // Several volumes combine as the cross product of their alternatives, keeping the compatible
  // combinations (all of them when none is: the pod then fits nowhere).
  // Label keys are normalized (topology.ebs.csi.aws.com/zone is topology.kubernetes.io/zone).
  // Errors (Karpenter's words):
  //   NotFound  discovering persistent volume claim, getting persistent volume claim "c",
  //             persistentvolumeclaims "c" not found
  //   NotFound  getting existing requirements, getting persistent volume, persistentvolumes "pv"
  //             not found
  //   NotFound  getting storage class, storageclasses.storage.k8s.io "sc" not found
  //   InvalidArgument  a PV node-affinity expression with an unknown operator or bad bound.
  absl::StatusOr<std::vector<Requirements>> PodVolumeRequirements(const api::Pod& pod) const;

  // The pod's CSI volumes by driver (Karpenter's GetVolumes): for each claim, the driver of its
  // PersistentVolume (spec.csi.driver; awsElasticBlockStore is ebs.csi.aws.com; other sources are
  // not CSI and are skipped), or, while unbound, its StorageClass's provisioner (in-tree names
  // translated to their CSI driver, e.g. kubernetes.io/aws-ebs → ebs.csi.aws.com). As in Karpenter,
  // a claim that does not exist, an unbound claim without a storage class and a StorageClass that
  // does not exist are skipped. Error: NotFound `persistentvolumes "pv" not found` for a claim
  // bound to a volume that does not exist.
  absl::StatusOr<DriverVolumes> PodVolumes(const api::Pod& pod) const;

  // The attach limit of `driver` on an existing node, from its CSINode's allocatable.count;
  // nullopt (unlimited) when the node has no CSINode, the CSINode does not list the driver, or the
  // count is absent. (Karpenter reads an allocatable without a count as 0; Kubernetes defines it
  // as unbounded, which is followed here.)
  std::optional<int> NodeLimit(std::string_view node, std::string_view driver) const;
  // Every driver limit of an existing node (empty: unlimited).
  const VolumeLimits& NodeLimits(std::string_view node) const;

  // Lookups; nullptr when absent. An empty namespace means "default".
  const api::PersistentVolumeClaim* FindClaim(std::string_view ns, std::string_view name) const;
  const api::PersistentVolume* FindVolume(std::string_view name) const;
  const api::StorageClass* FindStorageClass(std::string_view name) const;
  // The default StorageClass; nullptr when there is none.
  const api::StorageClass* DefaultStorageClass() const { return default_class_; }

 private:
  absl::flat_hash_map<std::string, const api::PersistentVolumeClaim*> claims_;  // "ns/name"
  absl::flat_hash_map<std::string, const api::PersistentVolume*> volumes_;
  absl::flat_hash_map<std::string, const api::StorageClass*> classes_;
  absl::flat_hash_map<std::string, VolumeLimits> node_limits_;
  const api::StorageClass* default_class_ = nullptr;
};

// The CSI driver an in-tree provisioner name stands for (Kubernetes' csi-translation-lib:
// kubernetes.io/aws-ebs → ebs.csi.aws.com, kubernetes.io/gce-pd → pd.csi.storage.gke.io, ...);
// any other name is returned unchanged.
std::string_view CSIDriverForProvisioner(std::string_view provisioner);

// The volumes attached to one node (existing, in flight or planned) and the check that more fit
// (Karpenter's VolumeUsage).
class VolumeUsage {
 public:
  // Records a pod's volumes; a volume already present counts once.
  void Add(const DriverVolumes& volumes);
  // Unique volumes of `driver` once `incoming` is added.
  int CountWith(std::string_view driver, const DriverVolumes& incoming) const;
  // OK when, after adding `incoming`, every driver that has a limit has at most that many unique
  // volumes. Otherwise ResourceExhausted, for the first such driver in name order, worded as
  // Karpenter's existing-node check: "checking volume usage, would exceed volume limit for
  // ebs.csi.aws.com, 27 > 26". As in Karpenter, the node's own volumes count even when `incoming`
  // has none of that driver: a node already over a limit (its CSINode count dropped) takes no pod.
  absl::Status CheckFits(const DriverVolumes& incoming, const VolumeLimits& limits) const;
  const DriverVolumes& volumes() const { return volumes_; }

 private:
  DriverVolumes volumes_;
};

}  // namespace joinery::scheduling
