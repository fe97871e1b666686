#include "joinery/simulate/simulate.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "joinery/api/decode.h"
#include "joinery/api/defaults.h"

namespace joinery::simulate {
namespace {

TEST(BuildSnapshot, CarriesTheStorageObjects) {
  api::Manifests m;
  ASSERT_TRUE(api::DecodeDocuments(R"(
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {storageClassName: gp3}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-1}
spec: {csi: {driver: ebs.csi.aws.com, volumeHandle: vol-1}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3}
provisioner: ebs.csi.aws.com
---
apiVersion: storage.k8s.io/v1
kind: CSINode
metadata: {name: n1}
spec: {drivers: [{name: ebs.csi.aws.com, nodeID: i-1, allocatable: {count: 25}}]}
)",
                                   "storage.yaml", m)
                  .ok());
  api::ApplyDefaults(m);
  std::vector<std::string> warnings;
  solver::Snapshot s =
      BuildSnapshot(m, std::make_shared<const cloudprovider::InstanceTypes>(), {}, &warnings);
  ASSERT_EQ(s.persistent_volume_claims.size(), 1u);
  EXPECT_EQ(s.persistent_volume_claims[0].metadata.namespace_, "default");
  ASSERT_EQ(s.persistent_volumes.size(), 1u);
  EXPECT_EQ(s.persistent_volumes[0].spec.csi->volume_handle, "vol-1");
  ASSERT_EQ(s.storage_classes.size(), 1u);
  EXPECT_EQ(s.storage_classes[0].volume_binding_mode, "Immediate");
  ASSERT_EQ(s.csi_nodes.size(), 1u);
  EXPECT_EQ(s.csi_nodes[0].drivers[0].allocatable_count, 25);
  EXPECT_THAT(warnings, ::testing::IsEmpty());
}

// A StatefulSet of 3 with two volumeClaimTemplates; its pod template has a volume named like one
// of them and one of its own. Input claim shop/data-db-1 exists already; other/data-db-2 is in
// another namespace.
constexpr std::string_view kStatefulSet = R"(
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db}]
      volumes:
      - {name: config, persistentVolumeClaim: {claimName: shared-config}}
      - {name: data, ephemeral: {volumeClaimTemplate: {spec: {storageClassName: scratch}}}}
  volumeClaimTemplates:
  - metadata: {name: data, labels: {app: other, tier: storage}, annotations: {note: x}}
    spec: {storageClassName: gp3-c}
  - metadata: {name: logs}
    spec: {}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-db-1, namespace: shop}
spec: {storageClassName: io2}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-db-2, namespace: other}
spec: {storageClassName: io2}
)";

api::Manifests DecodeOrDie(std::string_view text) {
  api::Manifests m;
  absl::Status s = api::DecodeDocuments(text, "sts.yaml", m);
  EXPECT_TRUE(s.ok()) << s;
  api::ApplyDefaults(m);
  return m;
}

// "volume name=claim name" for claim volumes, the bare name for others.
std::vector<std::string> VolumeSummary(const api::Pod& p) {
  std::vector<std::string> out;
  for (const api::Volume& v : p.spec.volumes) {
    std::string s = v.name;
    if (v.pvc_claim_name.has_value()) s += "=" + *v.pvc_claim_name;
    if (v.ephemeral.has_value()) s += "=ephemeral";
    out.push_back(std::move(s));
  }
  return out;
}

TEST(ExpandWorkloads, StatefulSetPodsMountTheirOrdinalsClaims) {
  api::Manifests m = DecodeOrDie(kStatefulSet);
  std::vector<api::Pod> pods = ExpandWorkloads(m);
  ASSERT_EQ(pods.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const api::Pod& p = pods[i];
    std::string n = std::to_string(i);
    EXPECT_EQ(p.metadata.name, "db-" + n);
    EXPECT_EQ(p.metadata.namespace_, "shop");
    // The template's volume "data" (ephemeral) is replaced; "config" is kept, after the claims.
    EXPECT_THAT(VolumeSummary(p), ::testing::ElementsAre("data=data-db-" + n, "logs=logs-db-" + n,
                                                         "config=shared-config"));
  }
}

TEST(ExpandWorkloads, StatefulSetWithoutTemplatesKeepsItsVolumes) {
  api::Manifests m = DecodeOrDie(kStatefulSet);
  m.stateful_sets[0].volume_claim_templates.clear();
  std::vector<api::Pod> pods = ExpandWorkloads(m);
  ASSERT_EQ(pods.size(), 3u);
  EXPECT_THAT(VolumeSummary(pods[0]),
              ::testing::ElementsAre("config=shared-config", "data=ephemeral"));
  EXPECT_THAT(StatefulSetClaims(m), ::testing::IsEmpty());
}

TEST(StatefulSetClaims, CreatesTheMissingClaimsAsTheControllerWould) {
  api::Manifests m = DecodeOrDie(kStatefulSet);
  std::vector<api::PersistentVolumeClaim> claims = StatefulSetClaims(m);
  std::vector<std::string> names;
  for (const auto& c : claims) names.push_back(c.metadata.namespace_ + "/" + c.metadata.name);
  // shop/data-db-1 exists and is reused; other/data-db-2 does not stand in for shop/data-db-2.
  ASSERT_THAT(names, ::testing::ElementsAre("shop/data-db-0", "shop/logs-db-0", "shop/logs-db-1",
                                            "shop/data-db-2", "shop/logs-db-2"));
  const api::PersistentVolumeClaim& data0 = claims[0];
  // Template labels plus the selector's matchLabels, which win.
  EXPECT_EQ(data0.metadata.labels, (api::StringMap{{"app", "db"}, {"tier", "storage"}}));
  EXPECT_EQ(data0.metadata.annotations.at("note"), "x");
  EXPECT_EQ(data0.spec.storage_class_name, "gp3-c");
  EXPECT_EQ(data0.spec.volume_name, "");
  EXPECT_EQ(data0.phase, "Pending");
  EXPECT_EQ(data0.source.file, "sts.yaml");
  const api::PersistentVolumeClaim& logs0 = claims[1];
  EXPECT_EQ(logs0.metadata.labels, (api::StringMap{{"app", "db"}}));
  EXPECT_FALSE(logs0.spec.storage_class_name.has_value());  // the default StorageClass applies
}

TEST(BuildSnapshot, AddsStatefulSetClaimsAfterTheInputOnes) {
  api::Manifests m = DecodeOrDie(kStatefulSet);
  solver::Snapshot s =
      BuildSnapshot(m, std::make_shared<const cloudprovider::InstanceTypes>(), {}, nullptr);
  std::vector<std::string> claims;
  for (const auto& c : s.persistent_volume_claims) {
    claims.push_back(c.metadata.namespace_ + "/" + c.metadata.name + ":" +
                     c.spec.storage_class_name.value_or("<default>"));
  }
  EXPECT_THAT(claims, ::testing::ElementsAre("shop/data-db-1:io2", "other/data-db-2:io2",
                                             "shop/data-db-0:gp3-c", "shop/logs-db-0:<default>",
                                             "shop/logs-db-1:<default>", "shop/data-db-2:gp3-c",
                                             "shop/logs-db-2:<default>"));
  ASSERT_EQ(s.pods.size(), 3u);
  EXPECT_EQ(s.pods[1].spec.volumes[0].pvc_claim_name, "data-db-1");
}

}  // namespace
}  // namespace joinery::simulate
