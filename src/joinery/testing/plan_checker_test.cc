// Tests of the plan checker: plans computed by Solve pass, and each kind of broken plan (or a
// snapshot changed behind the plan's back) is caught with a message naming the rule.
#include "joinery/testing/plan_checker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "joinery/api/labels.h"
#include "joinery/common/strings.h"
#include "joinery/testing/fixtures.h"

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
