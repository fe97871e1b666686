#include "joinery/controllers/gc/garbage_collection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "joinery/controllers/testing_cloud_provider.h"

namespace joinery::controllers {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::Json;
using testing::TestWorld;

class GarbageCollectionTest : public ::testing::Test {
 protected:
  // An instance launched `age` ago for the NodeClaim `claim`.
  void AddInstance(std::string provider_id, std::string claim, absl::Duration age) {
    api::NodeClaim inst;
    inst.metadata.name = std::move(claim);
    inst.metadata.creation_timestamp = FormatRfc3339(w_.clock.Now() - age);
    inst.status.provider_id = std::move(provider_id);
    w_.cloud.AddInstance(std::move(inst));
  }

  // A NodeClaim with a providerID, Registered=`registered`.
  void AddNodeClaim(std::string_view name, std::string_view provider_id, bool registered) {
    Json j = {
        {"apiVersion", "karpenter.sh/v1"},
        {"kind", "NodeClaim"},
        {"metadata", {{"name", std::string(name)}}},
        {"spec",
         {{"requirements", Json::array()},
          {"nodeClassRef",
           {{"group", "karpenter.k8s.aws"}, {"kind", "EC2NodeClass"}, {"name", "trainium-trn1"}}}}},
        {"status",
         {{"providerID", std::string(provider_id)},
          {"conditions",
           {{{"type", "Registered"},
             {"status", registered ? "True" : "Unknown"},
             {"reason", registered ? "Registered" : "NodeNotFound"}}}}}}};
    ASSERT_TRUE(w_.client.Add(kube::resources::NodeClaims(), "", j).ok());
  }

  absl::StatusOr<Result> Reconcile() {
    if (!w_.Start() || !w_.CaughtUp())
      return absl::DeadlineExceededError("cluster view not synced");
    return gc_.Reconcile("gc");
  }

  TestWorld w_;
  GarbageCollection gc_{w_.cluster, w_.client, w_.cloud, w_.clock};
};

TEST_F(GarbageCollectionTest, InstanceWithoutANodeClaimOlderThanTheGraceIsDeleted) {
  AddInstance("aws:///us-east-1a/i-orphan", "trainium-trn1-gone1", absl::Minutes(1));
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(w_.cloud.Deletes(), ElementsAre("aws:///us-east-1a/i-orphan"));
  EXPECT_FALSE(w_.cloud.HasInstance("aws:///us-east-1a/i-orphan"));
  ASSERT_TRUE(r->requeue_after.has_value());
  // Karpenter's cadence: every 10 s for the first 20 passes, then every 2 minutes.
  EXPECT_EQ(*r->requeue_after, absl::Seconds(10));
  for (int i = 1; i < 20; ++i) {
    r = gc_.Reconcile("gc");
    ASSERT_TRUE(r.ok());
  }
  EXPECT_EQ(*r->requeue_after, absl::Seconds(10));
  r = gc_.Reconcile("gc");
  EXPECT_EQ(*r->requeue_after, absl::Minutes(2));
}

TEST_F(GarbageCollectionTest, DuplicateInstanceOfANodeClaimThatRecordsAnotherIsDeleted) {
  // Two instances carry the NodeClaim's identity (a deposed leader launched the second); the
  // NodeClaim records the first. Identity is the providerID: the second goes, with its Node.
  AddInstance("aws:///us-east-1a/i-kept", "trainium-trn1-dup01", absl::Minutes(5));
  AddInstance("aws:///us-east-1a/i-dup", "trainium-trn1-dup01", absl::Minutes(5));
  AddNodeClaim("trainium-trn1-dup01", "aws:///us-east-1a/i-kept", /*registered=*/true);
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_THAT(w_.cloud.Deletes(), ElementsAre("aws:///us-east-1a/i-dup"));
  EXPECT_TRUE(w_.cloud.HasInstance("aws:///us-east-1a/i-kept"));
  EXPECT_TRUE(w_.client.CallsOf("delete", "nodeclaims").empty());
}

TEST_F(GarbageCollectionTest, ManagedNodeWithoutANodeClaimOrInstanceIsDeleted) {
  auto node = [&](std::string name, std::string provider_id, bool managed) {
    Json n = {{"apiVersion", "v1"},
              {"kind", "Node"},
              {"metadata",
               {{"name", name},
                {"creationTimestamp", FormatRfc3339(w_.clock.Now() - absl::Minutes(5))},
                {"labels", Json::object()}}},
              {"spec", {{"providerID", provider_id}}}};
    if (managed) n["metadata"]["labels"]["karpenter.sh/nodepool"] = "trainium-trn1";
    ASSERT_TRUE(w_.client.Add(kube::resources::Nodes(), "", n).ok());
  };
  node("orphan", "aws:///us-east-1a/i-gone", true);        // no NodeClaim, no instance: deleted
  node("static", "aws:///us-east-1a/i-static", false);     // not Karpenter's: never touched
  node("running", "aws:///us-east-1a/i-running", true);    // instance still there: GC'd with it
  AddInstance("aws:///us-east-1a/i-running", "trainium-trn1-run01", absl::Seconds(5));
  node("held", "aws:///us-east-1a/i-held", true);          // its NodeClaim holds it
  AddNodeClaim("trainium-trn1-held1", "aws:///us-east-1a/i-held", /*registered=*/true);
  AddInstance("aws:///us-east-1a/i-held", "trainium-trn1-held1", absl::Minutes(5));
  ASSERT_TRUE(Reconcile().ok());
  auto deletes = w_.client.CallsOf("delete", "nodes");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0].name, "orphan");
  EXPECT_TRUE(w_.client.Get(kube::resources::Nodes(), "", "static").ok());
  EXPECT_TRUE(w_.client.Get(kube::resources::Nodes(), "", "held").ok());
}

TEST_F(GarbageCollectionTest, FreshInstanceWithoutANodeClaimIsLeftAlone) {
  // Launched a moment ago: its NodeClaim's launch may not be recorded yet.
  AddInstance("aws:///us-east-1a/i-fresh", "trainium-trn1-new01", absl::Seconds(10));
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_THAT(w_.cloud.Deletes(), IsEmpty());
  EXPECT_TRUE(w_.cloud.HasInstance("aws:///us-east-1a/i-fresh"));

  // Once past the grace period it goes.
  w_.clock.Advance(absl::Seconds(30));
  ASSERT_TRUE(gc_.Reconcile("gc").ok());
  EXPECT_THAT(w_.cloud.Deletes(), ElementsAre("aws:///us-east-1a/i-fresh"));
}

TEST_F(GarbageCollectionTest, InstanceWithANodeClaimIsLeftAlone) {
  AddInstance("aws:///us-east-1a/i-owned", "trainium-trn1-owned", absl::Hours(1));
  AddNodeClaim("trainium-trn1-owned", "aws:///us-east-1a/i-owned", /*registered=*/true);
  // Launched, but the NodeClaim's status write (the providerID) has not landed yet.
  AddInstance("aws:///us-east-1a/i-named", "trainium-trn1-named", absl::Hours(1));
  AddNodeClaim("trainium-trn1-named", "", /*registered=*/false);
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_THAT(w_.cloud.Deletes(), IsEmpty());
  EXPECT_TRUE(w_.client.CallsOf("delete", "nodeclaims").empty());
}

TEST_F(GarbageCollectionTest, RegisteredNodeClaimWhoseInstanceIsGoneIsDeleted) {
  AddNodeClaim("trainium-trn1-lost1", "aws:///us-east-1a/i-lost", /*registered=*/true);
  ASSERT_TRUE(Reconcile().ok());
  auto deletes = w_.client.CallsOf("delete", "nodeclaims");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0].name, "trainium-trn1-lost1");
  EXPECT_TRUE(w_.NodeClaim("trainium-trn1-lost1").is_null());
}

TEST_F(GarbageCollectionTest, NodeClaimWhoseNodeIsStillReadyIsKept) {
  AddNodeClaim("trainium-trn1-lost1", "aws:///us-east-1a/i-lost", /*registered=*/true);
  Json node = {{"apiVersion", "v1"},
               {"kind", "Node"},
               {"metadata", {{"name", "n1"}, {"labels", {{"karpenter.sh/nodepool", "trainium-trn1"}}}}},
               {"spec", {{"providerID", "aws:///us-east-1a/i-lost"}}},
               {"status", {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}};
  ASSERT_TRUE(w_.client.Add(kube::resources::Nodes(), "", node).ok());
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(w_.client.CallsOf("delete", "nodeclaims").empty()) << "its kubelet still runs";
  // The node controller marks it Unknown once the kubelet is gone: now it goes.
  node["status"]["conditions"][0]["status"] = "Unknown";
  ASSERT_TRUE(w_.client.Add(kube::resources::Nodes(), "", node).ok());
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_EQ(w_.client.CallsOf("delete", "nodeclaims").size(), 1u);
}

TEST_F(GarbageCollectionTest, UnregisteredNodeClaimWithoutAnInstanceIsLeftToTheLifecycle) {
  // Still launching or registering: the lifecycle controller's timeouts handle it.
  AddNodeClaim("trainium-trn1-boot1", "aws:///us-east-1a/i-boot", /*registered=*/false);
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(w_.client.CallsOf("delete", "nodeclaims").empty());
  EXPECT_TRUE(w_.NodeClaim("trainium-trn1-boot1").is_object());
}

TEST_F(GarbageCollectionTest, ListFailureIsAnErrorAndDeletesNothing) {
  AddNodeClaim("trainium-trn1-lost1", "aws:///us-east-1a/i-lost", /*registered=*/true);
  w_.cloud.FailNextList(absl::UnavailableError("DescribeInstances throttled"));
  auto r = Reconcile();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  // An instance list that failed is not an empty one: no NodeClaim is taken for lost.
  EXPECT_TRUE(w_.client.CallsOf("delete", "nodeclaims").empty());
}

TEST_F(GarbageCollectionTest, NodeClaimDeleteFailureIsAnError) {
  AddNodeClaim("trainium-trn1-lost1", "aws:///us-east-1a/i-lost", /*registered=*/true);
  w_.client.InjectError("delete", "nodeclaims", kube::FakeClient::Unavailable("apiserver down"));
  auto r = Reconcile();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(GarbageCollectionTest, NotSyncedDoesNothing) {
  AddInstance("aws:///us-east-1a/i-orphan", "trainium-trn1-gone1", absl::Minutes(5));
  auto r = gc_.Reconcile("gc");  // the cluster view was never started
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(w_.cloud.ListCalls(), 0);
  EXPECT_THAT(w_.cloud.Deletes(), IsEmpty());
}

}  // namespace
}  // namespace joinery::controllers
