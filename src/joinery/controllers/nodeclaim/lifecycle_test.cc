#include "joinery/controllers/nodeclaim/lifecycle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "joinery/api/json.h"
#include "joinery/cloudprovider/fenced_cloud_provider.h"
#include "joinery/kube/fenced_client.h"
#include "joinery/cloudprovider/simulated/test_util.h"
#include "joinery/controllers/testing_cloud_provider.h"

namespace joinery::controllers {
namespace {

using testing::Condition;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Json;
using ::testing::Not;
using testing::RegisteringNode;
using ::testing::SizeIs;
using testing::TestWorld;
using testing::TrainiumNodeClass;
using testing::TrainiumNodePool;

constexpr char kName[] = "trainium-trn1-abcde";
constexpr char kNodeName[] = "ip-10-0-0-1.ec2.internal";

class LifecycleTest : public ::testing::Test {
 protected:
  // The Trainium NodePool and node class, and a NodeClaim the provisioner would have created.
  void SetUp() override {
    ASSERT_TRUE(w_.client.Add(kube::resources::NodePools(), "", TrainiumNodePool()).ok());
    ASSERT_TRUE(w_.client.Add(kube::resources::EC2NodeClasses(), "", TrainiumNodeClass()).ok());
    ASSERT_TRUE(w_.Start());
  }

  void CreateNodeClaim(bool with_finalizer = false) {
    api::NodeClaim nc = cloudprovider::simulated::testing::TrainiumNodeClaim(kName);
    if (with_finalizer) nc.metadata.finalizers.push_back(kTerminationFinalizer);
    auto created = w_.client.Create(kube::resources::NodeClaims(), "", api::ToJson(nc));
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_TRUE(w_.CaughtUp());
  }

  // Reconciles once the cluster view has seen every write so far.
  absl::StatusOr<Result> Reconcile() {
    if (!w_.CaughtUp()) return absl::DeadlineExceededError("the cluster view did not catch up");
    return lifecycle_.Reconcile(kName);
  }

  // Creates the NodeClaim and launches it; returns its providerID.
  std::string Launch() {
    CreateNodeClaim();
    auto r = Reconcile();
    EXPECT_TRUE(r.ok()) << r.status();
    std::string id = w_.NodeClaim(kName)["status"].value("providerID", "");
    EXPECT_FALSE(id.empty());
    return id;
  }

  // Launches, lets the Node join and registers it.
  std::string LaunchAndRegister() {
    std::string id = Launch();
    EXPECT_TRUE(w_.client.Add(kube::resources::Nodes(), "", RegisteringNode(kNodeName, id)).ok());
    auto r = Reconcile();
    EXPECT_TRUE(r.ok()) << r.status();
    return id;
  }

  void PatchNodeStatus(Json status) {
    auto st = w_.client.Patch(kube::resources::Nodes(), "", kNodeName, kube::PatchType::kMerge,
                              {{"status", std::move(status)}}, "status");
    ASSERT_TRUE(st.ok()) << st.status();
  }

  static Json ReadyCondition() {
    return Json::array({{{"type", "Ready"}, {"status", "True"}, {"reason", "KubeletReady"}}});
  }

  TestWorld w_;
  NodeClaimLifecycle lifecycle_{w_.cluster, w_.client, w_.cloud, w_.events, nullptr, w_.clock};
};

TEST_F(LifecycleTest, MissingNodeClaimIsANoOp) {
  auto r = lifecycle_.Reconcile("nobody");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->requeue_after.has_value());
  EXPECT_THAT(w_.cloud.Creates(), IsEmpty());
}

TEST_F(LifecycleTest, AddsTheTerminationFinalizer) {
  CreateNodeClaim();
  ASSERT_TRUE(Reconcile().ok());
  Json nc = w_.NodeClaim(kName);
  EXPECT_THAT(nc["metadata"]["finalizers"].get<std::vector<std::string>>(),
              Contains("karpenter.sh/termination"));
}

TEST_F(LifecycleTest, LaunchWritesProviderIdCapacityAllocatableAndLaunched) {
  CreateNodeClaim();
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_THAT(w_.cloud.Creates(), SizeIs(1));
  EXPECT_EQ(w_.cloud.Creates()[0].metadata.name, kName);

  Json nc = w_.NodeClaim(kName);
  const Json& status = nc["status"];
  std::string id = status.value("providerID", "");
  EXPECT_THAT(id, ::testing::StartsWith("aws:///us-east-1a/i-"));
  EXPECT_TRUE(w_.cloud.HasInstance(id));
  EXPECT_EQ(status["imageID"], "ami-0123456789abcdef0");
  EXPECT_EQ(status["capacity"]["aws.amazon.com/neuron"], "1");
  EXPECT_EQ(status["capacity"]["cpu"], "8");
  EXPECT_EQ(status["allocatable"]["aws.amazon.com/neuron"], "1");
  EXPECT_TRUE(status["allocatable"].contains("memory"));
  EXPECT_EQ(Condition(nc, "Launched")["status"], "True");
  EXPECT_EQ(Condition(nc, "Registered")["status"], "Unknown");
  EXPECT_EQ(Condition(nc, "Registered")["reason"], "NodeNotFound");
  EXPECT_EQ(Condition(nc, "Ready")["status"], "Unknown");
  // The labels the provider resolved; the NodeClaim's own are kept.
  const Json& labels = nc["metadata"]["labels"];
  EXPECT_EQ(labels["node.kubernetes.io/instance-type"], "trn1.2xlarge");
  EXPECT_EQ(labels["topology.kubernetes.io/zone"], "us-east-1a");
  EXPECT_EQ(labels["karpenter.sh/capacity-type"], "on-demand");
  EXPECT_EQ(labels["instanceType"], "trn1.2xlarge");
  // Waiting for the Node to register.
  ASSERT_TRUE(r->requeue_after.has_value());
  EXPECT_LE(*r->requeue_after, absl::Seconds(30));

  // Reconciling again does not launch again.
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_THAT(w_.cloud.Creates(), SizeIs(1));
  EXPECT_EQ(w_.NodeClaim(kName)["status"]["providerID"], id);
}

TEST_F(LifecycleTest, LaunchesOnceEvenIfTheStatusWriteFails) {
  CreateNodeClaim(/*with_finalizer=*/true);
  // The status write that records the launch fails.
  w_.client.InjectError("update", "nodeclaims", kube::FakeClient::Unavailable("etcd timeout"), 1);
  auto first = Reconcile();
  EXPECT_FALSE(first.ok());
  ASSERT_THAT(w_.cloud.Creates(), SizeIs(1));
  EXPECT_EQ(w_.NodeClaim(kName).value("status", Json::object()).value("providerID", ""), "");

  auto second = Reconcile();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(w_.cloud.Creates(), SizeIs(1));  // the launch cache, not a second instance
  Json nc = w_.NodeClaim(kName);
  std::string id = nc["status"].value("providerID", "");
  EXPECT_TRUE(w_.cloud.HasInstance(id)) << id;
  EXPECT_EQ(Condition(nc, "Launched")["status"], "True");
}

TEST_F(LifecycleTest, DeletionTerminatesAnInstanceWhoseLaunchWasNeverRecorded) {
  CreateNodeClaim(/*with_finalizer=*/true);
  w_.client.InjectError("update", "nodeclaims", kube::FakeClient::Unavailable("etcd timeout"), 1);
  EXPECT_FALSE(Reconcile().ok());
  ASSERT_THAT(w_.cloud.Creates(), SizeIs(1));
  ASSERT_EQ(w_.NodeClaim(kName).value("status", Json::object()).value("providerID", ""), "");

  // Deleted before the launch was written down: the launch cache still names the instance.
  ASSERT_TRUE(w_.client.Delete(kube::resources::NodeClaims(), "", kName).ok());
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_THAT(w_.cloud.Deletes(), SizeIs(1));
  EXPECT_FALSE(w_.cloud.Deletes()[0].empty());
  EXPECT_FALSE(w_.cloud.HasInstance(w_.cloud.Deletes()[0]));
}

TEST_F(LifecycleTest, InsufficientCapacityDeletesTheNodeClaim) {
  CreateNodeClaim();
  w_.cloud.FailNextCreate(absl::ResourceExhaustedError(
      "InsufficientInstanceCapacity: trn1.2xlarge in us-east-1a (on-demand)"));
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  Json nc = w_.NodeClaim(kName);
  ASSERT_TRUE(nc.is_object());
  EXPECT_TRUE(nc["metadata"].contains("deletionTimestamp"));  // held by the finalizer
  auto events = w_.events.EventsWithReason("InsufficientCapacityError");
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].type, kube::EventType::kWarning);
  EXPECT_EQ(events[0].obj.kind, "NodeClaim");
  EXPECT_EQ(events[0].obj.name, kName);
  EXPECT_THAT(events[0].message, HasSubstr("InsufficientInstanceCapacity"));

  // Nothing was launched, so the finalizer goes at once.
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(w_.NodeClaim(kName).is_null());
  EXPECT_THAT(w_.cloud.Deletes(), IsEmpty());
}

TEST_F(LifecycleTest, NodeClassNotReadyDeletesTheNodeClaim) {
  CreateNodeClaim();
  w_.cloud.FailNextCreate(absl::FailedPreconditionError("EC2NodeClass trainium-trn1 not ready"));
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(w_.NodeClaim(kName)["metadata"].contains("deletionTimestamp"));
  EXPECT_THAT(w_.events.EventsWithReason("NodeClassNotReady"), SizeIs(1));
}

TEST_F(LifecycleTest, OtherLaunchErrorsSetLaunchedUnknownAndAreRetried) {
  CreateNodeClaim();
  w_.cloud.FailNextCreate(absl::UnavailableError("RequestLimitExceeded"));
  auto r = Reconcile();
  // Retried by the lifecycle's own backoff (1 s doubling), which knows the launch timeout.
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->requeue_after.has_value());
  EXPECT_EQ(*r->requeue_after, absl::Seconds(1));
  Json nc = w_.NodeClaim(kName);
  EXPECT_FALSE(nc["metadata"].contains("deletionTimestamp"));
  Json launched = Condition(nc, "Launched");
  EXPECT_EQ(launched["status"], "Unknown");
  EXPECT_EQ(launched["reason"], "LaunchFailed");
  EXPECT_THAT(launched.value("message", ""), HasSubstr("RequestLimitExceeded"));
  EXPECT_EQ(Condition(nc, "Ready")["status"], "Unknown");

  // The retry launches.
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_THAT(w_.cloud.Creates(), SizeIs(2));
  nc = w_.NodeClaim(kName);
  EXPECT_EQ(Condition(nc, "Launched")["status"], "True");
  EXPECT_FALSE(nc["status"].value("providerID", "").empty());
}

TEST_F(LifecycleTest, NodeClaimOfAMissingNodePoolIsNotLaunched) {
  ASSERT_TRUE(w_.client.Delete(kube::resources::NodePools(), "", "trainium-trn1").ok());
  CreateNodeClaim();
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(w_.cloud.Creates(), IsEmpty());
  Json launched = Condition(w_.NodeClaim(kName), "Launched");
  EXPECT_EQ(launched["status"], "False");
  EXPECT_EQ(launched["reason"], "NodePoolNotFound");
  EXPECT_THAT(w_.events.EventsWithReason("NodePoolNotFound"), SizeIs(1));
}

TEST_F(LifecycleTest, NodeClaimOfAnotherProvidersNodeClassIsLeftAlone) {
  api::NodeClaim nc = cloudprovider::simulated::testing::TrainiumNodeClaim(kName);
  nc.spec.node_class_ref = {.group = "karpenter.kwok.sh", .kind = "KWOKNodeClass", .name = "default"};
  ASSERT_TRUE(w_.client.Create(kube::resources::NodeClaims(), "", api::ToJson(nc)).ok());
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(w_.cloud.Creates(), IsEmpty());
  Json stored = w_.NodeClaim(kName);
  EXPECT_FALSE(stored["metadata"].contains("finalizers")) << stored.dump();
  EXPECT_FALSE(stored.contains("status") && stored["status"].contains("conditions"));
}

TEST_F(LifecycleTest, LaunchTimeoutDeletesTheNodeClaim) {
  CreateNodeClaim();
  w_.cloud.FailNextCreate(absl::UnavailableError("throttled"));
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->requeue_after, absl::Seconds(1));
  w_.clock.Advance(absl::Minutes(6));
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(w_.NodeClaim(kName)["metadata"].contains("deletionTimestamp"));
  EXPECT_THAT(w_.events.EventsWithReason("LaunchTimeout"), SizeIs(1));
  EXPECT_THAT(w_.cloud.Creates(), SizeIs(1));
}

TEST_F(LifecycleTest, FailingLaunchesBackOffButNeverPastTheLaunchTimeout) {
  CreateNodeClaim();
  std::vector<absl::Duration> waits;
  absl::Duration elapsed;
  for (int i = 0; i < 12; ++i) {
    w_.cloud.FailNextCreate(absl::InvalidArgumentError("no instance type satisfies requirements"));
    auto r = Reconcile();
    ASSERT_TRUE(r.ok()) << r.status();
    if (!r->requeue_after) break;  // deleted
    Json nc = w_.NodeClaim(kName);
    if (nc.is_null() || nc["metadata"].contains("deletionTimestamp")) break;
    waits.push_back(*r->requeue_after);
    w_.clock.Advance(*r->requeue_after);
    elapsed += *r->requeue_after;
  }
  ASSERT_GE(waits.size(), 7u);
  EXPECT_EQ(waits[0], absl::Seconds(1));
  EXPECT_EQ(waits[1], absl::Seconds(2));
  EXPECT_EQ(waits[2], absl::Seconds(4));
  EXPECT_EQ(waits[6], absl::Minutes(1));  // capped
  // The last retry lands just after the 5-minute timeout, which deletes the NodeClaim.
  EXPECT_GT(elapsed, absl::Minutes(5));
  EXPECT_LT(elapsed, absl::Minutes(5) + absl::Seconds(2));
  EXPECT_TRUE(w_.NodeClaim(kName)["metadata"].contains("deletionTimestamp"));
  EXPECT_THAT(w_.events.EventsWithReason("LaunchTimeout"), SizeIs(1));
  EXPECT_EQ(w_.cloud.Creates().size(), waits.size());
  // No instance type satisfies it: Launched=False, so the provisioner counts it as no capacity.
  Json launched = Condition(w_.NodeClaim(kName), "Launched");
  EXPECT_EQ(launched["status"], "False");
  EXPECT_EQ(launched["reason"], "LaunchFailed");
}

TEST_F(LifecycleTest, AStaleWriterIsRefusedAndItsDuplicateInstanceTerminated) {
  CreateNodeClaim(/*with_finalizer=*/true);
  // While this launch is in flight, another replica (the new leader) launches and records its own
  // instance for the same NodeClaim.
  const std::string theirs = "aws:///us-east-1b/i-0aaaaaaaaaaaaaaaa";
  w_.cloud.OnNextCreate([&] {
    auto updated = kube::UpdateWithRetry(
        w_.client, kube::resources::NodeClaims(), "", kName,
        [&](Json& obj) -> absl::StatusOr<bool> {
          obj["status"]["providerID"] = theirs;
          return true;
        },
        "status");
    ASSERT_TRUE(updated.ok()) << updated.status();
  });
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->requeue_after, absl::Seconds(1));  // looks again at the fresh copy
  // Theirs stands; ours was launched and then terminated as a duplicate.
  EXPECT_EQ(w_.NodeClaim(kName)["status"]["providerID"], theirs);
  ASSERT_THAT(w_.cloud.Creates(), SizeIs(1));
  ASSERT_THAT(w_.cloud.Deletes(), SizeIs(1));
  EXPECT_NE(w_.cloud.Deletes()[0], theirs);
  EXPECT_FALSE(w_.cloud.HasInstance(w_.cloud.Deletes()[0]));
  // The next pass works from the copy that records theirs: no new launch, no overwrite.
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_THAT(w_.cloud.Creates(), SizeIs(1));
  EXPECT_EQ(w_.NodeClaim(kName)["status"]["providerID"], theirs);
}

TEST_F(LifecycleTest, AStaleCacheDoesNotLaunchARecordedNodeClaimAgain) {
  std::string id = Launch();
  ASSERT_THAT(w_.cloud.Creates(), SizeIs(1));
  // A new replica's lifecycle (empty launch cache) does not launch it again.
  NodeClaimLifecycle fresh_replica(w_.cluster, w_.client, w_.cloud, w_.events, nullptr, w_.clock);
  ASSERT_TRUE(w_.CaughtUp());
  auto r = fresh_replica.Reconcile(kName);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(w_.cloud.Creates(), SizeIs(1));
  EXPECT_EQ(w_.NodeClaim(kName)["status"]["providerID"], id);
}

TEST_F(LifecycleTest, NotTheLeaderLaunchesNothing) {
  CreateNodeClaim(/*with_finalizer=*/true);
  kube::FencedClient fenced(w_.client, [] { return false; });
  cloudprovider::FencedCloudProvider fenced_cloud(w_.cloud, [] { return false; });
  NodeClaimLifecycle deposed(w_.cluster, fenced, fenced_cloud, w_.events, nullptr, w_.clock);
  auto r = deposed.Reconcile(kName);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(kube::IsNotLeader(r.status())) << r.status();
  EXPECT_THAT(w_.cloud.Creates(), IsEmpty());
  EXPECT_EQ(w_.NodeClaim(kName).value("status", Json::object()).value("providerID", ""), "");
}

TEST_F(LifecycleTest, RegistrationSyncsTheNodeAndSetsRegistered) {
  std::string id = LaunchAndRegister();
  Json nc = w_.NodeClaim(kName);
  Json node = w_.Node(kNodeName);

  // Labels: the NodeClaim's (its own and those resolved at launch) and karpenter.sh/registered.
  const Json& labels = node["metadata"]["labels"];
  EXPECT_EQ(labels["karpenter.sh/registered"], "true");
  EXPECT_EQ(labels["karpenter.sh/nodepool"], "trainium-trn1");
  EXPECT_EQ(labels["instanceType"], "trn1.2xlarge");
  EXPECT_EQ(labels["node.kubernetes.io/instance-type"], "trn1.2xlarge");
  EXPECT_EQ(labels["kubernetes.io/hostname"], kNodeName);  // the kubelet's stay
  EXPECT_FALSE(labels.contains("karpenter.sh/initialized"));

  // Taints: karpenter.sh/unregistered removed, the NodeClaim's added.
  std::vector<std::string> taints;
  for (const auto& t : node["spec"].value("taints", Json::array())) {
    taints.push_back(t.value("key", "") + ":" + t.value("effect", ""));
  }
  EXPECT_THAT(taints, Not(Contains("karpenter.sh/unregistered:NoExecute")));
  EXPECT_THAT(taints, Contains("aws.amazon.com/neuron:NoSchedule"));

  // Finalizer and owner reference.
  EXPECT_THAT(node["metadata"]["finalizers"].get<std::vector<std::string>>(),
              Contains("karpenter.sh/termination"));
  const Json& owners = node["metadata"]["ownerReferences"];
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners[0]["kind"], "NodeClaim");
  EXPECT_EQ(owners[0]["name"], kName);
  EXPECT_EQ(owners[0]["uid"], nc["metadata"]["uid"]);

  // The NodeClaim.
  EXPECT_EQ(nc["status"]["nodeName"], kNodeName);
  EXPECT_EQ(Condition(nc, "Registered")["status"], "True");
  EXPECT_EQ(Condition(nc, "Initialized")["status"], "Unknown");
  EXPECT_EQ(Condition(nc, "Initialized")["reason"], "NodeNotReady");
  EXPECT_EQ(Condition(nc, "Ready")["status"], "Unknown");
  EXPECT_THAT(w_.events.EventsWithReason("UnregisteredTaintMissing"), IsEmpty());
}

TEST_F(LifecycleTest, NodeWithoutTheUnregisteredTaintIsReported) {
  std::string id = Launch();
  Json node = RegisteringNode(kNodeName, id);
  node["spec"].erase("taints");
  ASSERT_TRUE(w_.client.Add(kube::resources::Nodes(), "", node).ok());
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_THAT(w_.events.EventsWithReason("UnregisteredTaintMissing"), SizeIs(1));
  EXPECT_EQ(Condition(w_.NodeClaim(kName), "Registered")["status"], "True");
}

TEST_F(LifecycleTest, UnregisteredTaintPutBackAfterRegistrationIsRemovedAgain) {
  LaunchAndRegister();
  ASSERT_EQ(Condition(w_.NodeClaim(kName), "Registered")["status"], "True");
  // kube-controller-manager 1.20 lifting not-ready patches spec.taints from a copy it read before
  // registration, unconditionally: the unregistered taint is back next to the NodeClaim's.
  Json taints = Json::array({{{"key", "aws.amazon.com/neuron"}, {"value", "true"}, {"effect", "NoSchedule"}},
                             {{"key", "karpenter.sh/unregistered"}, {"effect", "NoExecute"}}});
  ASSERT_TRUE(w_.client
                  .Patch(kube::resources::Nodes(), "", kNodeName, kube::PatchType::kMerge,
                         {{"spec", {{"taints", taints}}}})
                  .ok());
  PatchNodeStatus({{"conditions", ReadyCondition()},
                   {"allocatable", {{"aws.amazon.com/neuron", "1"}}},
                   {"capacity", {{"aws.amazon.com/neuron", "1"}}}});
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  // Not initialized on this pass: the cluster view still showed the taint.
  EXPECT_EQ(Condition(w_.NodeClaim(kName), "Initialized")["reason"], "KnownEphemeralTaintsExist");
  std::vector<std::string> keys;
  for (const auto& t : w_.Node(kNodeName)["spec"].value("taints", Json::array())) {
    keys.push_back(t.value("key", ""));
  }
  EXPECT_THAT(keys, Not(Contains("karpenter.sh/unregistered")));
  EXPECT_THAT(keys, Contains("aws.amazon.com/neuron"));
  // Once the cluster view shows the Node without it, the NodeClaim initializes.
  r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Condition(w_.NodeClaim(kName), "Initialized")["status"], "True");
}

TEST_F(LifecycleTest, InitializationWaitsForNodeReadyAndRequestedExtendedResources) {
  LaunchAndRegister();

  // Ready, but the Neuron device plugin has not published aws.amazon.com/neuron yet.
  PatchNodeStatus({{"conditions", ReadyCondition()}});
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->requeue_after.has_value());
  Json nc = w_.NodeClaim(kName);
  EXPECT_EQ(Condition(nc, "Initialized")["status"], "Unknown");
  EXPECT_EQ(Condition(nc, "Initialized")["reason"], "ResourceNotRegistered");
  EXPECT_THAT(Condition(nc, "Initialized").value("message", ""),
              HasSubstr("aws.amazon.com/neuron"));
  EXPECT_EQ(Condition(nc, "Ready")["status"], "Unknown");
  EXPECT_FALSE(w_.Node(kNodeName)["metadata"]["labels"].contains("karpenter.sh/initialized"));

  // The device plugin registers the device.
  PatchNodeStatus({{"allocatable", {{"aws.amazon.com/neuron", "1"}}},
                   {"capacity", {{"aws.amazon.com/neuron", "1"}}}});
  r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->requeue_after.has_value());
  nc = w_.NodeClaim(kName);
  EXPECT_EQ(Condition(nc, "Initialized")["status"], "True");
  EXPECT_EQ(Condition(nc, "Ready")["status"], "True");
  EXPECT_EQ(w_.Node(kNodeName)["metadata"]["labels"]["karpenter.sh/initialized"], "true");
}

TEST_F(LifecycleTest, InitializationWaitsForStartupTaintsToGo) {
  api::NodeClaim claim = cloudprovider::simulated::testing::TrainiumNodeClaim(kName);
  claim.spec.startup_taints = {{.key = "example.com/agent-not-ready", .effect = "NoSchedule"}};
  ASSERT_TRUE(w_.client.Create(kube::resources::NodeClaims(), "", api::ToJson(claim)).ok());
  ASSERT_TRUE(Reconcile().ok());
  std::string id = w_.NodeClaim(kName)["status"].value("providerID", "");
  Json node = RegisteringNode(kNodeName, id);
  node["status"]["conditions"] = ReadyCondition();
  node["status"]["allocatable"]["aws.amazon.com/neuron"] = "1";
  ASSERT_TRUE(w_.client.Add(kube::resources::Nodes(), "", node).ok());
  ASSERT_TRUE(Reconcile().ok());  // registers: the startup taint is put on the Node
  bool has_startup_taint = false;
  for (const auto& t : w_.Node(kNodeName)["spec"].value("taints", Json::array())) {
    has_startup_taint |= t["key"] == "example.com/agent-not-ready";
  }
  EXPECT_TRUE(has_startup_taint);

  ASSERT_TRUE(Reconcile().ok());
  Json initialized = Condition(w_.NodeClaim(kName), "Initialized");
  EXPECT_EQ(initialized["status"], "Unknown");
  EXPECT_EQ(initialized["reason"], "StartupTaintsExist");

  // The agent removes its taint.
  auto patched = w_.client.Patch(
      kube::resources::Nodes(), "", kNodeName, kube::PatchType::kMerge,
      {{"spec",
        {{"taints",
          {{{"key", "aws.amazon.com/neuron"}, {"value", "true"}, {"effect", "NoSchedule"}}}}}}});
  ASSERT_TRUE(patched.ok()) << patched.status();
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_EQ(Condition(w_.NodeClaim(kName), "Initialized")["status"], "True");
  EXPECT_EQ(Condition(w_.NodeClaim(kName), "Ready")["status"], "True");
}

TEST_F(LifecycleTest, RegistrationTimeoutDeletesTheNodeClaim) {
  Launch();
  w_.clock.Advance(absl::Minutes(14));
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(w_.NodeClaim(kName)["metadata"].contains("deletionTimestamp"));
  ASSERT_TRUE(r->requeue_after.has_value());
  EXPECT_LE(*r->requeue_after, absl::Minutes(1));

  w_.clock.Advance(absl::Minutes(1) + absl::Seconds(1));
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(w_.NodeClaim(kName)["metadata"].contains("deletionTimestamp"));
  auto events = w_.events.EventsWithReason("RegistrationTimeout");
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].type, kube::EventType::kWarning);
}

TEST_F(LifecycleTest, DeletionDeletesTheNodeThenTheInstanceThenRemovesTheFinalizer) {
  std::string id = LaunchAndRegister();
  ASSERT_TRUE(w_.client.Delete(kube::resources::NodeClaims(), "", kName).ok());

  // 1. The Node is deleted (its termination drains it); the instance stays.
  auto r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->requeue_after.has_value());
  EXPECT_TRUE(w_.Node(kNodeName)["metadata"].contains("deletionTimestamp"));
  EXPECT_THAT(w_.cloud.Deletes(), IsEmpty());
  EXPECT_TRUE(w_.NodeClaim(kName).is_object());
  // While the Node drains, nothing more happens.
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_THAT(w_.client.CallsOf("delete", "nodes"), SizeIs(1));
  EXPECT_THAT(w_.cloud.Deletes(), IsEmpty());

  // 2. The Node is gone (node.termination removed its finalizer): the instance is terminated.
  auto fin = w_.client.Patch(kube::resources::Nodes(), "", kNodeName, kube::PatchType::kMerge,
                             {{"metadata", {{"finalizers", Json::array()}}}});
  ASSERT_TRUE(fin.ok()) << fin.status();
  ASSERT_TRUE(w_.Node(kNodeName).is_null());
  r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(w_.cloud.Deletes(), ::testing::ElementsAre(id));
  EXPECT_FALSE(w_.cloud.HasInstance(id));
  Json nc = w_.NodeClaim(kName);
  ASSERT_TRUE(nc.is_object());  // until the provider reports the instance gone
  EXPECT_EQ(Condition(nc, "InstanceTerminating")["status"], "True");

  // 3. The provider reports NotFound: the finalizer goes and with it the NodeClaim.
  r = Reconcile();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(w_.cloud.Deletes(), SizeIs(2));
  EXPECT_TRUE(w_.NodeClaim(kName).is_null());
}

TEST_F(LifecycleTest, FailedInstanceTerminationKeepsTheFinalizer) {
  std::string id = Launch();
  ASSERT_TRUE(w_.client.Delete(kube::resources::NodeClaims(), "", kName).ok());
  w_.cloud.FailNextDelete(absl::UnavailableError("TerminateInstances throttled"));
  auto r = Reconcile();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(w_.NodeClaim(kName).is_object());
  EXPECT_TRUE(w_.cloud.HasInstance(id));
}

}  // namespace
}  // namespace joinery::controllers
