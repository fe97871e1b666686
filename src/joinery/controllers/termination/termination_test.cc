#include "joinery/controllers/termination/termination.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "joinery/controllers/nodeclaim/lifecycle.h"
#include "joinery/controllers/testing_cloud_provider.h"

namespace joinery::controllers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Json;
using testing::RunningPod;
using ::testing::SizeIs;
using testing::TestWorld;
using ::testing::UnorderedElementsAre;

constexpr char kNode[] = "ip-10-0-0-1.ec2.internal";
constexpr char kClaim[] = "trainium-trn1-abcde";
constexpr char kProviderID[] = "aws:///us-east-1a/i-00000000000000001";

class TerminationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A registered Node with its NodeClaim (whose finalizer keeps it while the instance goes).
    Json node = {{"apiVersion", "v1"},
                 {"kind", "Node"},
                 {"metadata",
                  {{"name", kNode},
                   {"labels", {{"karpenter.sh/nodepool", "trainium-trn1"}}},
                   {"finalizers", {kTerminationFinalizer}}}},
                 {"spec", {{"providerID", kProviderID}}},
                 {"status",
                  {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}},
                   {"allocatable", {{"cpu", "8"}, {"pods", "58"}}}}}};
    ASSERT_TRUE(w_.client.Add(kube::resources::Nodes(), "", node).ok());
    Json claim = {
        {"apiVersion", "karpenter.sh/v1"},
        {"kind", "NodeClaim"},
        {"metadata",
         {{"name", kClaim},
          {"labels", {{"karpenter.sh/nodepool", "trainium-trn1"}}},
          {"finalizers", {kTerminationFinalizer}}}},
        {"spec",
         {{"requirements", Json::array()},
          {"nodeClassRef",
           {{"group", "karpenter.k8s.aws"}, {"kind", "EC2NodeClass"}, {"name", "trainium-trn1"}}}}},
        {"status", {{"providerID", kProviderID}, {"nodeName", kNode}}}};
    ASSERT_TRUE(w_.client.Add(kube::resources::NodeClaims(), "", claim).ok());
    w_.cloud.AddInstance(Instance());
  }

  void AddPod(Json pod) {
    std::string ns = pod["metadata"].value("namespace", "default");
    ASSERT_TRUE(w_.client.Add(kube::resources::Pods(), ns, std::move(pod)).ok());
  }

  static Json DaemonSetPod(std::string_view name) {
    Json p = RunningPod(name, kNode, "kube-system");
    p["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"},
                                         {"kind", "DaemonSet"},
                                         {"name", "aws-node"},
                                         {"uid", "ds-uid"},
                                         {"controller", true}}};
    return p;
  }

  // Starts the cluster view and deletes the Node (it stays: it has the finalizer).
  void StartAndDeleteNode() {
    ASSERT_TRUE(w_.Start());
    ASSERT_TRUE(w_.client.Delete(kube::resources::Nodes(), "", kNode).ok());
    ASSERT_TRUE(w_.CaughtUp());
  }

  absl::StatusOr<Result> Reconcile() {
    if (!w_.CaughtUp()) return absl::DeadlineExceededError("the cluster view did not catch up");
    return termination_.Reconcile(kNode);
  }

  // Names of the pods evicted so far, in order.
  std::vector<std::string> Evicted() {
    std::vector<std::string> out;
    for (const auto& c : w_.client.CallsOf("create_subresource", "pods")) {
      if (c.subresource == "eviction" && c.result.ok()) out.push_back(c.name);
    }
    return out;
  }

  static api::NodeClaim Instance() {
    api::NodeClaim instance;
    instance.metadata.name = kClaim;
    instance.status.provider_id = kProviderID;
    return instance;
  }

  TestWorld w_;
  NodeTermination termination_{w_.cluster, w_.client, w_.cloud, w_.events, w_.clock};
};

TEST_F(TerminationTest, ANotReadyNodeWhoseInstanceIsGoneGoesAtOnce) {
  AddPod(RunningPod("web", kNode));
  // The instance was terminated behind our back; the node controller marked the Node Unknown.
  ASSERT_TRUE(w_.cloud.Delete(Instance()).ok());
  ASSERT_TRUE(w_.client
                  .Patch(kube::resources::Nodes(), "", kNode, kube::PatchType::kMerge,
                         {{"status", {{"conditions", {{{"type", "Ready"}, {"status", "Unknown"}}}}}}},
                         "status")
                  .ok());
  StartAndDeleteNode();
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Evicted(), IsEmpty()) << "nothing left to drain";
  EXPECT_TRUE(w_.Node(kNode).is_null()) << "finalizer removed, the Node is gone";
}

TEST_F(TerminationTest, AReadyNodeIsDrainedEvenIfTheProviderLostItsInstance) {
  AddPod(RunningPod("web", kNode));
  ASSERT_TRUE(w_.cloud.Delete(Instance()).ok());
  StartAndDeleteNode();
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Evicted(), ElementsAre("web"));
  EXPECT_FALSE(w_.Node(kNode).is_null());
}

TEST_F(TerminationTest, NodeNotBeingDeletedIsLeftAlone) {
  AddPod(RunningPod("web", kNode));
  ASSERT_TRUE(w_.Start());
  ASSERT_TRUE(w_.CaughtUp());
  auto r = termination_.Reconcile(kNode);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->requeue_after.has_value());
  EXPECT_FALSE(w_.Node(kNode)["spec"].value("unschedulable", false));
  EXPECT_THAT(Evicted(), IsEmpty());
  EXPECT_FALSE(w_.NodeClaim(kClaim)["metadata"].contains("deletionTimestamp"));
}

TEST_F(TerminationTest, DrainsInOrderThenRemovesTheFinalizer) {
  AddPod(RunningPod("web-1", kNode));
  AddPod(RunningPod("web-2", kNode));
  AddPod(DaemonSetPod("aws-node-x"));
  AddPod(RunningPod("elsewhere", "another-node"));
  StartAndDeleteNode();

  // 1. Cordoned and tainted, the NodeClaim deleted, the non-DaemonSet pods evicted.
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->requeue_after.has_value());
  Json node = w_.Node(kNode);
  EXPECT_TRUE(node["spec"].value("unschedulable", false));
  bool tainted = false;
  for (const auto& t : node["spec"].value("taints", Json::array())) {
    tainted |= t["key"] == "karpenter.sh/disrupted" && t["effect"] == "NoSchedule";
  }
  EXPECT_TRUE(tainted) << node["spec"].dump();
  EXPECT_TRUE(w_.NodeClaim(kClaim)["metadata"].contains("deletionTimestamp"));
  EXPECT_THAT(Evicted(), UnorderedElementsAre("web-1", "web-2"));
  for (const auto& c : w_.client.CallsOf("create_subresource", "pods")) {
    EXPECT_EQ(c.body["kind"], "Eviction");
    EXPECT_EQ(c.body["metadata"]["name"], c.name);
  }
  EXPECT_TRUE(w_.Get(kube::resources::Pods(), "aws-node-x", "kube-system").is_object());
  EXPECT_TRUE(w_.Get(kube::resources::Pods(), "web-1", "default").is_null());
  EXPECT_THAT(w_.cloud.Deletes(), IsEmpty());

  // 2. Then the DaemonSet pods.
  r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Evicted(), ElementsAre(::testing::_, ::testing::_, "aws-node-x"));
  EXPECT_TRUE(w_.Node(kNode).is_object());

  // 3. Empty (the pod on another node does not count): the instance goes, then the finalizer.
  r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->requeue_after.has_value());
  EXPECT_THAT(w_.cloud.Deletes(), ElementsAre(kProviderID));
  EXPECT_TRUE(w_.Node(kNode).is_null());
  EXPECT_TRUE(w_.Get(kube::resources::Pods(), "elsewhere", "default").is_object());
  EXPECT_THAT(Evicted(), SizeIs(3));
}

TEST_F(TerminationTest, CriticalPodsGoAfterOtherPods) {
  Json critical = RunningPod("coredns", kNode, "kube-system");
  critical["spec"]["priorityClassName"] = "system-cluster-critical";
  AddPod(critical);
  AddPod(RunningPod("web", kNode));
  StartAndDeleteNode();
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_THAT(Evicted(), ElementsAre("web"));
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_THAT(Evicted(), ElementsAre("web", "coredns"));
}

TEST_F(TerminationTest, PdbRefusalIsRetriedAndReportedAsFailedDraining) {
  AddPod(RunningPod("guarded", kNode));
  std::atomic<bool> pdb_allows{false};
  w_.client.SetEvictionHook([&](const Json& pod) {
    if (!pdb_allows && pod["metadata"]["name"] == "guarded") {
      return kube::FakeClient::TooManyRequests(
          "Cannot evict pod as it would violate the pod's disruption budget.");
    }
    return absl::OkStatus();
  });
  StartAndDeleteNode();

  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->requeue_after.has_value());  // retried, not failed
  EXPECT_TRUE(w_.Get(kube::resources::Pods(), "guarded", "default").is_object());
  auto events = w_.events.EventsWithReason("FailedDraining");
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].type, kube::EventType::kWarning);
  EXPECT_EQ(events[0].obj.kind, "Pod");
  EXPECT_EQ(events[0].obj.name, "guarded");
  EXPECT_THAT(events[0].message, HasSubstr("default/guarded"));
  EXPECT_THAT(events[0].message, HasSubstr("disruption budget"));

  // Still refused: tried again.
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_THAT(w_.events.EventsWithReason("FailedDraining"), SizeIs(2));
  EXPECT_TRUE(w_.Node(kNode).is_object());

  // The budget allows it now.
  pdb_allows = true;
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(w_.Get(kube::resources::Pods(), "guarded", "default").is_null());
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(w_.Node(kNode).is_null());
}

TEST_F(TerminationTest, PodsThatNeedNoDrainAreNotWaitedFor) {
  Json tolerant = RunningPod("tolerant", kNode);
  tolerant["spec"]["tolerations"] = {{{"key", "karpenter.sh/disrupted"}, {"operator", "Exists"}}};
  AddPod(tolerant);
  Json done = RunningPod("done", kNode);
  done["status"]["phase"] = "Succeeded";
  AddPod(done);
  Json mirror = RunningPod("static", kNode, "kube-system");
  mirror["metadata"]["annotations"] = {{"kubernetes.io/config.mirror", "abc"}};
  AddPod(mirror);
  StartAndDeleteNode();
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Evicted(), IsEmpty());
  EXPECT_TRUE(w_.Node(kNode).is_null());
}

TEST_F(TerminationTest, NodeWithoutTheFinalizerIsLeftToTheApiServer) {
  ASSERT_TRUE(w_.client
                  .Patch(kube::resources::Nodes(), "", kNode, kube::PatchType::kMerge,
                         {{"metadata", {{"finalizers", {"example.com/other"}}}}})
                  .ok());
  AddPod(RunningPod("web", kNode));
  StartAndDeleteNode();
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Evicted(), IsEmpty());
  EXPECT_FALSE(w_.Node(kNode)["spec"].value("unschedulable", false));
}

}  // namespace
}  // namespace joinery::controllers
