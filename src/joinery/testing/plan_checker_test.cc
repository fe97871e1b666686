// Tests of the plan checker: plans computed by Solve pass, and each kind of broken plan (or a
// snapshot changed behind the plan's back) is caught with a message naming the rule.
#include "joinery/testing/plan_checker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "joinery/api/labels.h"
#include "joinery/common/strings.h"
#include "joinery/scheduling/resources.h"
#include "joinery/testing/fixtures.h"
#include "joinery/testing/storage_fixtures.h"

namespace joinery::testing {
namespace {

using ::testing::HasSubstr;

class PlanCheckerTest : public ::testing::Test {
 protected:
  PlanCheckerTest() {
    types_ = SyntheticCatalog();
    snap_.node_pools = {
        MakeNodePool("default", {Req("karpenter.sh/capacity-type", "In", {"on-demand"}),
                                 Req("kubernetes.io/arch", "In", {"amd64"})})};
  }

  // Solves the current snapshot; the plan must pass the checker as computed.
  solver::Plan Solve() {
    snap_.instance_types = std::make_shared<const cloudprovider::InstanceTypes>(types_);
    auto plan = solver::Solve(snap_);
    EXPECT_TRUE(plan.ok()) << plan.status();
    if (!plan.ok()) return {};
    absl::Status s = CheckPlan(snap_, *plan);
    EXPECT_TRUE(s.ok()) << s;
    return *plan;
  }

  // Replaces the catalog (after solving) with `types`.
  void SetTypes(const cloudprovider::InstanceTypes& types) {
    snap_.instance_types = std::make_shared<const cloudprovider::InstanceTypes>(types);
  }

  std::string Violation(const solver::Plan& plan) {
    absl::Status s = CheckPlan(snap_, plan);
    EXPECT_FALSE(s.ok()) << "the checker accepted a broken plan";
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    return std::string(s.message());
  }

  cloudprovider::InstanceTypes types_;
  solver::Snapshot snap_;
};

TEST_F(PlanCheckerTest, AcceptsAnEmptyPlanForNoPods) {
  solver::Plan plan = Solve();
  EXPECT_TRUE(CheckPlan(snap_, plan).ok());
}

TEST_F(PlanCheckerTest, AcceptsPlansComputedBySolve) {
  snap_.pods = {MakePod("a", 3), MakePod("b", 5), MakePod("c", 1), MakePod("huge", 100)};
  solver::Plan plan = Solve();
  EXPECT_EQ(plan.unschedulable.size(), 1u);
  EXPECT_FALSE(plan.node_claims.empty());
}

TEST_F(PlanCheckerTest, RejectsAPendingPodMissingFromThePlan) {
  snap_.pods = {MakePod("a", 1), MakePod("b", 1)};
  solver::Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  plan.node_claims[0].pods.pop_back();
  EXPECT_THAT(Violation(plan), HasSubstr("is not in the plan"));
}

TEST_F(PlanCheckerTest, RejectsAPodPlacedTwice) {
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  plan.unschedulable.push_back({"default/a", "because"});
  EXPECT_THAT(Violation(plan), HasSubstr("pod default/a appears more than once"));
}

TEST_F(PlanCheckerTest, RejectsAPodThatIsNotPending) {
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  plan.node_claims[0].pods.push_back("default/ghost");
  EXPECT_THAT(Violation(plan), HasSubstr("pod default/ghost in nodeclaim"));
}

TEST_F(PlanCheckerTest, RejectsALaunchOutsideTheOptions) {
  snap_.pods = {MakePod("a", 3)};
  solver::Plan plan = Solve();
  plan.node_claims[0].launch.instance_type = "arm";
  EXPECT_THAT(Violation(plan), HasSubstr("launched type \"arm\" is not among the options"));
}

TEST_F(PlanCheckerTest, RejectsTooManyOptions) {
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  ASSERT_GT(plan.node_claims[0].instance_type_options.size(), 1u);
  snap_.options.max_instance_types = 1;
  EXPECT_THAT(Violation(plan), HasSubstr("exceed the maximum of 1"));
}

TEST_F(PlanCheckerTest, RejectsAPriceThatIsNotTheOfferings) {
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  plan.node_claims[0].launch.price += 0.01;
  plan.cost_per_hour += 0.01;
  EXPECT_THAT(Violation(plan), HasSubstr("differs from the offering's"));
}

TEST_F(PlanCheckerTest, RejectsAWrongTotalCost) {
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  plan.cost_per_hour = 42;
  EXPECT_THAT(Violation(plan), HasSubstr("is not the sum of launch prices"));
}

TEST_F(PlanCheckerTest, RejectsAnUnavailableOffering) {
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  cloudprovider::InstanceTypes types = types_;
  for (auto& it : types) {
    for (auto& o : it.offerings) o.available = false;
  }
  SetTypes(types);
  EXPECT_THAT(Violation(plan), HasSubstr("is not available"));
}

TEST_F(PlanCheckerTest, RejectsAnOfferingInAnotherZone) {
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  plan.node_claims[0].launch.zone = "test-z";
  EXPECT_THAT(Violation(plan), HasSubstr("has no offering in test-z/on-demand"));
}

TEST_F(PlanCheckerTest, RejectsPodsThatDoNotFitTheLaunchedType) {
  snap_.pods = {MakePod("a", 5), MakePod("b", 5)};
  solver::Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 2u);
  // Merge both claims into one 8-cpu node: 10 cpu do not fit.
  plan.node_claims[0].pods.push_back(plan.node_claims[1].pods[0]);
  plan.node_claims[0].requests = plan.node_claims[0].allocatable;
  plan.node_claims[0].requests["cpu"] = Cpu(10);
  plan.cost_per_hour -= plan.node_claims[1].launch.price;
  plan.node_claims.pop_back();
  EXPECT_THAT(Violation(plan), HasSubstr("exceed the allocatable of large"));
}

TEST_F(PlanCheckerTest, CountsDaemonSetOverheadAgainstAllocatable) {
  snap_.pods = {MakePod("a", 3)};
  solver::Plan plan = Solve();
  ASSERT_EQ(plan.node_claims[0].launch.instance_type, "medium");
  api::DaemonSet ds;
  ds.metadata.name = "logging";
  api::Container c;
  c.name = "agent";
  c.resources.requests = {{"cpu", Cpu(2)}};
  ds.template_.spec.containers.push_back(c);
  snap_.daemon_sets = {ds};
  EXPECT_THAT(Violation(plan), HasSubstr("pods + daemonsets"));
}

TEST_F(PlanCheckerTest, SolvedPlansIncludeDaemonSetOverhead) {
  api::DaemonSet ds;
  ds.metadata.name = "logging";
  api::Container c;
  c.name = "agent";
  c.resources.requests = {{"cpu", Cpu(2)}};
  ds.template_.spec.containers.push_back(c);
  snap_.daemon_sets = {ds};
  snap_.pods = {MakePod("a", 3)};
  solver::Plan plan = Solve();
  EXPECT_EQ(plan.node_claims[0].launch.instance_type, "large");
}

TEST_F(PlanCheckerTest, RejectsAViolatedNodeSelector) {
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  snap_.pods[0].spec.node_selector = {{"kubernetes.io/arch", "arm64"}};
  EXPECT_THAT(Violation(plan), HasSubstr("nodeSelector kubernetes.io/arch=arm64 does not hold"));
}

TEST_F(PlanCheckerTest, RejectsWhenNoRequiredAffinityTermHolds) {
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  api::NodeAffinity na;
  na.required = std::vector<api::NodeSelectorTerm>{
      {.match_expressions = {Req("kubernetes.io/arch", "In", {"arm64"})}, .match_fields = {}},
      {.match_expressions = {Req("karpenter.k8s.aws/instance-cpu", "Gt", {"64"})},
       .match_fields = {}}};
  snap_.pods[0].spec.affinity =
      api::Affinity{.node_affinity = na, .pod_affinity = {}, .pod_anti_affinity = {}};
  EXPECT_THAT(Violation(plan), HasSubstr("no required node-affinity term holds"));
}

TEST_F(PlanCheckerTest, AcceptsWhenOneRequiredAffinityTermHolds) {
  api::NodeAffinity na;
  na.required = std::vector<api::NodeSelectorTerm>{
      {.match_expressions = {Req("kubernetes.io/arch", "In", {"arm64"})}, .match_fields = {}},
      {.match_expressions = {Req("karpenter.k8s.aws/instance-cpu", "Gt", {"2"})},
       .match_fields = {}}};
  snap_.pods = {MakePod("a", 1)};
  snap_.pods[0].spec.affinity =
      api::Affinity{.node_affinity = na, .pod_affinity = {}, .pod_anti_affinity = {}};
  solver::Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_EQ(plan.node_claims[0].launch.instance_type, "medium");
}

TEST_F(PlanCheckerTest, RejectsAnUntoleratedNodePoolTaint) {
  snap_.node_pools[0].template_.spec.taints = {{"dedicated", "gpu", "NoSchedule"}};
  snap_.pods = {MakePod("a", 1)};
  snap_.pods[0].spec.tolerations = {{.key = "dedicated",
                                     .operator_ = "Exists",
                                     .value = "",
                                     .effect = "",
                                     .toleration_seconds = {}}};
  solver::Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  snap_.pods[0].spec.tolerations.clear();
  EXPECT_THAT(Violation(plan), HasSubstr("does not tolerate taint dedicated=gpu:NoSchedule"));
}

TEST_F(PlanCheckerTest, IgnoresUntoleratedPreferNoScheduleTaints) {
  snap_.node_pools[0].template_.spec.taints = {{"soft", "", "PreferNoSchedule"}};
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  EXPECT_EQ(plan.node_claims.size(), 1u);
}

TEST_F(PlanCheckerTest, RejectsALaunchThatViolatesNodePoolRequirements) {
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  snap_.node_pools[0].template_.spec.requirements.push_back(
      Req("node.kubernetes.io/instance-type", "NotIn", {plan.node_claims[0].launch.instance_type}));
  EXPECT_THAT(Violation(plan), HasSubstr("nodepool requirements"));
}

TEST_F(PlanCheckerTest, RejectsUnmetMinValues) {
  snap_.pods = {MakePod("a", 5)};  // only "large" fits
  solver::Plan plan = Solve();
  auto r = Req("node.kubernetes.io/instance-type", "Exists", {});
  r.min_values = 2;
  snap_.node_pools[0].template_.spec.requirements.push_back(r);
  EXPECT_THAT(Violation(plan), HasSubstr("below minValues 2"));
}

TEST_F(PlanCheckerTest, RejectsNewNodeClaimsBeyondTheLimits) {
  snap_.pods = {MakePod("a", 3), MakePod("b", 3)};
  snap_.node_pools[0].limits = {{"cpu", Cpu(100)}};
  solver::Plan plan = Solve();
  snap_.node_pools[0].limits = {{"cpu", Cpu(4)}};
  EXPECT_THAT(Violation(plan), HasSubstr("above the limit 4"));
}

TEST_F(PlanCheckerTest, CountsNodesAgainstTheNodesLimit) {
  snap_.pods = {MakePod("a", 5), MakePod("b", 5)};
  snap_.node_pools[0].limits = {{"nodes", Quantity::FromUnits(1)}};
  solver::Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  ASSERT_EQ(plan.unschedulable.size(), 1u);
  // A plan that launches both breaks the limit.
  solver::PlannedNodeClaim second = plan.node_claims[0];
  second.name += "-2";
  second.pods = {plan.unschedulable[0].pod};
  plan.unschedulable.clear();
  plan.cost_per_hour += second.launch.price;
  plan.node_claims.push_back(second);
  EXPECT_THAT(Violation(plan), HasSubstr("bring nodes to 2, above the limit 1"));
}

TEST_F(PlanCheckerTest, CountsExistingNodesOfThePoolAgainstTheLimits) {
  solver::ExistingNode n;
  n.node.metadata.name = "node-1";
  n.node.metadata.labels = {{"karpenter.sh/nodepool", "default"}, {"kubernetes.io/arch", "amd64"}};
  n.node.capacity = {{"cpu", Cpu(8)}};
  n.node.allocatable = {{"cpu", Cpu(8)}, {"memory", Gi(16)}, {"pods", Quantity::FromUnits(110)}};
  snap_.nodes = {n};
  snap_.pods = {MakePod("a", 7.5), MakePod("b", 3)};
  snap_.node_pools[0].limits = {{"cpu", Cpu(12)}};
  solver::Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_EQ(plan.node_claims[0].launch.instance_type, "medium");
  snap_.node_pools[0].limits = {{"cpu", Cpu(11)}};
  EXPECT_THAT(Violation(plan), HasSubstr("bring cpu to 12, above the limit 11"));
}

TEST_F(PlanCheckerTest, RejectsAnOverfullExistingNode) {
  solver::ExistingNode n;
  n.node.metadata.name = "node-1";
  n.node.metadata.labels = {{"kubernetes.io/arch", "amd64"}};
  n.node.allocatable = {{"cpu", Cpu(4)}, {"memory", Gi(8)}, {"pods", Quantity::FromUnits(10)}};
  n.pods = {MakePod("running", 1)};
  n.pods[0].spec.node_name = "node-1";
  snap_.nodes = {n};
  snap_.pods = {MakePod("a", 2)};
  solver::Plan plan = Solve();
  ASSERT_EQ(plan.existing_nodes.size(), 1u);
  snap_.nodes[0].pods[0] = MakePod("running", 3);
  EXPECT_THAT(Violation(plan), HasSubstr("existing node node-1: bound and placed pods"));
}

TEST_F(PlanCheckerTest, RejectsAnExistingNodeWhoseTaintIsNotTolerated) {
  solver::ExistingNode n;
  n.node.metadata.name = "node-1";
  n.node.allocatable = {{"cpu", Cpu(4)}, {"memory", Gi(8)}, {"pods", Quantity::FromUnits(10)}};
  snap_.nodes = {n};
  snap_.pods = {MakePod("a", 2)};
  solver::Plan plan = Solve();
  ASSERT_EQ(plan.existing_nodes.size(), 1u);
  snap_.nodes[0].node.taints = {{"maintenance", "", "NoExecute"}};
  EXPECT_THAT(Violation(plan), HasSubstr("does not tolerate taint maintenance:NoExecute"));
}

TEST_F(PlanCheckerTest, RejectsAnInflightNodeClaimWithIncompatibleRequirements) {
  api::NodeClaim nc;
  nc.metadata.name = "default-abcde";
  nc.metadata.labels = {{"karpenter.sh/nodepool", "default"}};
  nc.spec.requirements = {Req("kubernetes.io/arch", "In", {"amd64"}),
                          Req("node.kubernetes.io/instance-type", "In", {"large"})};
  nc.status.allocatable = {{"cpu", Cpu(8)}, {"memory", Gi(16)}, {"pods", Quantity::FromUnits(110)}};
  nc.status.capacity = nc.status.allocatable;
  snap_.node_claims = {nc};
  snap_.pods = {MakePod("a", 2)};
  solver::Plan plan = Solve();
  ASSERT_EQ(plan.existing_nodes.size(), 1u);
  EXPECT_TRUE(plan.existing_nodes[0].is_node_claim);
  snap_.pods[0].spec.node_selector = {{"kubernetes.io/arch", "arm64"}};
  EXPECT_THAT(Violation(plan), HasSubstr("in-flight nodeclaim default-abcde: pod default/a"));
}

TEST_F(PlanCheckerTest, RejectsANodeClaimWithoutPods) {
  snap_.pods = {MakePod("a", 1)};
  solver::Plan plan = Solve();
  plan.unschedulable.push_back({"default/a", "moved"});
  plan.node_claims[0].pods.clear();
  EXPECT_THAT(Violation(plan), HasSubstr("has no pods"));
}

}  // namespace
}  // namespace joinery::testing

namespace joinery::testing {
namespace {

api::Pod WithHostPort(api::Pod p, int32_t port) {
  api::ContainerPort cp;
  cp.container_port = port;
  cp.host_port = port;
  p.spec.containers.at(0).ports.push_back(cp);
  return p;
}

TEST_F(PlanCheckerTest, RejectsConflictingHostPortsOnOneNode) {
  solver::ExistingNode node;
  node.node.metadata.name = "node-1";
  node.node.metadata.labels = {{"kubernetes.io/arch", "amd64"}};
  node.node.allocatable = {{"cpu", Cpu(16)}, {"memory", Gi(64)}, {"pods", Quantity::FromUnits(110)}};
  node.node.capacity = node.node.allocatable;
  api::Pod running = WithHostPort(MakePod("running", 1), 80);
  running.spec.node_name = "node-1";
  node.pods.push_back(running);
  snap_.nodes = {node};
  snap_.pods = {WithHostPort(MakePod("a", 1), 80)};
  solver::Plan plan = Solve();  // a cannot join node-1: it gets a NodeClaim
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_TRUE(plan.existing_nodes.empty());

  plan.node_claims.clear();
  plan.cost_per_hour = 0;
  plan.existing_nodes.push_back({"node-1", false, {"default/a"}});
  EXPECT_THAT(Violation(plan), HasSubstr("checking host port usage"));
}

}  // namespace
}  // namespace joinery::testing

// ---- Topology: pod (anti-)affinity and topology spread ----
//
// These tests build plans by hand (not with Solve), so they pin the checker's rules whatever the
// solver does. Pods run in namespace default; claims launch "medium" on-demand in the given zone.

namespace joinery::testing {
namespace {

constexpr char kZone[] = "topology.kubernetes.io/zone";
constexpr char kHostname[] = "kubernetes.io/hostname";

api::Pod Labeled(api::Pod p, api::StringMap labels) {
  p.metadata.labels = std::move(labels);
  return p;
}

api::PodAffinityTerm Term(std::string key, api::StringMap match_labels) {
  api::PodAffinityTerm t;
  t.topology_key = std::move(key);
  t.label_selector =
      api::LabelSelector{.match_labels = std::move(match_labels), .match_expressions = {}};
  return t;
}

api::Affinity& AffinityOf(api::Pod& p) {
  if (!p.spec.affinity) p.spec.affinity.emplace();
  return *p.spec.affinity;
}

api::Pod WithAntiAffinity(api::Pod p, api::PodAffinityTerm t) {
  auto& a = AffinityOf(p).pod_anti_affinity;
  if (!a) a.emplace();
  a->required.push_back(std::move(t));
  return p;
}

api::Pod WithAffinity(api::Pod p, api::PodAffinityTerm t) {
  auto& a = AffinityOf(p).pod_affinity;
  if (!a) a.emplace();
  a->required.push_back(std::move(t));
  return p;
}

api::TopologySpreadConstraint Spread(std::string key, int skew, api::StringMap match_labels,
                                     std::string when = "DoNotSchedule") {
  api::TopologySpreadConstraint c;
  c.topology_key = std::move(key);
  c.max_skew = skew;
  c.when_unsatisfiable = std::move(when);
  c.label_selector =
      api::LabelSelector{.match_labels = std::move(match_labels), .match_expressions = {}};
  return c;
}

api::Pod WithSpread(api::Pod p, api::TopologySpreadConstraint c) {
  p.spec.topology_spread_constraints.push_back(std::move(c));
  return p;
}

class TopologyCheckTest : public PlanCheckerTest {
 protected:
  TopologyCheckTest() { SetTypes(types_); }

  // A NodeClaim of nodepool default launching `type` on-demand in `zone` with `pods` (keys in
  // snap_.pods), consistent with everything else the checker verifies.
  solver::PlannedNodeClaim Claim(std::string name, std::string zone, std::vector<std::string> pods,
                                 std::string type = "medium") {
    const cloudprovider::InstanceType* it = nullptr;
    for (const auto& t : types_) {
      if (t.name == type) it = &t;
    }
    EXPECT_NE(it, nullptr) << type;
    solver::PlannedNodeClaim nc;
    nc.name = std::move(name);
    nc.node_pool = "default";
    nc.instance_type_options = {type};
    nc.launch.instance_type = type;
    nc.launch.zone = zone;
    nc.launch.capacity_type = "on-demand";
    for (const auto& o : it->offerings) {
      if (o.zone == zone && o.capacity_type == "on-demand") nc.launch.price = o.price;
    }
    nc.labels = it->labels;
    nc.labels[kZone] = zone;
    nc.labels["karpenter.sh/capacity-type"] = "on-demand";
    nc.labels["karpenter.sh/nodepool"] = "default";
    for (const auto& key : pods) {
      for (const auto& p : snap_.pods) {
        if (StrCat(p.metadata.namespace_, "/", p.metadata.name) == key) {
          AddInto(nc.requests, scheduling::PodSchedulingRequests(p.spec));
        }
      }
    }
    nc.pods = std::move(pods);
    nc.capacity = it->capacity;
    nc.allocatable = it->Allocatable();
    return nc;
  }

  static solver::Plan PlanOf(std::vector<solver::PlannedNodeClaim> claims,
                             std::vector<solver::ExistingNodePlacement> existing = {}) {
    solver::Plan plan;
    for (const auto& c : claims) plan.cost_per_hour += c.launch.price;
    plan.node_claims = std::move(claims);
    plan.existing_nodes = std::move(existing);
    return plan;
  }

  // An amd64 node in `zone` with room to spare, running `pods`.
  static solver::ExistingNode Node(std::string name, std::string zone, std::vector<api::Pod> pods) {
    solver::ExistingNode n;
    n.node.metadata.name = name;
    n.node.metadata.labels = {{"kubernetes.io/arch", "amd64"}, {kZone, zone}};
    n.node.allocatable = {{"cpu", Cpu(16)}, {"memory", Gi(64)}, {"pods", Quantity::FromUnits(110)}};
    n.node.capacity = n.node.allocatable;
    for (auto& p : pods) p.spec.node_name = name;
    n.pods = std::move(pods);
    return n;
  }

  void ExpectOk(const solver::Plan& plan) {
    absl::Status s = CheckPlan(snap_, plan);
    EXPECT_TRUE(s.ok()) << s;
  }
};

// -- Required anti-affinity --

TEST_F(TopologyCheckTest, AcceptsSelfAntiAffinityOwnersOnSeparateHosts) {
  api::Pod web = WithAntiAffinity(Labeled(MakePod("a", 1), {{"app", "web"}}),
                                  Term(kHostname, {{"app", "web"}}));
  api::Pod b = web;
  b.metadata.name = "b";
  snap_.pods = {web, b};
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"}),
                   Claim("default-bbbbb", "test-a", {"default/b"})}));
}

TEST_F(TopologyCheckTest, RejectsTwoAntiAffinityOwnersOnOneHost) {
  api::Pod web = WithAntiAffinity(Labeled(MakePod("a", 1), {{"app", "web"}}),
                                  Term(kHostname, {{"app", "web"}}));
  api::Pod b = web;
  b.metadata.name = "b";
  snap_.pods = {web, b};
  EXPECT_THAT(
      Violation(PlanOf({Claim("default-aaaaa", "test-a", {"default/a", "default/b"})})),
      HasSubstr("pod default/a (on nodeclaim default-aaaaa): required pod anti-affinity on "
                "kubernetes.io/hostname {app=web} in namespaces default violated: pod default/b "
                "(on nodeclaim default-aaaaa) is in the same domain default-aaaaa"));
}

TEST_F(TopologyCheckTest, RejectsAnAntiAffinityOwnerInTheZoneOfAMatchingExistingPod) {
  snap_.nodes = {Node("node-1", "test-a", {Labeled(MakePod("old", 1), {{"app", "web"}})})};
  snap_.pods = {WithAntiAffinity(MakePod("a", 1), Term(kZone, {{"app", "web"}}))};
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-b", {"default/a"})}));
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"})})),
              HasSubstr("violated: existing pod default/old (on node node-1) is in the same "
                        "domain test-a"));
}

TEST_F(TopologyCheckTest, IgnoresTerminalAndTerminatingExistingPods) {
  api::Pod done = Labeled(MakePod("done", 1), {{"app", "web"}});
  done.status.phase = "Succeeded";
  api::Pod leaving = Labeled(MakePod("leaving", 1), {{"app", "web"}});
  leaving.metadata.deletion_timestamp = "2024-01-01T00:00:00Z";
  snap_.nodes = {Node("node-1", "test-a", {done, leaving})};
  snap_.pods = {WithAntiAffinity(MakePod("a", 1), Term(kZone, {{"app", "web"}}))};
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"})}));
}

TEST_F(TopologyCheckTest, RejectsAPlacedPodInTheDomainOfAnExistingPodsAntiAffinity) {
  api::Pod guard = WithAntiAffinity(MakePod("guard", 1), Term(kZone, {{"app", "web"}}));
  snap_.nodes = {Node("node-1", "test-a", {guard})};
  snap_.pods = {Labeled(MakePod("a", 1), {{"app", "web"}})};
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-b", {"default/a"})}));
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"})})),
              HasSubstr("pod default/a (on nodeclaim default-aaaaa) is in domain test-a of "
                        "existing pod default/guard (on node node-1), whose required pod "
                        "anti-affinity on topology.kubernetes.io/zone {app=web} in namespaces "
                        "default selects it (inverse anti-affinity)"));
}

TEST_F(TopologyCheckTest, RejectsAPlacementOnAnExistingNodeThatAnExistingPodsAntiAffinityForbids) {
  api::Pod guard = WithAntiAffinity(MakePod("guard", 1), Term(kHostname, {{"app", "web"}}));
  snap_.nodes = {Node("node-1", "test-a", {guard})};
  snap_.pods = {Labeled(MakePod("a", 1), {{"app", "web"}})};
  EXPECT_THAT(Violation(PlanOf({}, {{"node-1", false, {"default/a"}}})),
              HasSubstr("pod default/a (on node node-1) is in domain node-1 of existing pod "
                        "default/guard"));
}

TEST_F(TopologyCheckTest, AntiAffinityOnlySelectsPodsInTheTermsNamespaces) {
  api::Pod other = Labeled(MakePod("other", 1), {{"app", "web"}});
  other.metadata.namespace_ = "other";
  snap_.nodes = {Node("node-1", "test-a", {other})};
  snap_.pods = {WithAntiAffinity(MakePod("a", 1), Term(kZone, {{"app", "web"}}))};
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"})}));
  snap_.pods[0].spec.affinity->pod_anti_affinity->required[0].namespaces = {"other"};
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"})})),
              HasSubstr("existing pod other/other (on node node-1) is in the same domain test-a"));
}

// -- Required affinity --

TEST_F(TopologyCheckTest, AcceptsAnAffinityOwnerInTheZoneOfAMatchingPod) {
  snap_.nodes = {Node("node-1", "test-a", {Labeled(MakePod("db", 1), {{"app", "db"}})})};
  snap_.pods = {WithAffinity(MakePod("a", 1), Term(kZone, {{"app", "db"}}))};
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"})}));
}

TEST_F(TopologyCheckTest, RejectsAnAffinityOwnerInADomainWithoutAMatch) {
  snap_.nodes = {Node("node-1", "test-a", {Labeled(MakePod("db", 1), {{"app", "db"}})})};
  snap_.pods = {WithAffinity(MakePod("a", 1), Term(kZone, {{"app", "db"}}))};
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "test-b", {"default/a"})})),
              HasSubstr("pod default/a (on nodeclaim default-aaaaa): required pod affinity on "
                        "topology.kubernetes.io/zone {app=db} in namespaces default unsatisfied: "
                        "no other matching pod in domain test-b (and the pod does not select "
                        "itself)"));
}

TEST_F(TopologyCheckTest, AcceptsAPlacedPodAsTheAffinityMatch) {
  snap_.pods = {WithAffinity(MakePod("a", 1), Term(kHostname, {{"app", "db"}})),
                Labeled(MakePod("db", 1), {{"app", "db"}})};
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-a", {"default/db", "default/a"})}));
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"}),
                                Claim("default-bbbbb", "test-a", {"default/db"})})),
              HasSubstr("no other matching pod in domain default-aaaaa"));
}

TEST_F(TopologyCheckTest, AcceptsSelfAffinityOwnersThatShareAZone) {
  api::Pod a =
      WithAffinity(Labeled(MakePod("a", 3), {{"app", "cache"}}), Term(kZone, {{"app", "cache"}}));
  api::Pod b = a;
  b.metadata.name = "b";
  snap_.pods = {a, b};
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"}),
                   Claim("default-bbbbb", "test-a", {"default/b"})}));
  // A lone self-affinity owner may start a domain.
  snap_.pods = {a};
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-b", {"default/a"})}));
}

TEST_F(TopologyCheckTest, RejectsSelfAffinityOwnersSplitAcrossZones) {
  api::Pod a =
      WithAffinity(Labeled(MakePod("a", 3), {{"app", "cache"}}), Term(kZone, {{"app", "cache"}}));
  api::Pod b = a;
  b.metadata.name = "b";
  snap_.pods = {a, b};
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"}),
                                Claim("default-bbbbb", "test-b", {"default/b"})})),
              HasSubstr("pod default/a (on nodeclaim default-aaaaa) and pod default/b (on "
                        "nodeclaim default-bbbbb): required pod affinity: each is alone in its "
                        "domain (test-a, test-b"));
}

TEST_F(TopologyCheckTest, RejectsASelfAffinityOwnerAwayFromAnExistingMatch) {
  snap_.nodes = {Node("node-1", "test-a", {Labeled(MakePod("old", 1), {{"app", "cache"}})})};
  snap_.pods = {
      WithAffinity(Labeled(MakePod("a", 1), {{"app", "cache"}}), Term(kZone, {{"app", "cache"}}))};
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"})}));
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "test-b", {"default/a"})})),
              HasSubstr("no other matching pod in domain test-b, but existing pod default/old "
                        "(on node node-1) matches in domain test-a"));
  // Unless the pod's own node selector rules that domain out.
  snap_.pods[0].spec.node_selector = {{kZone, "test-b"}};
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-b", {"default/a"})}));
}

TEST_F(TopologyCheckTest, RejectsAnAffinityOwnerOnANodeWithoutTheKey) {
  snap_.pods = {WithAffinity(Labeled(MakePod("a", 1), {{"app", "db"}}),
                             Term("example.com/rack", {{"app", "db"}}))};
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "test-a", {"default/a"})})),
              HasSubstr("pod default/a (on nodeclaim default-aaaaa): required pod affinity on "
                        "example.com/rack: the node has no value for the key"));
}

// -- Topology spread (DoNotSchedule) --

class SpreadTest : public TopologyCheckTest {
 protected:
  // `n` pods web-0.. labeled app=web with constraint `c`.
  void Pods(int n, const api::TopologySpreadConstraint& c) {
    for (int i = 0; i < n; ++i) {
      snap_.pods.push_back(WithSpread(Labeled(MakePod(StrCat("web-", i), 1), {{"app", "web"}}), c));
    }
  }
};

TEST_F(SpreadTest, AcceptsAZonalSpreadWithinMaxSkew) {
  Pods(3, Spread(kZone, 1, {{"app", "web"}}));
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-a", {"default/web-0", "default/web-1"}),
                   Claim("default-bbbbb", "test-b", {"default/web-2"})}));
}

TEST_F(SpreadTest, RejectsAZonalSpreadOfThreeToZero) {
  Pods(3, Spread(kZone, 1, {{"app", "web"}}));
  EXPECT_THAT(
      Violation(PlanOf(
          {Claim("default-aaaaa", "test-a", {"default/web-0", "default/web-1", "default/web-2"})})),
      HasSubstr(
          "pod default/web-2 (on nodeclaim default-aaaaa): topology spread on "
          "topology.kubernetes.io/zone (maxSkew 1, {app=web} in namespaces default) violated "
          "in domain test-a: 0 existing + 3 placed matching pods with this constraint, global "
          "minimum 0 (eligible domains test-a=3 test-b=0)"));
}

TEST_F(SpreadTest, DoesNotCheckScheduleAnyway) {
  Pods(3, Spread(kZone, 1, {{"app", "web"}}, "ScheduleAnyway"));
  ExpectOk(PlanOf(
      {Claim("default-aaaaa", "test-a", {"default/web-0", "default/web-1", "default/web-2"})}));
}

TEST_F(SpreadTest, CountsExistingPodsInTheDomain) {
  snap_.nodes = {Node("node-1", "test-a", {Labeled(MakePod("old", 1), {{"app", "web"}})})};
  Pods(1, Spread(kZone, 1, {{"app", "web"}}));
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-b", {"default/web-0"})}));
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "test-a", {"default/web-0"})})),
              HasSubstr("violated in domain test-a: 1 existing + 1 placed matching pods"));
}

TEST_F(SpreadTest, RejectsTwoPodsOnOneHostWithHostnameSpread) {
  Pods(2, Spread(kHostname, 1, {{"app", "web"}}));
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-a", {"default/web-0"}),
                   Claim("default-bbbbb", "test-a", {"default/web-1"})}));
  EXPECT_THAT(
      Violation(PlanOf({Claim("default-aaaaa", "test-a", {"default/web-0", "default/web-1"})})),
      HasSubstr("topology spread on kubernetes.io/hostname (maxSkew 1, {app=web} in namespaces "
                "default) violated in domain default-aaaaa: 0 existing + 2 placed matching pods "
                "with this constraint, global minimum 0 (hostname)"));
  // maxSkew 2 allows it.
  snap_.pods.clear();
  Pods(2, Spread(kHostname, 2, {{"app", "web"}}));
  ExpectOk(PlanOf({Claim("default-aaaaa", "test-a", {"default/web-0", "default/web-1"})}));
}

TEST_F(SpreadTest, MinDomainsAboveTheEligibleDomainsLowersTheMinimumToZero) {
  auto c = Spread(kZone, 1, {{"app", "web"}});
  Pods(4, c);
  solver::Plan two_two =
      PlanOf({Claim("default-aaaaa", "test-a", {"default/web-0", "default/web-1"}),
              Claim("default-bbbbb", "test-b", {"default/web-2", "default/web-3"})});
  ExpectOk(two_two);  // 2-2: skew 0
  c.min_domains = 3;
  snap_.pods.clear();
  Pods(4, c);
  EXPECT_THAT(Violation(two_two),
              HasSubstr("violated in domain test-a: 0 existing + 2 placed matching pods with this "
                        "constraint, global minimum 0 (2 eligible domain(s) < minDomains 3)"));
  c.min_domains = 2;
  snap_.pods.clear();
  Pods(4, c);
  ExpectOk(two_two);
}

TEST_F(SpreadTest, NodeAffinityPolicyHonorLeavesOutZonesThePodCannotUse) {
  auto c = Spread(kZone, 1, {{"app", "web"}});
  Pods(2, c);
  for (auto& p : snap_.pods) p.spec.node_selector = {{kZone, "test-a"}};
  solver::Plan both_in_a =
      PlanOf({Claim("default-aaaaa", "test-a", {"default/web-0", "default/web-1"})});
  ExpectOk(both_in_a);  // Honor (the default): test-b is not eligible, the minimum is 2
  for (auto& p : snap_.pods) p.spec.topology_spread_constraints[0].node_affinity_policy = "Ignore";
  EXPECT_THAT(Violation(both_in_a),
              HasSubstr("violated in domain test-a: 0 existing + 2 placed matching pods with this "
                        "constraint, global minimum 0 (eligible domains test-a=2 test-b=0)"));
}

TEST_F(SpreadTest, NodeAffinityPolicyHonorCountsOnlyPodsOnNodesThePodCouldUse) {
  // An arm64 node in test-a whose web pod does not count for amd64-only owners.
  solver::ExistingNode arm =
      Node("arm-1", "test-a", {Labeled(MakePod("old", 1), {{"app", "web"}})});
  arm.node.metadata.labels["kubernetes.io/arch"] = "arm64";
  snap_.nodes = {arm};
  Pods(1, Spread(kZone, 1, {{"app", "web"}}));
  snap_.pods[0].spec.node_selector = {{"kubernetes.io/arch", "amd64"}};
  solver::Plan in_a = PlanOf({Claim("default-aaaaa", "test-a", {"default/web-0"})});
  ExpectOk(in_a);
  snap_.pods[0].spec.topology_spread_constraints[0].node_affinity_policy = "Ignore";
  EXPECT_THAT(Violation(in_a), HasSubstr("violated in domain test-a: 1 existing + 1 placed"));
}

TEST_F(SpreadTest, NodeTaintsPolicyHonorLeavesOutZonesOfUntoleratedPools) {
  snap_.node_pools[0].template_.spec.requirements.push_back(Req(kZone, "In", {"test-a"}));
  api::NodePool tainted = MakeNodePool("tainted", {Req(kZone, "In", {"test-b"})});
  tainted.template_.spec.taints = {{"dedicated", "gpu", "NoSchedule"}};
  snap_.node_pools.push_back(tainted);
  auto c = Spread(kZone, 1, {{"app", "web"}});
  Pods(2, c);
  solver::Plan both_in_a =
      PlanOf({Claim("default-aaaaa", "test-a", {"default/web-0", "default/web-1"})});
  // Ignore (the default): test-b of the tainted pool is a domain.
  EXPECT_THAT(Violation(both_in_a), HasSubstr("(eligible domains test-a=2 test-b=0)"));
  for (auto& p : snap_.pods) p.spec.topology_spread_constraints[0].node_taints_policy = "Honor";
  ExpectOk(both_in_a);
}

TEST_F(SpreadTest, MatchLabelKeysSplitOwnersIntoGroups) {
  auto c = Spread(kZone, 1, {{"app", "web"}});
  Pods(2, c);
  snap_.pods[0].metadata.labels["version"] = "1";
  snap_.pods[1].metadata.labels["version"] = "2";
  solver::Plan both_in_a =
      PlanOf({Claim("default-aaaaa", "test-a", {"default/web-0", "default/web-1"})});
  EXPECT_THAT(Violation(both_in_a), HasSubstr("2 placed matching pods"));
  for (auto& p : snap_.pods) p.spec.topology_spread_constraints[0].match_label_keys = {"version"};
  ExpectOk(both_in_a);  // one pod per version: 1-0 each
}

TEST_F(SpreadTest, RejectsAnOwnerOnANodeWithoutTheKey) {
  Pods(1, Spread("example.com/rack", 1, {{"app", "web"}}));
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "test-a", {"default/web-0"})})),
              HasSubstr("pod default/web-0 (on nodeclaim default-aaaaa): topology spread on "
                        "example.com/rack: the node has no value for the key"));
}

TEST_F(SpreadTest, TakesAnInflightNodeClaimsZoneFromItsRequirements) {
  api::NodeClaim nc;
  nc.metadata.name = "default-abcde";
  nc.metadata.labels = {{"karpenter.sh/nodepool", "default"}};
  nc.spec.requirements = {Req("kubernetes.io/arch", "In", {"amd64"}), Req(kZone, "In", {"test-a"})};
  nc.status.allocatable = {{"cpu", Cpu(8)}, {"memory", Gi(16)}, {"pods", Quantity::FromUnits(110)}};
  nc.status.capacity = nc.status.allocatable;
  snap_.node_claims = {nc};
  Pods(2, Spread(kZone, 1, {{"app", "web"}}));
  solver::Plan both = PlanOf({}, {{"default-abcde", true, {"default/web-0", "default/web-1"}}});
  EXPECT_THAT(Violation(both),
              HasSubstr("pod default/web-1 (on in-flight nodeclaim default-abcde): topology spread "
                        "on topology.kubernetes.io/zone (maxSkew 1, {app=web} in namespaces "
                        "default) violated in domain test-a"));
  // With its zone not known yet, the placement cannot be judged.
  snap_.node_claims[0].spec.requirements.pop_back();
  ExpectOk(both);
}

TEST_F(SpreadTest, OwnersThatDoNotMatchTheirSelectorDoNotCount) {
  Pods(3, Spread(kZone, 1, {{"app", "other"}}));
  ExpectOk(PlanOf(
      {Claim("default-aaaaa", "test-a", {"default/web-0", "default/web-1", "default/web-2"})}));
}

}  // namespace
}  // namespace joinery::testing

// ---- Volumes: zones, attach limits, unresolvable claims ----
//
// Plans built by hand (TopologyCheckTest's helpers) pin the rules; the last tests solve snapshots
// with volumes and check that Solve's plans pass. The catalog's types are offered in us-east-1a,
// -1b and -1c; claims launch "medium" unless told otherwise.

namespace joinery::testing {
namespace {

api::Pod WithClaim(api::Pod p, std::string claim, std::string volume = "data") {
  p.spec.volumes.push_back(ClaimVolume(std::move(volume), std::move(claim)));
  return p;
}

class VolumeCheckTest : public TopologyCheckTest {
 protected:
  VolumeCheckTest() {
    for (auto& t : types_) {
      t.offerings.clear();
      for (std::string zone : {"us-east-1a", "us-east-1b", "us-east-1c"}) {
        cloudprovider::Offering od;
        od.zone = zone;
        od.capacity_type = "on-demand";
        od.price = t.name == "small" ? 0.10 : t.name == "medium" ? 0.20 : 0.40;
        t.offerings.push_back(od);
      }
    }
    SetTypes(types_);
    snap_.storage_classes = {
        MakeStorageClass("gp3", "WaitForFirstConsumer"),
        MakeStorageClass("gp3-c", "WaitForFirstConsumer", {"us-east-1c"}, kEbsZoneLabel)};
  }

  // One pending pod "db" whose claim db-data is bound to an EBS volume in us-east-1b.
  void BoundPod() {
    snap_.persistent_volumes = {MakeZonalEbsPv("pv-db", "us-east-1b")};
    snap_.persistent_volume_claims = {MakePvc("db-data", "gp3", "pv-db")};
    snap_.pods = {WithClaim(MakePod("db", 1), "db-data")};
  }

  // node-1 in us-east-1a, whose CSINode allows `count` EBS volumes, running "old" with the EBS
  // claim old-data (bound in us-east-1a); unbound gp3 claims logs-data and more-data.
  void NodeWithOneVolume(std::optional<int32_t> count) {
    snap_.persistent_volumes = {MakeZonalEbsPv("pv-old", "us-east-1a")};
    snap_.persistent_volume_claims = {MakePvc("old-data", "gp3", "pv-old"), MakePvc("logs-data", "gp3"),
                                      MakePvc("more-data", "gp3")};
    snap_.nodes = {Node("node-1", "us-east-1a", {WithClaim(MakePod("old", 1), "old-data")})};
    snap_.csi_nodes = {MakeCSINode("node-1", kEbsDriver, count)};
  }

  // Solves the snapshot (the plan must pass the checker) and returns where `pod` went: a
  // NodeClaim's zone, an existing placement's name, or "unschedulable".
  std::string WhereSolved(const solver::Plan& plan, const std::string& pod) {
    for (const auto& nc : plan.node_claims) {
      for (const auto& p : nc.pods) {
        if (p == pod) return nc.launch.zone;
      }
    }
    for (const auto& e : plan.existing_nodes) {
      for (const auto& p : e.pods) {
        if (p == pod) return e.name;
      }
    }
    for (const auto& u : plan.unschedulable) {
      if (u.pod == pod) return "unschedulable";
    }
    return "missing";
  }
};

// -- Zones --

TEST_F(VolumeCheckTest, AcceptsAPodInItsBoundVolumesZone) {
  BoundPod();
  ExpectOk(PlanOf({Claim("default-aaaaa", "us-east-1b", {"default/db"})}));
}

TEST_F(VolumeCheckTest, RejectsAPodOutsideItsBoundVolumesZone) {
  BoundPod();
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "us-east-1a", {"default/db"})})),
              HasSubstr("nodeclaim default-aaaaa (nodepool default): pod default/db: volume data "
                        "(claim default/db-data, persistentvolume pv-db) node affinity does not "
                        "hold: label topology.kubernetes.io/zone=us-east-1a does not satisfy "
                        "topology.kubernetes.io/zone In [us-east-1b]"));
}

TEST_F(VolumeCheckTest, NormalizesTheEbsDriversZoneKey) {
  BoundPod();
  snap_.persistent_volumes = {MakeZonalEbsPv("pv-db", "us-east-1b", kEbsZoneLabel)};
  ExpectOk(PlanOf({Claim("default-aaaaa", "us-east-1b", {"default/db"})}));
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "us-east-1c", {"default/db"})})),
              HasSubstr("persistentvolume pv-db) node affinity does not hold"));
}

TEST_F(VolumeCheckTest, AcceptsAnyOfTheVolumesNodeAffinityTerms) {
  BoundPod();
  api::PersistentVolume pv = MakeZonalEbsPv("pv-db", "us-east-1b");
  pv.spec.node_affinity->push_back(
      {.match_expressions = {Req("topology.kubernetes.io/zone", "In", {"us-east-1c"})},
       .match_fields = {}});
  snap_.persistent_volumes = {pv};
  ExpectOk(PlanOf({Claim("default-aaaaa", "us-east-1c", {"default/db"})}));
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "us-east-1a", {"default/db"})})),
              HasSubstr("does not satisfy topology.kubernetes.io/zone In [us-east-1b]; label "
                        "topology.kubernetes.io/zone=us-east-1a does not satisfy "
                        "topology.kubernetes.io/zone In [us-east-1c]"));
}

TEST_F(VolumeCheckTest, RejectsAnExistingNodeOutsideTheVolumesZone) {
  BoundPod();
  snap_.nodes = {Node("node-1", "us-east-1a", {})};
  EXPECT_THAT(Violation(PlanOf({}, {{"node-1", false, {"default/db"}}})),
              HasSubstr("existing node node-1: pod default/db: volume data (claim "
                        "default/db-data, persistentvolume pv-db) node affinity does not hold"));
  snap_.nodes = {Node("node-1", "us-east-1b", {})};
  ExpectOk(PlanOf({}, {{"node-1", false, {"default/db"}}}));
}

TEST_F(VolumeCheckTest, RejectsAnInflightNodeClaimOutsideTheVolumesZone) {
  BoundPod();
  api::NodeClaim nc;
  nc.metadata.name = "default-infl1";
  nc.metadata.labels = {{"karpenter.sh/nodepool", "default"}};
  nc.spec.requirements = {Req("kubernetes.io/arch", "In", {"amd64"}),
                          Req("topology.kubernetes.io/zone", "In", {"us-east-1a"})};
  nc.status.allocatable = {{"cpu", Cpu(8)}, {"memory", Gi(16)}, {"pods", Quantity::FromUnits(110)}};
  snap_.node_claims = {nc};
  EXPECT_THAT(Violation(PlanOf({}, {{"default-infl1", true, {"default/db"}}})),
              HasSubstr("in-flight nodeclaim default-infl1: pod default/db: volume data (claim "
                        "default/db-data, persistentvolume pv-db) node affinity does not hold"));
  snap_.node_claims[0].spec.requirements[1].values = {"us-east-1a", "us-east-1b"};
  ExpectOk(PlanOf({}, {{"default-infl1", true, {"default/db"}}}));
}

TEST_F(VolumeCheckTest, RejectsAPodOutsideItsStorageClassesAllowedTopologies) {
  snap_.persistent_volume_claims = {MakePvc("cache-data", "gp3-c")};
  snap_.pods = {WithClaim(MakePod("cache", 1), "cache-data")};
  ExpectOk(PlanOf({Claim("default-aaaaa", "us-east-1c", {"default/cache"})}));
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "us-east-1a", {"default/cache"})})),
              HasSubstr("pod default/cache: volume data (claim default/cache-data, storageclass "
                        "gp3-c) allowedTopologies does not hold: label topology.kubernetes.io/"
                        "zone=us-east-1a does not satisfy topology.kubernetes.io/zone In "
                        "[us-east-1c]"));
}

TEST_F(VolumeCheckTest, AClaimWithoutAClassUsesTheDefaultClassesAllowedTopologies) {
  snap_.storage_classes[1].metadata.annotations = {
      {"storageclass.kubernetes.io/is-default-class", "true"}};
  snap_.persistent_volume_claims = {MakePvc("cache-data", std::nullopt)};
  snap_.pods = {WithClaim(MakePod("cache", 1), "cache-data")};
  ExpectOk(PlanOf({Claim("default-aaaaa", "us-east-1c", {"default/cache"})}));
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "us-east-1b", {"default/cache"})})),
              HasSubstr("storageclass gp3-c) allowedTopologies does not hold"));
}

TEST_F(VolumeCheckTest, AnUnboundClaimWithoutAllowedTopologiesGoesAnywhere) {
  snap_.persistent_volume_claims = {MakePvc("logs-data", "gp3")};
  snap_.pods = {WithClaim(MakePod("logs", 1), "logs-data")};
  for (std::string zone : {"us-east-1a", "us-east-1b", "us-east-1c"}) {
    ExpectOk(PlanOf({Claim("default-aaaaa", zone, {"default/logs"})}));
  }
}

// A local volume pins its pod to the volume's host: on a Node, the hostname is checked; a new
// NodeClaim's hostname is not known when planning, so there it is not.
TEST_F(VolumeCheckTest, ChecksALocalVolumesHostOnExistingNodes) {
  api::PersistentVolume pv;
  pv.metadata.name = "pv-local";
  pv.spec.local = true;
  pv.spec.node_affinity = std::vector<api::NodeSelectorTerm>{
      {.match_expressions = {Req("kubernetes.io/hostname", "In", {"node-2"})}, .match_fields = {}}};
  snap_.persistent_volumes = {pv};
  snap_.persistent_volume_claims = {MakePvc("local-data", "", "pv-local")};
  snap_.nodes = {Node("node-1", "us-east-1a", {}), Node("node-2", "us-east-1a", {})};
  snap_.pods = {WithClaim(MakePod("db", 1), "local-data")};
  ExpectOk(PlanOf({}, {{"node-2", false, {"default/db"}}}));
  EXPECT_THAT(Violation(PlanOf({}, {{"node-1", false, {"default/db"}}})),
              HasSubstr("existing node node-1: pod default/db: volume data (claim "
                        "default/local-data, persistentvolume pv-local) node affinity does not "
                        "hold: label kubernetes.io/hostname=node-1 does not satisfy "
                        "kubernetes.io/hostname In [node-2]"));
  ExpectOk(PlanOf({Claim("default-aaaaa", "us-east-1a", {"default/db"})}));
}

// -- Attach limits --

TEST_F(VolumeCheckTest, RejectsASecondVolumeOnAnExistingNodeWithRoomForOne) {
  NodeWithOneVolume(1);
  snap_.pods = {WithClaim(MakePod("logs", 1), "logs-data")};
  EXPECT_THAT(Violation(PlanOf({}, {{"node-1", false, {"default/logs"}}})),
              HasSubstr("existing node node-1: pod default/logs: attach limit exceeded, 2 unique "
                        "ebs.csi.aws.com volumes (default/logs-data, default/old-data) > 1 "
                        "(CSINode node-1 allocatable.count)"));
}

TEST_F(VolumeCheckTest, CountsASharedClaimOnce) {
  NodeWithOneVolume(1);
  snap_.pods = {WithClaim(MakePod("reader", 1), "old-data"),
                WithClaim(MakePod("reader-2", 1), "old-data")};
  ExpectOk(PlanOf({}, {{"node-1", false, {"default/reader", "default/reader-2"}}}));
}

TEST_F(VolumeCheckTest, CountsTwoPendingPodsSharingANewClaimOnce) {
  NodeWithOneVolume(2);
  snap_.pods = {WithClaim(MakePod("a", 1), "logs-data"), WithClaim(MakePod("b", 1), "logs-data")};
  ExpectOk(PlanOf({}, {{"node-1", false, {"default/a", "default/b"}}}));
  snap_.pods[1] = WithClaim(MakePod("b", 1), "more-data");
  EXPECT_THAT(Violation(PlanOf({}, {{"node-1", false, {"default/a", "default/b"}}})),
              HasSubstr("pod default/b: attach limit exceeded, 3 unique ebs.csi.aws.com volumes"));
}

TEST_F(VolumeCheckTest, ADriverWithoutACountIsUnlimited) {
  NodeWithOneVolume(std::nullopt);
  snap_.pods = {WithClaim(MakePod("logs", 1), "logs-data")};
  ExpectOk(PlanOf({}, {{"node-1", false, {"default/logs"}}}));
  snap_.csi_nodes.clear();  // no CSINode at all
  ExpectOk(PlanOf({}, {{"node-1", false, {"default/logs"}}}));
}

TEST_F(VolumeCheckTest, AFinishedPodsVolumeIsNotCounted) {
  NodeWithOneVolume(1);
  snap_.nodes[0].pods[0].status.phase = "Succeeded";
  snap_.pods = {WithClaim(MakePod("logs", 1), "logs-data")};
  ExpectOk(PlanOf({}, {{"node-1", false, {"default/logs"}}}));
}

TEST_F(VolumeCheckTest, APodWithoutNewVolumesIsNotRefusedByTheLimit) {
  NodeWithOneVolume(0);  // the CSINode's count dropped below what is attached
  snap_.pods = {MakePod("plain", 1), WithClaim(MakePod("reader", 1), "old-data")};
  ExpectOk(PlanOf({}, {{"node-1", false, {"default/plain", "default/reader"}}}));
}

TEST_F(VolumeCheckTest, RejectsANewNodeClaimBeyondItsInstanceTypesEbsLimit) {
  for (auto& t : types_) t.ebs_volume_limit = 1;
  SetTypes(types_);
  snap_.persistent_volume_claims = {MakePvc("logs-data", "gp3"), MakePvc("more-data", "gp3")};
  snap_.pods = {WithClaim(MakePod("a", 1), "logs-data"), WithClaim(MakePod("b", 1), "more-data")};
  ExpectOk(PlanOf({Claim("default-aaaaa", "us-east-1a", {"default/a"}),
                   Claim("default-bbbbb", "us-east-1a", {"default/b"})}));
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "us-east-1a", {"default/a", "default/b"})})),
              HasSubstr("nodeclaim default-aaaaa (nodepool default): pod default/b: attach limit "
                        "exceeded, 2 unique ebs.csi.aws.com volumes (default/logs-data, "
                        "default/more-data) > 1 (instance type medium)"));
}

TEST_F(VolumeCheckTest, RejectsAnInstanceTypeOptionBelowTheNodeClaimsVolumes) {
  for (auto& t : types_) t.ebs_volume_limit = t.name == "large" ? 2 : 1;
  SetTypes(types_);
  snap_.persistent_volume_claims = {MakePvc("logs-data", "gp3"), MakePvc("more-data", "gp3")};
  snap_.pods = {WithClaim(MakePod("a", 1), "logs-data"), WithClaim(MakePod("b", 1), "more-data")};
  solver::PlannedNodeClaim nc =
      Claim("default-aaaaa", "us-east-1a", {"default/a", "default/b"}, "large");
  ExpectOk(PlanOf({nc}));
  nc.instance_type_options = {"large", "medium"};
  EXPECT_THAT(Violation(PlanOf({nc})),
              HasSubstr("nodeclaim default-aaaaa (nodepool default): option medium attaches at "
                        "most 1 ebs.csi.aws.com volumes, its pods use 2"));
}

// -- Unresolvable claims --

TEST_F(VolumeCheckTest, RejectsPlacingAPodWhoseClaimIsMissing) {
  snap_.pods = {WithClaim(MakePod("orphan", 1), "missing")};
  EXPECT_THAT(Violation(PlanOf({Claim("default-aaaaa", "us-east-1a", {"default/orphan"})})),
              HasSubstr("nodeclaim default-aaaaa (nodepool default): pod default/orphan is placed "
                        "although its volume claims cannot be resolved (such a pod is ignored): "
                        "getting persistent volume claim \"missing\""));
}

TEST_F(VolumeCheckTest, RejectsPlacingAPodWithAnUnboundImmediateClaim) {
  snap_.storage_classes.push_back(MakeStorageClass("io2", "Immediate"));
  snap_.persistent_volume_claims = {MakePvc("fast", "io2")};
  snap_.pods = {WithClaim(MakePod("db", 1), "fast")};
  snap_.nodes = {Node("node-1", "us-east-1a", {})};
  EXPECT_THAT(Violation(PlanOf({}, {{"node-1", false, {"default/db"}}})),
              HasSubstr("existing node node-1: pod default/db is placed although its volume "
                        "claims cannot be resolved (such a pod is ignored): failed to validate "
                        "pvc, pvc with immediate volume binding mode must be bound"));
}

// -- Solve's plans pass --

TEST_F(VolumeCheckTest, SolvedPlansWithVolumesPass) {
  snap_.persistent_volumes = {MakeZonalEbsPv("pv-old", "us-east-1a"), MakeZonalEbsPv("pv-db", "us-east-1b", kEbsZoneLabel)};
  snap_.persistent_volume_claims = {MakePvc("old-data", "gp3", "pv-old"),
                                    MakePvc("db-data", "gp3", "pv-db"), MakePvc("cache-data", "gp3-c"),
                                    MakePvc("logs-data", "gp3")};
  snap_.nodes = {Node("node-1", "us-east-1a", {WithClaim(MakePod("old", 1), "old-data")})};
  snap_.csi_nodes = {MakeCSINode("node-1", kEbsDriver, 1)};
  snap_.pods = {WithClaim(MakePod("db", 1), "db-data"),
                WithClaim(MakePod("cache", 1), "cache-data"),
                WithClaim(MakePod("logs", 1), "logs-data"),
                WithClaim(MakePod("reader", 1), "old-data"),
                MakePod("plain", 1),
                WithClaim(MakePod("orphan", 1), "missing")};
  solver::Plan plan = Solve();  // checks the plan
  EXPECT_EQ(WhereSolved(plan, "default/db"), "us-east-1b");
  EXPECT_EQ(WhereSolved(plan, "default/cache"), "us-east-1c");
  EXPECT_NE(WhereSolved(plan, "default/logs"), "node-1");
  EXPECT_NE(WhereSolved(plan, "default/logs"), "unschedulable");
  EXPECT_EQ(WhereSolved(plan, "default/reader"), "node-1");
  EXPECT_EQ(WhereSolved(plan, "default/plain"), "node-1");
  EXPECT_EQ(WhereSolved(plan, "default/orphan"), "unschedulable");
}

TEST_F(VolumeCheckTest, SolvedPlansWithinInstanceTypeLimitsPass) {
  for (auto& t : types_) t.ebs_volume_limit = t.name == "large" ? 3 : 1;
  NodeWithOneVolume(2);  // node-1 takes two EBS volumes, one already used
  for (int i = 0; i < 7; ++i) {
    snap_.persistent_volume_claims.push_back(MakePvc(StrCat("data-", i), "gp3"));
    api::Pod p = WithClaim(MakePod(StrCat("p", i), 0.1), StrCat("data-", i));
    // p0 and p1 also mount p6's claim: shared, it counts once per node.
    if (i < 2) p = WithClaim(std::move(p), "data-6", "shared");
    snap_.pods.push_back(std::move(p));
  }
  solver::Plan plan = Solve();  // checks the plan
  ASSERT_FALSE(plan.node_claims.empty());
  EXPECT_TRUE(plan.unschedulable.empty());
  ASSERT_EQ(plan.existing_nodes.size(), 1u);
  EXPECT_EQ(plan.existing_nodes[0].pods.size(), 1u);  // one more volume fits node-1
}

}  // namespace
}  // namespace joinery::testing
