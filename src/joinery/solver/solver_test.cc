// Unit tests of Solve on a small synthetic catalog, so that each expectation is easy to verify by
// hand.
#include "joinery/solver/solver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "joinery/api/labels.h"
#include "joinery/common/strings.h"
#include "joinery/testing/fixtures.h"
#include "joinery/testing/storage_fixtures.h"

namespace joinery::solver {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using testing::Cpu;
using testing::Gi;
using testing::MakeNodePool;
using testing::MakePod;
using testing::Req;

class SolverTest : public ::testing::Test {
 protected:
  SolverTest() {
    types_ = testing::SyntheticCatalog();
    snap_.node_pools = {
        MakeNodePool("default", {Req("karpenter.sh/capacity-type", "In", {"on-demand"}),
                                 Req("kubernetes.io/arch", "In", {"amd64"})})};
  }
  Plan Solve() {
    snap_.instance_types = std::make_shared<const cloudprovider::InstanceTypes>(types_);
    auto plan = solver::Solve(snap_);
    EXPECT_TRUE(plan.ok()) << plan.status();
    return plan.ok() ? *plan : Plan{};
  }
  cloudprovider::InstanceTypes types_;
  Snapshot snap_;
};

TEST_F(SolverTest, LaunchesCheapestTypeThatFits) {
  snap_.pods = {MakePod("a", 3)};
  Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_EQ(plan.node_claims[0].launch.instance_type, "medium");
  EXPECT_EQ(plan.node_claims[0].launch.capacity_type, "on-demand");
  EXPECT_EQ(plan.node_claims[0].launch.zone, "test-a");
  EXPECT_DOUBLE_EQ(plan.cost_per_hour, 0.20);
  EXPECT_THAT(plan.node_claims[0].instance_type_options, ElementsAre("medium", "large"));
}

TEST_F(SolverTest, PacksPodsOntoOneNodeClaimWhileATypeFitsThemAll) {
  snap_.pods = {MakePod("a", 2), MakePod("b", 2), MakePod("c", 2)};
  Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_EQ(plan.node_claims[0].launch.instance_type, "large");
  EXPECT_EQ(plan.node_claims[0].pods.size(), 3u);
}

TEST_F(SolverTest, PlacesLargestPodsFirst) {
  snap_.pods = {MakePod("tiny", 0.5), MakePod("big", 7), MakePod("mid", 1)};
  Plan plan = Solve();
  ASSERT_FALSE(plan.node_claims.empty());
  EXPECT_EQ(plan.node_claims[0].pods.front(), "default/big");
}

TEST_F(SolverTest, UsesExistingNodeBeforeCreatingANodeClaim) {
  ExistingNode n;
  n.node.metadata.name = "node-1";
  n.node.metadata.labels = {{"kubernetes.io/arch", "amd64"}};
  n.node.allocatable = {{"cpu", Cpu(4)}, {"memory", Gi(8)}, {"pods", Quantity::FromUnits(10)}};
  snap_.nodes = {n};
  snap_.pods = {MakePod("a", 3), MakePod("b", 3)};
  Plan plan = Solve();
  ASSERT_EQ(plan.existing_nodes.size(), 1u);
  EXPECT_THAT(plan.existing_nodes[0].pods, ElementsAre("default/a"));
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_THAT(plan.node_claims[0].pods, ElementsAre("default/b"));
}

TEST_F(SolverTest, NodeClaimNotLaunchedYetTakesPodsRequiringLabelsAllItsOptionsCarry) {
  // The provisioner's own NodeClaim, created but not launched: no well-known labels yet, only its
  // instance-type options and its zone. A pod requiring the architecture all its options have still
  // joins it (strictly compatible: the options promise the label); one requiring another zone gets
  // a NodeClaim of its own.
  api::NodeClaim nc;
  nc.metadata.name = "default-abcde";
  nc.metadata.labels = {{"karpenter.sh/nodepool", "default"}};
  nc.spec.requirements = {Req("node.kubernetes.io/instance-type", "In", {"large"}),
                          Req("topology.kubernetes.io/zone", "In", {"test-a"})};
  snap_.node_claims = {nc};
  api::Pod fits = MakePod("fits", 1);
  fits.spec.node_selector = {{"kubernetes.io/arch", "amd64"}};
  api::Pod elsewhere = MakePod("elsewhere", 1);
  elsewhere.spec.node_selector = {{"topology.kubernetes.io/zone", "test-b"}};
  snap_.pods = {fits, elsewhere};
  Plan plan = Solve();
  ASSERT_EQ(plan.existing_nodes.size(), 1u);
  EXPECT_EQ(plan.existing_nodes[0].name, "default-abcde");
  EXPECT_THAT(plan.existing_nodes[0].pods, ElementsAre("default/fits"));
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_THAT(plan.node_claims[0].pods, ElementsAre("default/elsewhere"));
}

TEST_F(SolverTest, NeverExceedsNodePoolLimits) {
  snap_.node_pools[0].limits = {{"cpu", Cpu(8)}};
  snap_.pods = {MakePod("a", 7), MakePod("b", 7)};
  Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  ASSERT_EQ(plan.unschedulable.size(), 1u);
  EXPECT_EQ(plan.unschedulable[0].reason,
            "all available instance types exceed limits for nodepool: \"default\"");
}

TEST_F(SolverTest, NodesLimitCountsNodeClaims) {
  snap_.node_pools[0].limits = {{"nodes", Quantity::FromUnits(1)}};
  snap_.pods = {MakePod("a", 7), MakePod("b", 7)};
  Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  ASSERT_EQ(plan.unschedulable.size(), 1u);
  EXPECT_THAT(plan.unschedulable[0].reason,
              HasSubstr("node limits have been exhausted for nodepool"));
}

TEST_F(SolverTest, HigherWeightNodePoolWins) {
  api::NodePool heavy =
      MakeNodePool("heavy", {Req("karpenter.sh/capacity-type", "In", {"on-demand"})});
  heavy.weight = 50;
  snap_.node_pools.push_back(heavy);
  snap_.pods = {MakePod("a", 1)};
  Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_EQ(plan.node_claims[0].node_pool, "heavy");
  EXPECT_EQ(plan.node_claims[0].launch.instance_type, "small");
}

TEST_F(SolverTest, FallsBackToLowerWeightPoolWhenHigherExcludesThePod) {
  api::NodePool heavy =
      MakeNodePool("heavy", {Req("node.kubernetes.io/instance-type", "In", {"small"})});
  heavy.weight = 50;
  snap_.node_pools.push_back(heavy);
  snap_.pods = {MakePod("a", 6)};
  Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_EQ(plan.node_claims[0].node_pool, "default");
}

TEST_F(SolverTest, ReportsUntoleratedTaint) {
  snap_.node_pools[0].template_.spec.taints = {
      {.key = "gpu", .value = "true", .effect = "NoSchedule"}};
  snap_.pods = {MakePod("a", 1)};
  Plan plan = Solve();
  EXPECT_THAT(plan.node_claims, IsEmpty());
  ASSERT_EQ(plan.unschedulable.size(), 1u);
  EXPECT_THAT(plan.unschedulable[0].reason,
              HasSubstr("did not tolerate taint=gpu=true:NoSchedule"));
}

TEST_F(SolverTest, PreferNoScheduleTaintIsRelaxed) {
  snap_.node_pools[0].template_.spec.taints = {
      {.key = "soft", .value = "", .effect = "PreferNoSchedule"}};
  snap_.pods = {MakePod("a", 1)};
  Plan plan = Solve();
  EXPECT_EQ(plan.node_claims.size(), 1u);
  EXPECT_THAT(plan.unschedulable, IsEmpty());
}

TEST_F(SolverTest, CustomLabelMustBeOfferedByTheNodePool) {
  api::Pod p = MakePod("a", 1);
  p.spec.node_selector = {{"team", "ml"}};
  snap_.pods = {p};
  Plan plan = Solve();
  ASSERT_EQ(plan.unschedulable.size(), 1u);
  EXPECT_THAT(plan.unschedulable[0].reason, HasSubstr("label \"team\" does not have known values"));

  snap_.node_pools[0].template_.labels = {{"team", "ml"}};
  plan = Solve();
  EXPECT_THAT(plan.unschedulable, IsEmpty());
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_EQ(plan.node_claims[0].labels.at("team"), "ml");
}

TEST_F(SolverTest, DaemonSetOverheadIsAddedToFitAndRequests) {
  api::DaemonSet ds;
  ds.metadata.name = "agent";
  api::Container c;
  c.name = "agent";
  c.resources.requests = {{"cpu", Cpu(1)}};
  ds.template_.spec.containers = {c};
  snap_.daemon_sets = {ds};
  snap_.pods = {MakePod("a", 3)};  // 3 cores + the daemon's 1 fill medium exactly
  Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_EQ(plan.node_claims[0].requests.at("cpu").milli(), 4000);
  EXPECT_EQ(plan.node_claims[0].requests.at("pods").value(), 2);  // the pod and the daemon
  snap_.pods = {MakePod("a", 3.5)};
  plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_EQ(plan.node_claims[0].launch.instance_type, "large");
}

TEST_F(SolverTest, SpotIsLaunchedWhenAllowedAndMarkedSimulated) {
  snap_.node_pools[0].template_.spec.requirements[0].values = {"on-demand", "spot"};
  snap_.pods = {MakePod("a", 1)};
  Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_EQ(plan.node_claims[0].launch.capacity_type, "spot");
  EXPECT_TRUE(plan.node_claims[0].launch.price_simulated);
  EXPECT_DOUBLE_EQ(plan.node_claims[0].launch.price, 0.05);
}

TEST_F(SolverTest, TruncatesInstanceTypeOptions) {
  snap_.options.max_instance_types = 1;
  snap_.pods = {MakePod("a", 1)};
  Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_THAT(plan.node_claims[0].instance_type_options, ElementsAre("small"));
}

TEST_F(SolverTest, NoInstanceTypeBigEnough) {
  snap_.pods = {MakePod("a", 64)};
  Plan plan = Solve();
  ASSERT_EQ(plan.unschedulable.size(), 1u);
  EXPECT_THAT(plan.unschedulable[0].reason, HasSubstr("no instance type has enough resources"));
}

TEST_F(SolverTest, RelaxesUnsatisfiablePreferredNodeAffinity) {
  api::Pod p = MakePod("a", 1);
  api::NodeAffinity na;
  na.preferred = {{.weight = 10,
                   .preference = {.match_expressions = {Req("kubernetes.io/arch", "In", {"arm64"})},
                                  .match_fields = {}}}};
  p.spec.affinity = api::Affinity{.node_affinity = na, .pod_affinity = {}, .pod_anti_affinity = {}};
  snap_.pods = {p};
  Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 1u);
  EXPECT_EQ(plan.node_claims[0].labels.at("kubernetes.io/arch"), "amd64");
}

TEST_F(SolverTest, NoNodePools) {
  snap_.node_pools.clear();
  snap_.pods = {MakePod("a", 1)};
  Plan plan = Solve();
  ASSERT_EQ(plan.unschedulable.size(), 1u);
  EXPECT_EQ(plan.unschedulable[0].reason, "no dynamic nodepools found");
}

TEST_F(SolverTest, SamePlanEveryTime) {
  for (int i = 0; i < 30; ++i)
    snap_.pods.push_back(MakePod(StrCat("p", i), 0.25 * (i % 7 + 1), i % 3 + 1));
  Plan a = Solve();
  Plan b = Solve();
  ASSERT_EQ(a.node_claims.size(), b.node_claims.size());
  for (size_t i = 0; i < a.node_claims.size(); ++i) {
    EXPECT_EQ(a.node_claims[i].name, b.node_claims[i].name);
    EXPECT_EQ(a.node_claims[i].pods, b.node_claims[i].pods);
    EXPECT_EQ(a.node_claims[i].launch.instance_type, b.node_claims[i].launch.instance_type);
  }
}

// A new node's EBS attach limit comes from its instance type: with a limit of 2 on "large" and
// 1 elsewhere, five small pods with one volume each need one NodeClaim per two volumes, and never
// a type whose limit the NodeClaim's volumes exceed.
TEST_F(SolverTest, NewNodeClaimsRespectTheInstanceTypesAttachLimit) {
  for (auto& t : types_) t.ebs_volume_limit = t.name == "large" ? 2 : 1;
  snap_.storage_classes = {testing::MakeStorageClass("gp3", "WaitForFirstConsumer")};
  for (int i = 0; i < 5; ++i) {
    snap_.persistent_volume_claims.push_back(testing::MakePvc(StrCat("data-", i), "gp3"));
    api::Pod p = MakePod(StrCat("p", i), 0.1);
    p.spec.volumes.push_back(testing::ClaimVolume("data", StrCat("data-", i)));
    snap_.pods.push_back(p);
  }
  Plan plan = Solve();
  ASSERT_EQ(plan.node_claims.size(), 3u);
  for (const auto& nc : plan.node_claims) {
    if (nc.pods.size() == 2) {
      EXPECT_EQ(nc.launch.instance_type, "large");
      EXPECT_THAT(nc.instance_type_options, ElementsAre("large"));
    } else {
      EXPECT_EQ(nc.pods.size(), 1u);
      EXPECT_EQ(nc.launch.instance_type, "small");
    }
  }
}

// A pod whose claim does not exist is not provisioned for, with Karpenter's reason.
TEST_F(SolverTest, IgnoresPodsWithMissingClaims) {
  api::Pod p = MakePod("orphan", 1);
  api::Volume v;
  v.name = "data";
  v.pvc_claim_name = "missing";
  p.spec.volumes.push_back(v);
  snap_.pods = {p};
  Plan plan = Solve();
  EXPECT_THAT(plan.node_claims, IsEmpty());
  ASSERT_EQ(plan.unschedulable.size(), 1u);
  EXPECT_THAT(plan.unschedulable[0].reason, HasSubstr("persistentvolumeclaims \"missing\" not found"));
}

}  // namespace
}  // namespace joinery::solver
