#include "joinery/scheduling/volumes.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "joinery/common/strings.h"
#include "joinery/testing/storage_fixtures.h"

namespace joinery::scheduling {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using joinery::testing::ClaimVolume;
using joinery::testing::MakeCSINode;
using joinery::testing::MakePvc;
using joinery::testing::MakeStorageClass;
using joinery::testing::MakeZonalEbsPv;

constexpr char kZone[] = "topology.kubernetes.io/zone";

// ---- Fixtures: defaults plus overrides (storage objects: testing/storage_fixtures.h) ----

api::NodeSelectorRequirement Expr(std::string key, std::string op,
                                  std::vector<std::string> values) {
  api::NodeSelectorRequirement r;
  r.key = std::move(key);
  r.operator_ = std::move(op);
  r.values = std::move(values);
  return r;
}

api::Volume EphemeralVolume(std::string name, std::optional<std::string> storage_class) {
  api::Volume v;
  v.name = std::move(name);
  v.ephemeral = api::PersistentVolumeClaimSpec{};
  v.ephemeral->storage_class_name = std::move(storage_class);
  return v;
}

api::Pod PodWith(std::string name, std::vector<api::Volume> volumes) {
  api::Pod p;
  p.metadata.name = std::move(name);
  p.metadata.namespace_ = "default";
  p.spec.volumes = std::move(volumes);
  return p;
}

// The storage objects of a test; the index points into them, so they outlive it.
struct Storage {
  std::vector<api::PersistentVolumeClaim> claims;
  std::vector<api::PersistentVolume> volumes;
  std::vector<api::StorageClass> classes;
  std::vector<api::CSINode> csi_nodes;
  VolumeIndex Index() const { return VolumeIndex(claims, volumes, classes, csi_nodes); }
};

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

// The alternatives, " | "-separated.
std::string Alts(const std::vector<Requirements>& alts) {
  std::vector<std::string> out;
  for (const auto& r : alts) out.push_back(r.ToString());
  return StrJoin(out, " | ");
}

// ---- Topology ----

TEST(PodVolumeRequirements, BoundZonalVolumeRequiresItsZone) {
  Storage s;
  s.claims = {MakePvc("data", "gp3", "pv-1")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  s.classes = {MakeStorageClass("gp3", "WaitForFirstConsumer", {"us-east-1b"})};
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  // The bound volume decides; the class's allowed topologies no longer matter.
  EXPECT_EQ(Alts(*r), "topology.kubernetes.io/zone In [us-east-1a]");
}

TEST(PodVolumeRequirements, EbsDriverZoneKeyIsTheWellKnownZone) {
  Storage s;
  s.claims = {MakePvc("data", "gp3", "pv-1")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1c", "topology.ebs.csi.aws.com/zone")};
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Alts(*r), "topology.kubernetes.io/zone In [us-east-1c]");
}

TEST(PodVolumeRequirements, EachNodeSelectorTermIsAnAlternative) {
  Storage s;
  s.claims = {MakePvc("data", "gp3", "pv-1")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  api::NodeSelectorTerm other;
  other.match_expressions = {Expr(kZone, "In", {"us-east-1b"})};
  s.volumes[0].spec.node_affinity->push_back(other);
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Alts(*r), "topology.kubernetes.io/zone In [us-east-1a] | topology.kubernetes.io/zone In [us-east-1b]");
}

TEST(PodVolumeRequirements, NotInAndExistsOperatorsBecomeRequirements) {
  Storage s;
  s.claims = {MakePvc("data", "gp3", "pv-1")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  s.volumes[0].spec.node_affinity->front().match_expressions = {
      Expr(kZone, "NotIn", {"us-east-1b"}), Expr("example.com/disk", "Exists", {})};
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Alts(*r),
            "example.com/disk Exists, topology.kubernetes.io/zone NotIn [us-east-1b]");
}

TEST(PodVolumeRequirements, LocalVolumeDropsTheHostnameButKeepsTheZone) {
  Storage s;
  s.claims = {MakePvc("data", "local", "pv-1")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  s.volumes[0].spec.csi.reset();
  s.volumes[0].spec.local = true;
  s.volumes[0].spec.node_affinity->front().match_expressions.push_back(
      Expr("kubernetes.io/hostname", "In", {"ip-10-0-0-1"}));
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Alts(*r), "topology.kubernetes.io/zone In [us-east-1a]");
}

TEST(PodVolumeRequirements, NetworkVolumeKeepsTheHostname) {
  Storage s;
  s.claims = {MakePvc("data", "gp3", "pv-1")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  s.volumes[0].spec.node_affinity->front().match_expressions = {
      Expr("kubernetes.io/hostname", "In", {"ip-10-0-0-1"})};
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Alts(*r), "kubernetes.io/hostname In [ip-10-0-0-1]");
}

TEST(PodVolumeRequirements, VolumeWithoutNodeAffinityImposesNothing) {
  Storage s;
  s.claims = {MakePvc("data", "efs", "pv-1")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  s.volumes[0].spec.node_affinity.reset();
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
}

TEST(PodVolumeRequirements, WaitForFirstConsumerTakesEachAllowedTopologyAsAnAlternative) {
  Storage s;
  s.claims = {MakePvc("data", "gp3")};
  s.classes = {MakeStorageClass("gp3", "WaitForFirstConsumer", {"us-east-1a", "us-east-1b"})};
  api::TopologySelectorTerm other;
  other.match_label_expressions = {{.key = kZone, .values = {"us-east-1c"}}};
  s.classes[0].allowed_topologies.push_back(other);
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Alts(*r),
            "topology.kubernetes.io/zone In [us-east-1a us-east-1b] | topology.kubernetes.io/zone In [us-east-1c]");
}

TEST(PodVolumeRequirements, WaitForFirstConsumerWithoutAllowedTopologiesImposesNothing) {
  Storage s;
  s.claims = {MakePvc("data", "gp3")};
  s.classes = {MakeStorageClass("gp3", "WaitForFirstConsumer")};
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
}

TEST(PodVolumeRequirements, ImmediateUnboundClaimImposesNothing) {
  Storage s;
  s.claims = {MakePvc("data", "gp3")};
  s.classes = {MakeStorageClass("gp3", "Immediate", {"us-east-1a"})};
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
}

TEST(PodVolumeRequirements, EmptyStorageClassNameImposesNothing) {
  Storage s;
  s.claims = {MakePvc("data", "")};
  s.classes = {MakeStorageClass("gp3", "WaitForFirstConsumer", {"us-east-1a"})};
  s.classes[0].metadata.annotations["storageclass.kubernetes.io/is-default-class"] = "true";
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty()) << "\"\" turns dynamic provisioning off; the default does not apply";
}

TEST(PodVolumeRequirements, AbsentStorageClassNameUsesTheNewestDefaultClass) {
  Storage s;
  s.claims = {MakePvc("data", std::nullopt)};
  s.classes = {MakeStorageClass("old", "WaitForFirstConsumer", {"us-east-1a"}),
               MakeStorageClass("new", "WaitForFirstConsumer", {"us-east-1b"}),
               MakeStorageClass("other", "WaitForFirstConsumer", {"us-east-1c"})};
  s.classes[0].metadata.creation_timestamp = "2024-01-01T00:00:00Z";
  s.classes[1].metadata.creation_timestamp = "2025-01-01T00:00:00Z";
  for (int i : {0, 1}) {
    s.classes[i].metadata.annotations["storageclass.kubernetes.io/is-default-class"] = "true";
  }
  VolumeIndex index = s.Index();
  ASSERT_NE(index.DefaultStorageClass(), nullptr);
  EXPECT_EQ(index.DefaultStorageClass()->metadata.name, "new");
  absl::StatusOr<std::vector<Requirements>> r =
      index.PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Alts(*r), "topology.kubernetes.io/zone In [us-east-1b]");
}

TEST(PodVolumeRequirements, VolumesInDifferentZonesCannotBeSatisfied) {
  Storage s;
  s.claims = {MakePvc("a", "gp3", "pv-a"), MakePvc("b", "gp3", "pv-b"), MakePvc("c", "gp3", "pv-c")};
  s.volumes = {MakeZonalEbsPv("pv-a", "us-east-1a"), MakeZonalEbsPv("pv-b", "us-east-1b"),
               MakeZonalEbsPv("pv-c", "us-east-1a")};
  VolumeIndex index = s.Index();
  absl::StatusOr<std::vector<Requirements>> same =
      index.PodVolumeRequirements(PodWith("p", {ClaimVolume("a", "a"), ClaimVolume("c", "c")}));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(Alts(*same), "topology.kubernetes.io/zone In [us-east-1a]");
  absl::StatusOr<std::vector<Requirements>> split =
      index.PodVolumeRequirements(PodWith("p", {ClaimVolume("a", "a"), ClaimVolume("b", "b")}));
  ASSERT_TRUE(split.ok()) << split.status();
  // No combination is compatible: Karpenter keeps them all, and none admits a zone.
  ASSERT_EQ(split->size(), 1u);
  ASSERT_NE((*split)[0].Find(kZone), nullptr);
  EXPECT_TRUE((*split)[0].Find(kZone)->IsDoesNotExist()) << Alts(*split);
}

TEST(PodVolumeRequirements, VolumesCombineIntoTheirCompatibleAlternatives) {
  Storage s;
  s.claims = {MakePvc("a", "two-zones"), MakePvc("b", "gp3", "pv-b")};
  s.classes = {MakeStorageClass("two-zones", "WaitForFirstConsumer", {"us-east-1a"})};
  api::TopologySelectorTerm other;
  other.match_label_expressions = {{.key = kZone, .values = {"us-east-1b"}}};
  s.classes[0].allowed_topologies.push_back(other);
  s.volumes = {MakeZonalEbsPv("pv-b", "us-east-1b")};
  absl::StatusOr<std::vector<Requirements>> r = s.Index().PodVolumeRequirements(
      PodWith("p", {ClaimVolume("a", "a"), ClaimVolume("b", "b")}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Alts(*r), "topology.kubernetes.io/zone In [us-east-1b]")
      << "the us-east-1a alternative conflicts with the bound volume and is pruned";
}

TEST(PodVolumeRequirements, LocalVolumeHostnameOnlyTermLeavesAnUnconstrainedAlternative) {
  Storage s;
  s.claims = {MakePvc("data", "local", "pv-1")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  s.volumes[0].spec.csi.reset();
  s.volumes[0].spec.local = true;
  s.volumes[0].spec.node_affinity->front().match_expressions = {
      Expr("kubernetes.io/hostname", "In", {"ip-10-0-0-1"})};
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data")}));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_TRUE((*r)[0].empty());
}

TEST(PodVolumeRequirements, MissingClaimIsAnErrorInKarpentersWords) {
  Storage s;
  absl::StatusOr<std::vector<Requirements>> r =
      s.Index().PodVolumeRequirements(PodWith("db-0", {ClaimVolume("data", "data-db-0")}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Msg(r.status()),
            "discovering persistent volume claim, getting persistent volume claim \"data-db-0\", "
            "persistentvolumeclaims \"data-db-0\" not found");
}

TEST(PodVolumeRequirements, ClaimsAreLookedUpInThePodsNamespace) {
  Storage s;
  s.claims = {MakePvc("data", "gp3", "pv-1")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  api::Pod pod = PodWith("db-0", {ClaimVolume("data", "data")});
  pod.metadata.namespace_ = "shop";
  EXPECT_EQ(s.Index().PodVolumeRequirements(pod).status().code(), absl::StatusCode::kNotFound);
  s.claims[0].metadata.namespace_ = "shop";
  EXPECT_TRUE(s.Index().PodVolumeRequirements(pod).ok());
}

TEST(PodVolumeRequirements, MissingVolumeAndStorageClassAreErrors) {
  Storage s;
  s.claims = {MakePvc("bound", "gp3", "pv-gone"), MakePvc("unbound", "fast")};
  VolumeIndex index = s.Index();
  absl::StatusOr<std::vector<Requirements>> r =
      index.PodVolumeRequirements(PodWith("p", {ClaimVolume("v", "bound")}));
  EXPECT_EQ(Msg(r.status()),
            "getting existing requirements, getting persistent volume, persistentvolumes "
            "\"pv-gone\" not found");
  r = index.PodVolumeRequirements(PodWith("p", {ClaimVolume("v", "unbound")}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Msg(r.status()),
            "getting storage class, storageclasses.storage.k8s.io \"fast\" not found");
}

TEST(PodVolumeRequirements, OtherVolumeSourcesAreIgnored) {
  Storage s;
  api::Volume empty_dir;
  empty_dir.name = "cache";
  api::Pod pod = PodWith("p", {empty_dir});
  EXPECT_FALSE(VolumeIndex::HasClaims(pod));
  absl::StatusOr<std::vector<Requirements>> r = s.Index().PodVolumeRequirements(pod);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
  EXPECT_TRUE(VolumeIndex::HasClaims(PodWith("p", {ClaimVolume("v", "c")})));
  EXPECT_TRUE(VolumeIndex::HasClaims(PodWith("p", {EphemeralVolume("v", "gp3")})));
}

TEST(PodVolumeRequirements, EphemeralVolumeUsesItsClaimOrElseItsTemplate) {
  Storage s;
  s.classes = {MakeStorageClass("zonal-a", "WaitForFirstConsumer", {"us-east-1a"}),
               MakeStorageClass("zonal-b", "WaitForFirstConsumer", {"us-east-1b"})};
  api::Pod pod = PodWith("web-0", {EphemeralVolume("scratch", "zonal-a")});
  absl::StatusOr<std::vector<Requirements>> r = s.Index().PodVolumeRequirements(pod);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Alts(*r), "topology.kubernetes.io/zone In [us-east-1a]");
  // Once the ephemeral-volume controller has created web-0-scratch, the claim is what counts.
  s.claims = {MakePvc("web-0-scratch", "zonal-b")};
  r = s.Index().PodVolumeRequirements(pod);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Alts(*r), "topology.kubernetes.io/zone In [us-east-1b]");
}

TEST(PodVolumeRequirements, EphemeralVolumesOfABoundPodImposeNothing) {
  Storage s;
  s.claims = {MakePvc("web-0-scratch", "gp3", "pv-1")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  api::Pod pod = PodWith("web-0", {EphemeralVolume("scratch", "gp3")});
  pod.spec.node_name = "ip-10-0-0-1";
  absl::StatusOr<std::vector<Requirements>> r = s.Index().PodVolumeRequirements(pod);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
}

// ---- Validation ----

TEST(ValidatePod, AcceptsBoundAndWaitForFirstConsumerClaims) {
  Storage s;
  s.claims = {MakePvc("bound", "gp3", "pv-1"), MakePvc("wait", "gp3")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  s.classes = {MakeStorageClass("gp3", "WaitForFirstConsumer")};
  api::Volume empty_dir;
  empty_dir.name = "cache";
  EXPECT_TRUE(s.Index()
                  .ValidatePod(PodWith("p", {ClaimVolume("a", "bound"), ClaimVolume("b", "wait"),
                                             EphemeralVolume("c", "gp3"), empty_dir}))
                  .ok());
}

TEST(ValidatePod, MissingClaim) {
  Storage s;
  absl::Status st = s.Index().ValidatePod(PodWith("p", {ClaimVolume("v", "data")}));
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Msg(st),
            "getting persistent volume claim \"data\", persistentvolumeclaims \"data\" not found");
}

TEST(ValidatePod, ClaimBeingDeletedOrLost) {
  Storage s;
  s.claims = {MakePvc("deleting", "gp3", "pv-1"), MakePvc("lost", "gp3", "pv-1")};
  s.claims[0].metadata.deletion_timestamp = "2025-01-01T00:00:00Z";
  s.claims[1].phase = "Lost";
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  VolumeIndex index = s.Index();
  absl::Status st = index.ValidatePod(PodWith("p", {ClaimVolume("v", "deleting")}));
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Msg(st),
            "persistentvolumeclaim is being deleted (PersistentVolumeClaim=default/deleting)");
  EXPECT_EQ(Msg(index.ValidatePod(PodWith("p", {ClaimVolume("v", "lost")}))),
            "persistentvolumeclaim bound to non-existent persistentvolume "
            "(PersistentVolumeClaim=default/lost, PersistentVolume=pv-1)");
}

TEST(ValidatePod, BoundClaimNeedsItsVolume) {
  Storage s;
  s.claims = {MakePvc("data", "gp3", "pv-1")};
  absl::Status st = s.Index().ValidatePod(PodWith("p", {ClaimVolume("v", "data")}));
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Msg(st),
            "failed to validate pvc, persistentvolumes \"pv-1\" not found "
            "(PersistentVolumeClaim=default/data, PersistentVolume=pv-1, StorageClass=gp3)");
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  s.volumes[0].metadata.deletion_timestamp = "2025-01-01T00:00:00Z";
  EXPECT_EQ(Msg(s.Index().ValidatePod(PodWith("p", {ClaimVolume("v", "data")}))),
            "failed to validate pvc, persistentvolume is being deleted "
            "(PersistentVolumeClaim=default/data, PersistentVolume=pv-1, StorageClass=gp3)");
}

TEST(ValidatePod, VolumeNameWithoutCompletedBindingIsUnbound) {
  Storage s;
  s.claims = {MakePvc("data", "gp3", "pv-1")};
  s.claims[0].metadata.annotations.clear();
  s.claims[0].phase = "Pending";
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  EXPECT_EQ(Msg(s.Index().ValidatePod(PodWith("p", {ClaimVolume("v", "data")}))),
            "pvc is considered unbound because it does not contain annotation "
            "(annotation=pv.kubernetes.io/bind-completed, PersistentVolumeClaim=default/data, "
            "PersistentVolume=pv-1)");
  s.claims[0].phase = "Bound";  // what `kubectl get` shows; enough for hand-written manifests
  EXPECT_TRUE(s.Index().ValidatePod(PodWith("p", {ClaimVolume("v", "data")})).ok());
}

TEST(ValidatePod, UnboundClaimNeedsAWaitForFirstConsumerClass) {
  Storage s;
  s.claims = {MakePvc("none", ""), MakePvc("missing", "fast"), MakePvc("now", "gp2")};
  s.classes = {MakeStorageClass("gp2", "Immediate")};
  VolumeIndex index = s.Index();
  absl::Status st = index.ValidatePod(PodWith("p", {ClaimVolume("v", "none")}));
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Msg(st),
            "unbound pvc must define a storage class "
            "(PersistentVolumeClaim=default/none, StorageClass=)");
  st = index.ValidatePod(PodWith("p", {ClaimVolume("v", "missing")}));
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Msg(st),
            "failed to validate pvc, failed to get storage class, storageclasses.storage.k8s.io "
            "\"fast\" not found (PersistentVolumeClaim=default/missing, StorageClass=fast)");
  EXPECT_EQ(Msg(index.ValidatePod(PodWith("p", {ClaimVolume("v", "now")}))),
            "failed to validate pvc, pvc with immediate volume binding mode must be bound "
            "(PersistentVolumeClaim=default/now, StorageClass=gp2)");
}

// ---- Attachable volumes ----

TEST(PodVolumes, DriversComeFromTheVolumeOrElseTheStorageClass) {
  Storage s;
  s.claims = {MakePvc("csi", "gp3", "pv-csi"), MakePvc("legacy", "", "pv-ebs"),
              MakePvc("nfs", "", "pv-nfs"),    MakePvc("unbound", "gp3"),
              MakePvc("intree", "gp2"),        MakePvc("noclass", ""),
              MakePvc("ghostclass", "nope")};
  s.volumes = {MakeZonalEbsPv("pv-csi", "us-east-1a"), MakeZonalEbsPv("pv-ebs", "us-east-1a"),
               MakeZonalEbsPv("pv-nfs", "us-east-1a")};
  s.volumes[1].spec.csi.reset();
  s.volumes[1].spec.aws_elastic_block_store = api::AWSElasticBlockStoreVolumeSource{};
  s.volumes[2].spec.csi.reset();  // e.g. nfs: not a CSI volume
  s.classes = {MakeStorageClass("gp3", "WaitForFirstConsumer", {}, kZone, "efs.csi.aws.com"),
               MakeStorageClass("gp2", "WaitForFirstConsumer", {}, kZone, "kubernetes.io/aws-ebs")};
  std::vector<api::Volume> vols;
  for (const char* c :
       {"csi", "legacy", "nfs", "unbound", "intree", "noclass", "ghostclass", "missing-claim"}) {
    vols.push_back(ClaimVolume(c, c));
  }
  absl::StatusOr<DriverVolumes> got = s.Index().PodVolumes(PodWith("p", vols));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre(Pair("ebs.csi.aws.com", ElementsAre("default/csi", "default/intree",
                                                                    "default/legacy")),
                                Pair("efs.csi.aws.com", ElementsAre("default/unbound"))));
}

TEST(PodVolumes, EphemeralVolumeIsNamedAfterThePod) {
  Storage s;
  s.classes = {MakeStorageClass("gp3", "WaitForFirstConsumer")};
  api::Pod pod = PodWith("web-0", {EphemeralVolume("scratch", "gp3")});
  pod.metadata.namespace_ = "shop";
  absl::StatusOr<DriverVolumes> got = s.Index().PodVolumes(pod);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre(Pair("ebs.csi.aws.com", ElementsAre("shop/web-0-scratch"))));
}

TEST(PodVolumes, ClaimBoundToAMissingVolumeIsAnError) {
  Storage s;
  s.claims = {MakePvc("data", "gp3", "pv-1")};
  absl::StatusOr<DriverVolumes> got =
      s.Index().PodVolumes(PodWith("p", {ClaimVolume("v", "data")}));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Msg(got.status()), "persistentvolumes \"pv-1\" not found");
}

TEST(CSIDriverForProvisioner, TranslatesInTreeNames) {
  EXPECT_EQ(CSIDriverForProvisioner("kubernetes.io/aws-ebs"), "ebs.csi.aws.com");
  EXPECT_EQ(CSIDriverForProvisioner("kubernetes.io/gce-pd"), "pd.csi.storage.gke.io");
  EXPECT_EQ(CSIDriverForProvisioner("ebs.csi.aws.com"), "ebs.csi.aws.com");
  EXPECT_EQ(CSIDriverForProvisioner("example.com/fancy"), "example.com/fancy");
}

// ---- Limits ----

TEST(NodeLimit, ComesFromTheCSINode) {
  Storage s;
  s.csi_nodes = {MakeCSINode("n1", "ebs.csi.aws.com", 25),
                 MakeCSINode("n2", "ebs.csi.aws.com", std::nullopt)};
  api::CSINodeDriver efs;
  efs.name = "efs.csi.aws.com";
  efs.allocatable_count = 100;
  s.csi_nodes[0].drivers.push_back(efs);
  VolumeIndex index = s.Index();
  EXPECT_EQ(index.NodeLimit("n1", "ebs.csi.aws.com"), 25);
  EXPECT_EQ(index.NodeLimit("n1", "efs.csi.aws.com"), 100);
  EXPECT_EQ(index.NodeLimit("n1", "other"), std::nullopt);
  EXPECT_EQ(index.NodeLimit("n2", "ebs.csi.aws.com"), std::nullopt) << "no count: unbounded";
  EXPECT_EQ(index.NodeLimit("n3", "ebs.csi.aws.com"), std::nullopt) << "no CSINode";
  EXPECT_THAT(index.NodeLimits("n1"),
              ElementsAre(Pair("ebs.csi.aws.com", 25), Pair("efs.csi.aws.com", 100)));
  EXPECT_THAT(index.NodeLimits("n3"), IsEmpty());
}

DriverVolumes Vols(std::string driver, std::vector<std::string> ids) {
  DriverVolumes v;
  v[driver].insert(ids.begin(), ids.end());
  return v;
}

TEST(VolumeUsage, SharedClaimCountsOnce) {
  Storage s;
  s.claims = {MakePvc("shared", "gp3", "pv-1")};
  s.volumes = {MakeZonalEbsPv("pv-1", "us-east-1a")};
  VolumeIndex index = s.Index();
  absl::StatusOr<DriverVolumes> a = index.PodVolumes(PodWith("a", {ClaimVolume("v", "shared")}));
  absl::StatusOr<DriverVolumes> b = index.PodVolumes(PodWith("b", {ClaimVolume("v", "shared")}));
  ASSERT_TRUE(a.ok() && b.ok());
  VolumeUsage usage;
  usage.Add(*a);
  EXPECT_EQ(usage.CountWith("ebs.csi.aws.com", *b), 1);
  EXPECT_TRUE(usage.CheckFits(*b, {{"ebs.csi.aws.com", 1}}).ok());
  usage.Add(*b);
  EXPECT_THAT(usage.volumes(), ElementsAre(Pair("ebs.csi.aws.com", ElementsAre("default/shared"))));
}

TEST(VolumeUsage, RejectsAPodThatWouldExceedTheLimit) {
  VolumeUsage usage;
  usage.Add(Vols("ebs.csi.aws.com", {"ns/a", "ns/b"}));
  const VolumeLimits limits = {{"ebs.csi.aws.com", 3}};
  EXPECT_TRUE(usage.CheckFits(Vols("ebs.csi.aws.com", {"ns/c"}), limits).ok());
  EXPECT_TRUE(usage.CheckFits(Vols("ebs.csi.aws.com", {"ns/a", "ns/c"}), limits).ok())
      << "ns/a is attached already";
  absl::Status st = usage.CheckFits(Vols("ebs.csi.aws.com", {"ns/c", "ns/d"}), limits);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Msg(st), "checking volume usage, would exceed volume limit for ebs.csi.aws.com, 4 > 3");
}

TEST(VolumeUsage, LimitsArePerDriverAndAbsentLimitsAreUnlimited) {
  VolumeUsage usage;
  usage.Add(Vols("ebs.csi.aws.com", {"ns/a"}));
  usage.Add(Vols("efs.csi.aws.com", {"ns/x", "ns/y", "ns/z"}));
  const VolumeLimits limits = {{"ebs.csi.aws.com", 1}};
  EXPECT_TRUE(usage.CheckFits(Vols("efs.csi.aws.com", {"ns/w"}), limits).ok());
  EXPECT_FALSE(usage.CheckFits(Vols("ebs.csi.aws.com", {"ns/b"}), limits).ok());
  EXPECT_TRUE(usage.CheckFits(Vols("ebs.csi.aws.com", {"ns/b"}), {}).ok());
}

TEST(VolumeUsage, ANodeOverItsLimitTakesNoPod) {
  VolumeUsage usage;
  usage.Add(Vols("ebs.csi.aws.com", {"ns/a", "ns/b"}));
  EXPECT_EQ(Msg(usage.CheckFits({}, {{"ebs.csi.aws.com", 1}})),
            "checking volume usage, would exceed volume limit for ebs.csi.aws.com, 2 > 1");
}

TEST(VolumeUsage, CSINodeLimitEndToEnd) {
  Storage s;
  s.classes = {MakeStorageClass("gp3", "WaitForFirstConsumer")};
  s.csi_nodes = {MakeCSINode("n1", "ebs.csi.aws.com", 2)};
  for (const char* c : {"a", "b", "c"}) s.claims.push_back(MakePvc(c, "gp3"));
  VolumeIndex index = s.Index();
  VolumeUsage usage;
  for (const char* c : {"a", "b"}) {
    absl::StatusOr<DriverVolumes> v = index.PodVolumes(PodWith(c, {ClaimVolume("v", c)}));
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(usage.CheckFits(*v, index.NodeLimits("n1")).ok());
    usage.Add(*v);
  }
  absl::StatusOr<DriverVolumes> third = index.PodVolumes(PodWith("c", {ClaimVolume("v", "c")}));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(Msg(usage.CheckFits(*third, index.NodeLimits("n1"))),
            "checking volume usage, would exceed volume limit for ebs.csi.aws.com, 3 > 2");
  EXPECT_TRUE(usage.CheckFits(*third, index.NodeLimits("n2")).ok()) << "no CSINode: unlimited";
}

}  // namespace
}  // namespace joinery::scheduling
