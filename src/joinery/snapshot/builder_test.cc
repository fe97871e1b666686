#include "joinery/snapshot/builder.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "joinery/api/labels.h"

namespace joinery::snapshot {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::SizeIs;

Quantity Q(std::string_view s) { return *Quantity::Parse(s); }

api::Taint T(std::string key, std::string effect, std::string value = "") {
  return api::Taint{.key = std::move(key), .value = std::move(value), .effect = std::move(effect)};
}

api::Node ManagedNode(std::string name, bool registered, bool initialized) {
  api::Node n;
  n.metadata.name = name;
  n.provider_id = "aws:///us-east-1a/i-" + name;
  n.metadata.labels[std::string(api::kLabelNodePool)] = "default";
  if (registered) n.metadata.labels[std::string(api::kLabelRegistered)] = "true";
  if (initialized) n.metadata.labels[std::string(api::kLabelInitialized)] = "true";
  n.taints = {T("node.kubernetes.io/not-ready", "NoSchedule"), T("example.com/startup", "NoSchedule"),
              T("dedicated", "NoSchedule", "db")};
  n.capacity = {{"cpu", Q("4")}, {"memory", Q("16Gi")}, {"pods", Q("110")}};
  n.allocatable = {{"cpu", Q("3900m")}, {"memory", Q("15Gi")}, {"pods", Q("110")},
                   {"aws.amazon.com/neuron", Q("0")}};
  return n;
}

api::NodeClaim ClaimFor(const api::Node& node) {
  api::NodeClaim c;
  c.metadata.name = "claim-" + node.metadata.name;
  c.metadata.labels = {{std::string(api::kLabelNodePool), "default"}, {"team", "ml"}};
  c.status.provider_id = node.provider_id;
  c.spec.startup_taints = {T("example.com/startup", "NoSchedule")};
  c.spec.taints = {T("dedicated", "NoSchedule", "db")};
  c.status.allocatable = {{"aws.amazon.com/neuron", Q("1")}, {"cpu", Q("3")}};
  c.status.capacity = {{"aws.amazon.com/neuron", Q("1")}};
  return c;
}

std::vector<std::string> TaintKeys(const std::vector<api::Taint>& taints) {
  std::vector<std::string> keys;
  for (const auto& t : taints) keys.push_back(t.key);
  return keys;
}

TEST(IsEphemeralTaint, MatchesKarpentersKnownTaintsByKeyAndEffect) {
  EXPECT_TRUE(IsEphemeralTaint(T("node.kubernetes.io/not-ready", "NoSchedule")));
  EXPECT_TRUE(IsEphemeralTaint(T("node.kubernetes.io/not-ready", "NoExecute")));
  EXPECT_TRUE(IsEphemeralTaint(T("node.kubernetes.io/unreachable", "NoSchedule")));
  EXPECT_FALSE(IsEphemeralTaint(T("node.kubernetes.io/unreachable", "NoExecute")))
      << "Karpenter lists unreachable with NoSchedule only";
  EXPECT_TRUE(IsEphemeralTaint(T("node.cloudprovider.kubernetes.io/uninitialized", "NoSchedule", "true")));
  EXPECT_TRUE(IsEphemeralTaint(T("karpenter.sh/unregistered", "NoExecute")));
  EXPECT_FALSE(IsEphemeralTaint(T("node.kubernetes.io/not-ready", "PreferNoSchedule")));
  EXPECT_TRUE(IsEphemeralTaint(T("readiness.k8s.io/network", "NoSchedule")));
  EXPECT_FALSE(IsEphemeralTaint(T("dedicated", "NoSchedule")));
}

TEST(NodeView, UninitializedManagedNodeIgnoresEphemeralAndStartupTaints) {
  api::Node node = ManagedNode("n1", /*registered=*/true, /*initialized=*/false);
  api::NodeClaim claim = ClaimFor(node);
  solver::ExistingNode en = NodeView(node, &claim);
  EXPECT_FALSE(en.initialized);
  EXPECT_THAT(TaintKeys(en.node.taints), ElementsAre("dedicated"));
  // Zero or missing resources come from the NodeClaim; reported ones stay.
  EXPECT_EQ(en.node.allocatable.at("aws.amazon.com/neuron").ToString(), "1");
  EXPECT_EQ(en.node.allocatable.at("cpu").ToString(), "3900m");
  EXPECT_EQ(en.node.capacity.at("aws.amazon.com/neuron").ToString(), "1");
}

TEST(NodeView, InitializedNodeKeepsEveryTaint) {
  api::Node node = ManagedNode("n1", true, true);
  api::NodeClaim claim = ClaimFor(node);
  solver::ExistingNode en = NodeView(node, &claim);
  EXPECT_TRUE(en.initialized);
  EXPECT_THAT(TaintKeys(en.node.taints),
              ElementsAre("node.kubernetes.io/not-ready", "example.com/startup", "dedicated"));
  EXPECT_EQ(en.node.allocatable.at("aws.amazon.com/neuron").ToString(), "0");
}

TEST(NodeView, UnmanagedNodeIsInitializedWhateverItsLabels) {
  api::Node node = ManagedNode("n1", false, false);  // labelled as a pool's, but no NodeClaim
  solver::ExistingNode en = NodeView(node, nullptr);
  EXPECT_TRUE(en.initialized);
  EXPECT_THAT(en.node.taints, SizeIs(3));
}

TEST(NodeView, UnregisteredNodeIsSeenThroughItsNodeClaim) {
  api::Node node = ManagedNode("n1", /*registered=*/false, false);
  node.taints.push_back(T("karpenter.sh/unregistered", "NoExecute"));
  api::NodeClaim claim = ClaimFor(node);
  solver::ExistingNode en = NodeView(node, &claim);
  EXPECT_EQ(en.node.metadata.labels.at("team"), "ml");
  EXPECT_THAT(TaintKeys(en.node.taints), ElementsAre("dedicated"));
}

TEST(Build, MatchesNodeClaimsToNodesAndKeepsTheRestInFlight) {
  api::Node n1 = ManagedNode("n1", true, true);
  api::Node n2 = ManagedNode("n2", true, false);
  n2.provider_id.clear();  // matched through the NodeClaim's status.nodeName instead
  api::NodeClaim c1 = ClaimFor(n1);
  api::NodeClaim c2 = ClaimFor(ManagedNode("n2", true, false));
  c2.status.provider_id = "aws:///us-east-1a/i-other";
  c2.status.node_name = "n2";
  api::NodeClaim flying;
  flying.metadata.name = "flying";
  flying.spec.taints = {T("node.kubernetes.io/not-ready", "NoSchedule"), T("gpu", "NoSchedule")};
  api::NodeClaim deleting = flying;
  deleting.metadata.name = "deleting";
  deleting.metadata.deletion_timestamp = "2026-12-01T00:00:00Z";

  api::Pod on_n1, finished, elsewhere;
  on_n1.metadata = {.name = "a", .namespace_ = "default"};
  on_n1.spec.node_name = "n1";
  finished = on_n1;
  finished.metadata.name = "done";
  finished.status.phase = "Succeeded";
  elsewhere = on_n1;
  elsewhere.metadata.name = "lost";
  elsewhere.spec.node_name = "gone";

  Objects objects;
  objects.nodes = {&n1, &n2};
  objects.node_claims = {&c1, &c2, &flying, &deleting};
  objects.bound_pods = {&on_n1, &finished, &elsewhere};
  std::vector<std::string> warnings;
  solver::Snapshot snap = Build(objects, {}, &warnings);

  ASSERT_THAT(snap.nodes, SizeIs(2));
  EXPECT_TRUE(snap.nodes[0].initialized);
  EXPECT_FALSE(snap.nodes[1].initialized) << "n2 is managed by c2 through status.nodeName";
  EXPECT_THAT(TaintKeys(snap.nodes[1].node.taints), ElementsAre("dedicated"));
  ASSERT_THAT(snap.nodes[0].pods, SizeIs(1)) << "finished pods hold nothing";
  EXPECT_EQ(snap.nodes[0].pods[0].metadata.name, "a");
  ASSERT_THAT(snap.node_claims, SizeIs(1)) << "matched and deleting NodeClaims are not in flight";
  EXPECT_EQ(snap.node_claims[0].metadata.name, "flying");
  EXPECT_THAT(TaintKeys(snap.node_claims[0].spec.taints), ElementsAre("gpu"));
  EXPECT_THAT(warnings, ElementsAre("pod default/lost is bound to node gone, which is not in the "
                                    "input; ignoring it"));
}

TEST(Build, NodeClaimsThatCannotLaunchAreNotCapacity) {
  auto claim = [](std::string name, std::string status, std::string reason) {
    api::NodeClaim c;
    c.metadata.name = std::move(name);
    if (!status.empty()) {
      c.status.conditions.push_back(
          {.type = "Launched", .status = std::move(status), .reason = std::move(reason)});
    }
    return c;
  };
  api::NodeClaim fresh = claim("a-fresh", "", "");  // the provisioner's own, not reconciled yet
  api::NodeClaim launching = claim("b-launching", "Unknown", "");
  api::NodeClaim launched = claim("c-launched", "True", "Launched");
  api::NodeClaim no_pool = claim("d-no-pool", "False", "NodePoolNotFound");
  api::NodeClaim failing = claim("e-failing", "False", "LaunchFailed");
  api::NodeClaim throttled = claim("f-throttled", "Unknown", "LaunchFailed");  // transient
  EXPECT_FALSE(CannotLaunch(throttled));
  EXPECT_FALSE(CannotLaunch(fresh));
  EXPECT_FALSE(CannotLaunch(launching));
  EXPECT_FALSE(CannotLaunch(launched));
  EXPECT_TRUE(CannotLaunch(no_pool));
  EXPECT_TRUE(CannotLaunch(failing));

  api::Pod pending;
  pending.metadata = {.name = "web", .namespace_ = "default"};
  Objects objects;
  objects.node_claims = {&failing, &no_pool, &launched, &launching, &fresh, &throttled};
  Inputs in;
  in.pending = {pending};
  solver::Snapshot snap = Build(objects, std::move(in), nullptr);
  std::vector<std::string> names;
  for (const auto& c : snap.node_claims) names.push_back(c.metadata.name);
  EXPECT_THAT(names, ElementsAre("a-fresh", "b-launching", "c-launched", "f-throttled"));
  // Nothing was bound to the skipped claims: only the pending pod is to be placed.
  ASSERT_THAT(snap.pods, SizeIs(1));
  EXPECT_EQ(snap.pods[0].metadata.name, "web");
}

TEST(Build, APendingPodSeenBoundMeanwhileIsNotPlacedAgain) {
  // The provisioner read the pod while it was pending; by the time it read the node's pods,
  // kube-scheduler had bound it. It must not be planned (and counted) a second time.
  api::Node n1 = ManagedNode("n1", true, true);
  api::Pod bound;
  bound.metadata = {.name = "web", .namespace_ = "default"};
  bound.spec.node_name = "n1";
  api::Pod stale = bound;
  stale.spec.node_name.clear();
  api::Pod other = stale;
  other.metadata.name = "other";
  Objects objects;
  objects.nodes = {&n1};
  objects.bound_pods = {&bound};
  Inputs in;
  in.pending = {stale, other};
  solver::Snapshot snap = Build(objects, std::move(in), nullptr);
  ASSERT_THAT(snap.pods, SizeIs(1));
  EXPECT_EQ(snap.pods[0].metadata.name, "other");
  ASSERT_THAT(snap.nodes, SizeIs(1));
  ASSERT_THAT(snap.nodes[0].pods, SizeIs(1));
  EXPECT_EQ(snap.nodes[0].pods[0].metadata.name, "web");
}

TEST(IsProvisionable, WantsKubeSchedulersUnschedulableVerdict) {
  api::Pod p;
  p.metadata.name = "p";
  EXPECT_FALSE(IsProvisionable(p));
  p.status.conditions.push_back({.type = "PodScheduled", .status = "False", .reason = "Unschedulable"});
  EXPECT_TRUE(IsProvisionable(p));
  api::Pod daemon = p;
  daemon.metadata.owner_references.push_back({.kind = "DaemonSet", .name = "ds"});
  EXPECT_FALSE(IsProvisionable(daemon));
  api::Pod bound = p;
  bound.spec.node_name = "n1";
  EXPECT_FALSE(IsProvisionable(bound));
}

}  // namespace
}  // namespace joinery::snapshot
