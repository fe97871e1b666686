#include "joinery/scheduling/volumes.h"

#include <utility>

#include "joinery/api/labels.h"
#include "joinery/common/strings.h"

namespace joinery::scheduling {
namespace {

constexpr std::string_view kDefaultNamespace = "default";
constexpr std::string_view kIsDefaultClassAnnotation =
    "storageclass.kubernetes.io/is-default-class";
constexpr std::string_view kBindCompletedAnnotation = "pv.kubernetes.io/bind-completed";

std::string_view NamespaceOf(const api::Pod& pod) {
  return pod.metadata.NamespaceOrDefault();
}

std::string Key(std::string_view ns, std::string_view name) {
  return StrCat(ns.empty() ? kDefaultNamespace : ns, "/", name);
}

// One of a pod's claims: an existing PersistentVolumeClaim, or (for an ephemeral volume whose
// claim does not exist yet) the claim its template describes.
struct ClaimRef {
  std::string name;                                   // the claim's name in the pod's namespace
  const api::PersistentVolumeClaim* claim = nullptr;  // null while only the template exists
  const api::PersistentVolumeClaimSpec* spec = nullptr;
  bool ephemeral = false;
};

// The messages Kubernetes' API client gives for a missing object, which Karpenter passes on.
std::string NotFoundText(std::string_view resource, std::string_view name) {
  return StrCat(resource, " \"", name, "\" not found");
}

// Karpenter's serrors values, printed after the message: " (PersistentVolumeClaim=ns/c, ...)".
std::string Values(std::initializer_list<std::pair<std::string_view, std::string>> kv) {
  std::string out;
  for (const auto& [k, v] : kv) {
    StrAppend(out, out.empty() ? " (" : ", ", k, "=", v);
  }
  if (!out.empty()) out += ")";
  return out;
}

}  // namespace

std::string_view CSIDriverForProvisioner(std::string_view provisioner) {
  static constexpr std::pair<std::string_view, std::string_view> kInTree[] = {
      {"kubernetes.io/aws-ebs", kEBSCSIDriver},
      {"kubernetes.io/gce-pd", "pd.csi.storage.gke.io"},
      {"kubernetes.io/azure-disk", "disk.csi.azure.com"},
      {"kubernetes.io/azure-file", "file.csi.azure.com"},
      {"kubernetes.io/cinder", "cinder.csi.openstack.org"},
      {"kubernetes.io/vsphere-volume", "csi.vsphere.vmware.com"},
      {"kubernetes.io/portworx-volume", "pxd.portworx.com"},
      {"kubernetes.io/rbd", "rbd.csi.ceph.com"},
  };
  for (const auto& [in_tree, csi] : kInTree) {
    if (provisioner == in_tree) return csi;
  }
  return provisioner;
}

VolumeIndex::VolumeIndex(const std::vector<api::PersistentVolumeClaim>& claims,
                         const std::vector<api::PersistentVolume>& volumes,
                         const std::vector<api::StorageClass>& storage_classes,
                         const std::vector<api::CSINode>& csi_nodes) {
  claims_.reserve(claims.size());
  for (const auto& c : claims) {
    claims_.try_emplace(Key(c.metadata.namespace_, c.metadata.name), &c);
  }
  volumes_.reserve(volumes.size());
  for (const auto& v : volumes) volumes_.try_emplace(v.metadata.name, &v);
  classes_.reserve(storage_classes.size());
  for (const auto& sc : storage_classes) {
    classes_.try_emplace(sc.metadata.name, &sc);
    auto it = sc.metadata.annotations.find(kIsDefaultClassAnnotation);
    if (it == sc.metadata.annotations.end() || it->second != "true") continue;
    // Several defaults: the newest wins (Kubernetes since 1.26; RFC 3339 strings in UTC order as
    // times do), then the first listed.
    if (default_class_ == nullptr ||
        sc.metadata.creation_timestamp > default_class_->metadata.creation_timestamp) {
      default_class_ = &sc;
    }
  }
  for (const auto& n : csi_nodes) {
    if (node_limits_.contains(n.metadata.name)) continue;
    VolumeLimits& limits = node_limits_[n.metadata.name];
    for (const auto& d : n.drivers) {
      if (d.allocatable_count.has_value()) limits.emplace(d.name, *d.allocatable_count);
    }
  }
}

bool VolumeIndex::HasClaims(const api::Pod& pod) {
  for (const auto& v : pod.spec.volumes) {
    if (v.pvc_claim_name.has_value() || v.ephemeral.has_value()) return true;
  }
  return false;
}

const api::PersistentVolumeClaim* VolumeIndex::FindClaim(std::string_view ns,
                                                         std::string_view name) const {
  auto it = claims_.find(Key(ns, name));
  return it == claims_.end() ? nullptr : it->second;
}

const api::PersistentVolume* VolumeIndex::FindVolume(std::string_view name) const {
  auto it = volumes_.find(ToAbsl(name));
  return it == volumes_.end() ? nullptr : it->second;
}

const api::StorageClass* VolumeIndex::FindStorageClass(std::string_view name) const {
  auto it = classes_.find(ToAbsl(name));
  return it == classes_.end() ? nullptr : it->second;
}

std::optional<int> VolumeIndex::NodeLimit(std::string_view node, std::string_view driver) const {
  const VolumeLimits& limits = NodeLimits(node);
  auto it = limits.find(driver);
  if (it == limits.end()) return std::nullopt;
  return it->second;
}

const VolumeLimits& VolumeIndex::NodeLimits(std::string_view node) const {
  static const VolumeLimits* const kNone = new VolumeLimits();
  auto it = node_limits_.find(ToAbsl(node));
  return it == node_limits_.end() ? *kNone : it->second;
}

namespace {

// Resolves a pod volume to its claim; nullopt for volumes without one (emptyDir, ...). A missing
// persistentVolumeClaim is reported by the caller (`ref.claim` and `ref.spec` both null).
std::optional<ClaimRef> ResolveClaim(const VolumeIndex& index, const api::Pod& pod,
                                     const api::Volume& v) {
  ClaimRef ref;
  if (v.pvc_claim_name.has_value()) {
    ref.name = *v.pvc_claim_name;
  } else if (v.ephemeral.has_value()) {
    ref.name = StrCat(pod.metadata.name, "-", v.name);
    ref.ephemeral = true;
  } else {
    return std::nullopt;
  }
  ref.claim = index.FindClaim(NamespaceOf(pod), ref.name);
  if (ref.claim != nullptr) {
    ref.spec = &ref.claim->spec;
  } else if (ref.ephemeral) {
    ref.spec = &*v.ephemeral;
  }
  return ref;
}

// The claim's storage class name: as written, or the default class when the field is absent.
std::string_view ClassName(const VolumeIndex& index, const api::PersistentVolumeClaimSpec& spec) {
  if (spec.storage_class_name.has_value()) return *spec.storage_class_name;
  const api::StorageClass* def = index.DefaultStorageClass();
  return def == nullptr ? std::string_view() : std::string_view(def->metadata.name);
}

bool IsBound(const api::PersistentVolumeClaim& c) {
  return c.metadata.annotations.contains(kBindCompletedAnnotation) || c.phase == "Bound";
}

}  // namespace

absl::Status VolumeIndex::ValidatePod(const api::Pod& pod) const {
  const std::string_view ns = NamespaceOf(pod);
  for (const auto& v : pod.spec.volumes) {
    std::optional<ClaimRef> ref = ResolveClaim(*this, pod, v);
    if (!ref.has_value()) continue;
    if (ref->spec == nullptr) {
      return absl::NotFoundError(StrCat("getting persistent volume claim \"", ref->name, "\", ",
                                        NotFoundText("persistentvolumeclaims", ref->name)));
    }
    const api::PersistentVolumeClaimSpec& spec = *ref->spec;
    const std::string claim_key = Key(ns, ref->name);
    const std::string_view class_name = ClassName(*this, spec);
    if (ref->claim != nullptr) {
      if (ref->claim->metadata.deletion_timestamp.has_value()) {
        return absl::FailedPreconditionError(
            StrCat("persistentvolumeclaim is being deleted",
                   Values({{"PersistentVolumeClaim", claim_key}})));
      }
      if (ref->claim->phase == "Lost") {
        return absl::FailedPreconditionError(
            StrCat("persistentvolumeclaim bound to non-existent persistentvolume",
                   Values({{"PersistentVolumeClaim", claim_key},
                           {"PersistentVolume", spec.volume_name}})));
      }
    }
    if (!spec.volume_name.empty()) {
      auto values = Values({{"PersistentVolumeClaim", claim_key},
                            {"PersistentVolume", spec.volume_name},
                            {"StorageClass", std::string(class_name)}});
      const api::PersistentVolume* pv = FindVolume(spec.volume_name);
      if (pv == nullptr) {
        return absl::NotFoundError(StrCat("failed to validate pvc, ",
                                          NotFoundText("persistentvolumes", spec.volume_name),
                                          values));
      }
      if (pv->metadata.deletion_timestamp.has_value()) {
        return absl::FailedPreconditionError(
            StrCat("failed to validate pvc, persistentvolume is being deleted", values));
      }
      // kube-scheduler treats a claim with a volumeName as bound only once the PV controller has
      // completed the binding. A template (no claim yet) naming a volume is taken as bound.
      if (ref->claim != nullptr && !IsBound(*ref->claim)) {
        return absl::FailedPreconditionError(
            StrCat("pvc is considered unbound because it does not contain annotation",
                   Values({{"annotation", std::string(kBindCompletedAnnotation)},
                           {"PersistentVolumeClaim", claim_key},
                           {"PersistentVolume", spec.volume_name}})));
      }
      continue;
    }
    auto values =
        Values({{"PersistentVolumeClaim", claim_key}, {"StorageClass", std::string(class_name)}});
    if (class_name.empty()) {
      return absl::FailedPreconditionError(
          StrCat("unbound pvc must define a storage class", values));
    }
    const api::StorageClass* sc = FindStorageClass(class_name);
    if (sc == nullptr) {
      return absl::NotFoundError(StrCat("failed to validate pvc, failed to get storage class, ",
                                        NotFoundText("storageclasses.storage.k8s.io", class_name),
                                        values));
    }
    if (sc->volume_binding_mode.empty() || sc->volume_binding_mode == "Immediate") {
      return absl::FailedPreconditionError(StrCat(
          "failed to validate pvc, pvc with immediate volume binding mode must be bound", values));
    }
  }
  return absl::OkStatus();
}

namespace {

// Karpenter's mergeVolumeRequirementAlternatives: the cross product of the alternatives so far
// and one volume's, keeping the compatible combinations; when none is, every combination (their
// merged requirements then admit no node, and the pod fails where it is tried).
std::vector<Requirements> MergeAlternatives(const std::vector<Requirements>& so_far,
                                            const std::vector<Requirements>& volume) {
  std::vector<Requirements> compatible, all;
  for (const Requirements& a : so_far) {
    for (const Requirements& v : volume) {
      Requirements merged = a;
      merged.Add(v);
      if (a.Intersects(v).ok()) compatible.push_back(merged);
      all.push_back(std::move(merged));
    }
  }
  return compatible.empty() ? all : compatible;
}

}  // namespace

absl::StatusOr<std::vector<Requirements>> VolumeIndex::PodVolumeRequirements(
    const api::Pod& pod) const {
  std::vector<Requirements> alternatives = {Requirements()};
  bool any = false;
  for (const auto& v : pod.spec.volumes) {
    // An ephemeral volume's claim is deleted with its pod and recreated with the new one, so a
    // bound pod's current claim says nothing about where the pod may go next.
    if (v.ephemeral.has_value() && !pod.spec.node_name.empty()) continue;
    std::optional<ClaimRef> ref = ResolveClaim(*this, pod, v);
    if (!ref.has_value()) continue;
    if (ref->spec == nullptr) {
      return absl::NotFoundError(
          StrCat("discovering persistent volume claim, getting persistent "
                 "volume claim \"",
                 ref->name, "\", ", NotFoundText("persistentvolumeclaims", ref->name)));
    }
    const api::PersistentVolumeClaimSpec& spec = *ref->spec;
    std::vector<Requirements> volume;  // this volume's alternatives (its terms, ORed)
    if (!spec.volume_name.empty()) {
      const api::PersistentVolume* pv = FindVolume(spec.volume_name);
      if (pv == nullptr) {
        return absl::NotFoundError(
            StrCat("getting existing requirements, getting persistent volume, ",
                   NotFoundText("persistentvolumes", spec.volume_name)));
      }
      if (!pv->spec.node_affinity.has_value()) continue;
      const bool pinned_to_host = pv->spec.local || pv->spec.host_path;
      for (const auto& term : *pv->spec.node_affinity) {
        Requirements alt;
        bool kept = false;
        for (const auto& expr : term.match_expressions) {
          if (pinned_to_host && api::NormalizeLabelKey(expr.key) == api::kLabelHostname) continue;
          absl::StatusOr<Requirement> r =
              Requirement::Make(expr.key, expr.operator_, expr.values, std::nullopt);
          if (!r.ok()) {
            return absl::InvalidArgumentError(
                StrCat("getting existing requirements, PersistentVolume ", pv->metadata.name, ": ",
                       ToStd(r.status().message())));
          }
          alt.Add(*r);
          kept = true;
        }
        // A local volume's hostname-only term leaves an unconstrained alternative.
        if (kept || (pinned_to_host && !term.match_expressions.empty())) {
          volume.push_back(std::move(alt));
        }
      }
    } else {
      const std::string_view class_name = ClassName(*this, spec);
      if (class_name.empty()) continue;
      const api::StorageClass* sc = FindStorageClass(class_name);
      if (sc == nullptr) {
        return absl::NotFoundError(StrCat(
            "getting storage class, ", NotFoundText("storageclasses.storage.k8s.io", class_name)));
      }
      // An Immediate class provisions the volume before the pod schedules; its
      // PersistentVolume's affinity constrains the pod once the claim is bound.
      if (sc->volume_binding_mode != "WaitForFirstConsumer") continue;
      for (const auto& term : sc->allowed_topologies) {
        Requirements alt;
        for (const auto& e : term.match_label_expressions) {
          alt.Add(Requirement::In(std::string(api::NormalizeLabelKey(e.key)), e.values));
        }
        if (!alt.empty()) volume.push_back(std::move(alt));
      }
    }
    if (volume.empty()) continue;
    alternatives = MergeAlternatives(alternatives, volume);
    any = true;
  }
  if (!any) return std::vector<Requirements>{};
  return alternatives;
}

absl::StatusOr<DriverVolumes> VolumeIndex::PodVolumes(const api::Pod& pod) const {
  DriverVolumes out;
  const std::string_view ns = NamespaceOf(pod);
  for (const auto& v : pod.spec.volumes) {
    std::optional<ClaimRef> ref = ResolveClaim(*this, pod, v);
    // A claim that is gone (deleted, its finalizer removed) cannot be attached: Karpenter skips
    // it rather than block every pod on the node.
    if (!ref.has_value() || ref->spec == nullptr) continue;
    const api::PersistentVolumeClaimSpec& spec = *ref->spec;
    std::string_view driver;
    if (!spec.volume_name.empty()) {
      const api::PersistentVolume* pv = FindVolume(spec.volume_name);
      if (pv == nullptr) {
        return absl::NotFoundError(NotFoundText("persistentvolumes", spec.volume_name));
      }
      if (pv->spec.csi.has_value()) {
        driver = pv->spec.csi->driver;
      } else if (pv->spec.aws_elastic_block_store.has_value()) {
        driver = kEBSCSIDriver;
      }
    } else {
      const std::string_view class_name = ClassName(*this, spec);
      if (class_name.empty()) continue;
      const api::StorageClass* sc = FindStorageClass(class_name);
      if (sc == nullptr) continue;
      driver = CSIDriverForProvisioner(sc->provisioner);
    }
    if (driver.empty()) continue;  // not a CSI volume
    out[std::string(driver)].insert(Key(ns, ref->name));
  }
  return out;
}

void VolumeUsage::Add(const DriverVolumes& volumes) {
  for (const auto& [driver, ids] : volumes) {
    auto& mine = volumes_[driver];
    mine.insert(ids.begin(), ids.end());
  }
}

int VolumeUsage::CountWith(std::string_view driver, const DriverVolumes& incoming) const {
  int count = 0;
  const std::set<std::string, std::less<>>* mine = nullptr;
  if (auto it = volumes_.find(driver); it != volumes_.end()) {
    mine = &it->second;
    count = static_cast<int>(mine->size());
  }
  if (auto it = incoming.find(driver); it != incoming.end()) {
    for (const auto& id : it->second) {
      if (mine == nullptr || !mine->contains(id)) ++count;
    }
  }
  return count;
}

absl::Status VolumeUsage::CheckFits(const DriverVolumes& incoming,
                                    const VolumeLimits& limits) const {
  for (const auto& [driver, limit] : limits) {  // name order: the first failure is deterministic
    const int count = CountWith(driver, incoming);
    if (count > limit) {
      return absl::ResourceExhaustedError(
          StrCat("checking volume usage, would exceed volume limit for ", driver, ", ", count,
                 " > ", limit));
    }
  }
  return absl::OkStatus();
}

}  // namespace joinery::scheduling
