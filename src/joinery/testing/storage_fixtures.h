// Test builders for storage objects (PersistentVolumeClaims, PersistentVolumes, StorageClasses,
// CSINodes, claim volumes), shared by the volume tests of scheduling/ and the plan checker's.
// Header-only and built on the API types alone, so a test of any layer can include it without
// linking the testing library. For tests only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "joinery/api/types.h"

namespace joinery::testing {

inline constexpr char kZoneLabel[] = "topology.kubernetes.io/zone";
inline constexpr char kEbsZoneLabel[] = "topology.ebs.csi.aws.com/zone";
inline constexpr char kEbsDriver[] = "ebs.csi.aws.com";

// A claim in namespace default: bound to `volume` when given (annotation and phase Bound, as the
// PV controller leaves it), else Pending. `storage_class` nullopt: the field is absent.
inline api::PersistentVolumeClaim MakePvc(std::string name,
                                          std::optional<std::string> storage_class,
                                          std::string volume = "") {
  api::PersistentVolumeClaim c;
  c.metadata.name = std::move(name);
  c.metadata.namespace_ = "default";
  c.spec.storage_class_name = std::move(storage_class);
  c.spec.volume_name = std::move(volume);
  if (!c.spec.volume_name.empty()) {
    c.metadata.annotations["pv.kubernetes.io/bind-completed"] = "yes";
    c.phase = "Bound";
  } else {
    c.phase = "Pending";
  }
  return c;
}

// An EBS CSI volume (class gp3) pinned to `zone` by its node affinity under `zone_key`.
inline api::PersistentVolume MakeZonalEbsPv(std::string name, std::string zone,
                                            std::string zone_key = kZoneLabel) {
  api::PersistentVolume pv;
  pv.metadata.name = std::move(name);
  pv.spec.storage_class_name = "gp3";
  pv.spec.csi = api::CSIPersistentVolumeSource{.driver = kEbsDriver,
                                               .volume_handle = "vol-" + pv.metadata.name};
  api::NodeSelectorRequirement r;
  r.key = std::move(zone_key);
  r.operator_ = "In";
  r.values = {std::move(zone)};
  api::NodeSelectorTerm term;
  term.match_expressions = {std::move(r)};
  pv.spec.node_affinity = std::vector<api::NodeSelectorTerm>{std::move(term)};
  return pv;
}

// A StorageClass with binding `mode`, limited to `allowed_zones` under `zone_key` when given.
inline api::StorageClass MakeStorageClass(std::string name, std::string mode,
                                          std::vector<std::string> allowed_zones = {},
                                          std::string zone_key = kZoneLabel,
                                          std::string provisioner = kEbsDriver) {
  api::StorageClass sc;
  sc.metadata.name = std::move(name);
  sc.provisioner = std::move(provisioner);
  sc.volume_binding_mode = std::move(mode);
  if (!allowed_zones.empty()) {
    api::TopologySelectorTerm t;
    t.match_label_expressions.push_back(
        {.key = std::move(zone_key), .values = std::move(allowed_zones)});
    sc.allowed_topologies = {std::move(t)};
  }
  return sc;
}

// The CSINode of `node` with one driver whose allocatable count is `count` (nullopt: no count).
inline api::CSINode MakeCSINode(std::string node, std::string driver,
                                std::optional<int32_t> count) {
  api::CSINode n;
  n.metadata.name = std::move(node);
  api::CSINodeDriver d;
  d.name = std::move(driver);
  d.node_id = "i-1";
  d.allocatable_count = count;
  n.drivers = {std::move(d)};
  return n;
}

// A pod volume `name` mounting claim `claim`.
inline api::Volume ClaimVolume(std::string name, std::string claim) {
  api::Volume v;
  v.name = std::move(name);
  v.pvc_claim_name = std::move(claim);
  return v;
}

}  // namespace joinery::testing
