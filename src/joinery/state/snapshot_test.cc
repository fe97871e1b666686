#include "joinery/state/snapshot.h"

#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "joinery/kube/fake_client.h"
#include "joinery/state/cluster.h"

namespace joinery::state {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Json = kube::Json;

// Waits (up to 10 s) until `done` holds; informers deliver on their own threads.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST(BuildSnapshot, CarriesTheStorageObjectsThatDecode) {
  kube::FakeClient client;
  auto add = [&](const kube::Resource& r, std::string_view ns, Json obj) {
    ASSERT_TRUE(client.Add(r, ns, std::move(obj)).ok());
  };
  add(kube::resources::PersistentVolumeClaims(), "shop",
      Json::parse(R"({"metadata": {"name": "data-db-0", "namespace": "shop"},
                      "spec": {"storageClassName": "gp3", "volumeName": "pv-1"},
                      "status": {"phase": "Bound"}})"));
  add(kube::resources::PersistentVolumeClaims(), "shop",
      Json::parse(R"({"metadata": {"name": "broken", "namespace": "shop"},
                      "spec": {"volumeName": ["pv-2"]}})"));
  add(kube::resources::PersistentVolumes(), "", Json::parse(R"({"metadata": {"name": "pv-1"},
                      "spec": {"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-1"}}})"));
  add(kube::resources::StorageClasses(), "",
      Json::parse(R"({"metadata": {"name": "gp3"}, "provisioner": "ebs.csi.aws.com",
                      "volumeBindingMode": "WaitForFirstConsumer"})"));
  add(kube::resources::CSINodes(), "", Json::parse(R"({"metadata": {"name": "ip-10-0-0-1"},
                      "spec": {"drivers": [{"name": "ebs.csi.aws.com", "nodeID": "i-1",
                                            "allocatable": {"count": 25}}]}})"));
  Cluster cluster(client);
  cluster.Start();
  ASSERT_TRUE(cluster.WaitForSync(absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] {
    return cluster.PersistentVolumeClaims().size() == 2 && cluster.CSINodes().size() == 1 &&
           cluster.PersistentVolumes().size() == 1 && cluster.StorageClasses().size() == 1;
  }));

  solver::Snapshot snap = BuildSnapshot(cluster, {});
  ASSERT_EQ(snap.persistent_volume_claims.size(), 1u)
      << "the claim that does not decode is left out";
  EXPECT_EQ(snap.persistent_volume_claims[0].metadata.namespace_, "shop");
  EXPECT_EQ(snap.persistent_volume_claims[0].spec.volume_name, "pv-1");
  ASSERT_EQ(snap.persistent_volumes.size(), 1u);
  EXPECT_EQ(snap.persistent_volumes[0].spec.csi->driver, "ebs.csi.aws.com");
  ASSERT_EQ(snap.storage_classes.size(), 1u);
  EXPECT_EQ(snap.storage_classes[0].volume_binding_mode, "WaitForFirstConsumer");
  ASSERT_EQ(snap.csi_nodes.size(), 1u);
  EXPECT_EQ(snap.csi_nodes[0].metadata.name, "ip-10-0-0-1");
  EXPECT_EQ(snap.csi_nodes[0].drivers[0].allocatable_count, 25);

  auto broken = cluster.PersistentVolumeClaims();
  EXPECT_THAT(broken[0].error, ::testing::HasSubstr("spec.volumeName: must be a string"));

  // Deletions reach the view.
  ASSERT_TRUE(client.Delete(kube::resources::CSINodes(), "", "ip-10-0-0-1", {}).ok());
  ASSERT_TRUE(Eventually([&] { return cluster.CSINodes().empty(); }));
  EXPECT_THAT(BuildSnapshot(cluster, {}).csi_nodes, IsEmpty());
  cluster.Stop();
}

}  // namespace
}  // namespace joinery::state
