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

}  // namespace
}  // namespace joinery::simulate
