#include "joinery/api/defaults.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "joinery/api/decode.h"

namespace joinery::api {
namespace {

NodePool MinimalNodePool() {
  NodePool np;
  np.metadata.name = "default";
  np.template_.spec.node_class_ref = {
      .group = "karpenter.k8s.aws", .kind = "EC2NodeClass", .name = "default"};
  return np;
}

TEST(ApplyDefaults, FillsTenPercentBudgetWhenNoneGiven) {
  Manifests m;
  m.node_pools.push_back(MinimalNodePool());
  ApplyDefaults(m);
  ASSERT_EQ(m.node_pools[0].disruption.budgets.size(), 1u);
  const Budget& b = m.node_pools[0].disruption.budgets[0];
  EXPECT_EQ(b.nodes, "10%");
  EXPECT_TRUE(b.reasons.empty());
  EXPECT_FALSE(b.schedule.has_value());
  EXPECT_FALSE(b.duration.has_value());
}

TEST(ApplyDefaults, KeepsGivenBudgets) {
  Manifests m;
  m.node_pools.push_back(MinimalNodePool());
  Budget b;
  b.nodes = "0";
  m.node_pools[0].disruption.budgets = {b};
  ApplyDefaults(m);
  ASSERT_EQ(m.node_pools[0].disruption.budgets.size(), 1u);
  EXPECT_EQ(m.node_pools[0].disruption.budgets[0].nodes, "0");
}

TEST(ApplyDefaults, NodePoolDisruptionAndExpiryDefaultsComeFromDecode) {
  Manifests m;
  ASSERT_TRUE(DecodeDocuments(R"(
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  template:
    spec:
      requirements: []
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
)",
                              "np.yaml", m)
                  .ok());
  ApplyDefaults(m);
  const NodePool& np = m.node_pools[0];
  EXPECT_EQ(np.disruption.consolidation_policy, "WhenEmptyOrUnderutilized");
  EXPECT_EQ(np.disruption.consolidate_after, (Duration{0, "0s"}));
  EXPECT_EQ(np.template_.spec.expire_after, (Duration{720 * 3600, "720h"}));
  ASSERT_EQ(np.disruption.budgets.size(), 1u);
  EXPECT_EQ(np.disruption.budgets[0].nodes, "10%");
  EXPECT_EQ(np.EffectiveWeight(), 0);
}

TEST(ApplyDefaults, NormalizesDeprecatedNodePoolLabelKeys) {
  Manifests m;
  NodePool np = MinimalNodePool();
  np.template_.spec.requirements = {
      {.key = "failure-domain.beta.kubernetes.io/zone", .operator_ = "In", .values = {"a"}},
      {.key = "beta.kubernetes.io/arch", .operator_ = "In", .values = {"arm64"}},
      {.key = "example.com/team", .operator_ = "Exists"}};
  np.template_.labels = {{"beta.kubernetes.io/os", "linux"}, {"team", "a"}};
  m.node_pools.push_back(np);
  ApplyDefaults(m);
  const NodePool& out = m.node_pools[0];
  EXPECT_EQ(out.template_.spec.requirements[0].key, "topology.kubernetes.io/zone");
  EXPECT_EQ(out.template_.spec.requirements[1].key, "kubernetes.io/arch");
  EXPECT_EQ(out.template_.spec.requirements[2].key, "example.com/team");
  EXPECT_EQ(out.template_.labels.at("kubernetes.io/os"), "linux");
  EXPECT_FALSE(out.template_.labels.contains("beta.kubernetes.io/os"));
  EXPECT_EQ(out.template_.labels.at("team"), "a");
}

TEST(ApplyDefaults, CurrentLabelKeyWinsOverDeprecatedAlias) {
  Manifests m;
  NodePool np = MinimalNodePool();
  np.template_.labels = {{"beta.kubernetes.io/arch", "amd64"}, {"kubernetes.io/arch", "arm64"}};
  m.node_pools.push_back(np);
  ApplyDefaults(m);
  EXPECT_EQ(m.node_pools[0].template_.labels.size(), 1u);
  EXPECT_EQ(m.node_pools[0].template_.labels.at("kubernetes.io/arch"), "arm64");
}

TEST(ApplyDefaults, NormalizesNodeClaimRequirementKeys) {
  Manifests m;
  NodeClaim nc;
  nc.spec.requirements = {{.key = "beta.kubernetes.io/instance-type", .operator_ = "Exists"}};
  m.node_claims.push_back(nc);
  ApplyDefaults(m);
  EXPECT_EQ(m.node_claims[0].spec.requirements[0].key, "node.kubernetes.io/instance-type");
}

TEST(ApplyDefaults, NamespacedObjectsGetDefaultNamespace) {
  Manifests m;
  m.pods.emplace_back();
  m.deployments.emplace_back();
  m.replica_sets.emplace_back();
  m.stateful_sets.emplace_back();
  m.jobs.emplace_back();
  m.daemon_sets.emplace_back();
  m.pod_disruption_budgets.emplace_back();
  Pod explicit_ns;
  explicit_ns.metadata.namespace_ = "shop";
  m.pods.push_back(explicit_ns);
  ApplyDefaults(m);
  EXPECT_EQ(m.pods[0].metadata.namespace_, "default");
  EXPECT_EQ(m.pods[1].metadata.namespace_, "shop");
  EXPECT_EQ(m.deployments[0].metadata.namespace_, "default");
  EXPECT_EQ(m.replica_sets[0].metadata.namespace_, "default");
  EXPECT_EQ(m.stateful_sets[0].metadata.namespace_, "default");
  EXPECT_EQ(m.jobs[0].metadata.namespace_, "default");
  EXPECT_EQ(m.daemon_sets[0].metadata.namespace_, "default");
  EXPECT_EQ(m.pod_disruption_budgets[0].metadata.namespace_, "default");
}

TEST(ApplyDefaults, ClusterScopedObjectsStayWithoutNamespace) {
  Manifests m;
  m.node_pools.push_back(MinimalNodePool());
  m.node_claims.emplace_back();
  m.node_classes.emplace_back();
  m.nodes.emplace_back();
  ApplyDefaults(m);
  EXPECT_EQ(m.node_pools[0].metadata.namespace_, "");
  EXPECT_EQ(m.node_claims[0].metadata.namespace_, "");
  EXPECT_EQ(m.node_classes[0].metadata.namespace_, "");
  EXPECT_EQ(m.nodes[0].metadata.namespace_, "");
}

PodSpec SpecNeedingDefaults() {
  PodSpec s;
  Container c;
  c.ports = {{.container_port = 80}, {.container_port = 53, .protocol = "UDP"}};
  s.containers = {c};
  s.init_containers = {c};
  s.tolerations = {{.key = "a", .value = "b"}, {.key = "c", .operator_ = "Exists"}};
  TopologySpreadConstraint tsc;
  tsc.topology_key = "topology.kubernetes.io/zone";
  TopologySpreadConstraint explicit_tsc = tsc;
  explicit_tsc.when_unsatisfiable = "ScheduleAnyway";
  explicit_tsc.node_affinity_policy = "Ignore";
  explicit_tsc.node_taints_policy = "Honor";
  s.topology_spread_constraints = {tsc, explicit_tsc};
  return s;
}

void ExpectPodSpecDefaults(const PodSpec& s) {
  EXPECT_EQ(s.containers[0].ports[0].protocol, "TCP");
  EXPECT_EQ(s.containers[0].ports[1].protocol, "UDP");
  EXPECT_EQ(s.init_containers[0].ports[0].protocol, "TCP");
  EXPECT_EQ(s.tolerations[0].operator_, "Equal");
  EXPECT_EQ(s.tolerations[1].operator_, "Exists");
  const TopologySpreadConstraint& d = s.topology_spread_constraints[0];
  EXPECT_EQ(d.when_unsatisfiable, "DoNotSchedule");
  EXPECT_EQ(d.node_affinity_policy, "Honor");
  EXPECT_EQ(d.node_taints_policy, "Ignore");
  const TopologySpreadConstraint& e = s.topology_spread_constraints[1];
  EXPECT_EQ(e.when_unsatisfiable, "ScheduleAnyway");
  EXPECT_EQ(e.node_affinity_policy, "Ignore");
  EXPECT_EQ(e.node_taints_policy, "Honor");
}

TEST(ApplyDefaults, PodSpecDefaultsInPodsAndEveryTemplate) {
  Manifests m;
  Pod p;
  p.spec = SpecNeedingDefaults();
  m.pods.push_back(p);
  Deployment d;
  d.template_.spec = SpecNeedingDefaults();
  m.deployments.push_back(d);
  ReplicaSet rs;
  rs.template_.spec = SpecNeedingDefaults();
  m.replica_sets.push_back(rs);
  StatefulSet ss;
  ss.template_.spec = SpecNeedingDefaults();
  m.stateful_sets.push_back(ss);
  Job j;
  j.template_.spec = SpecNeedingDefaults();
  m.jobs.push_back(j);
  DaemonSet ds;
  ds.template_.spec = SpecNeedingDefaults();
  m.daemon_sets.push_back(ds);
  ApplyDefaults(m);
  ExpectPodSpecDefaults(m.pods[0].spec);
  ExpectPodSpecDefaults(m.deployments[0].template_.spec);
  ExpectPodSpecDefaults(m.replica_sets[0].template_.spec);
  ExpectPodSpecDefaults(m.stateful_sets[0].template_.spec);
  ExpectPodSpecDefaults(m.jobs[0].template_.spec);
  ExpectPodSpecDefaults(m.daemon_sets[0].template_.spec);
}

TEST(ApplyDefaults, InfersAmiFamilyFromAlias) {
  struct Case {
    std::string alias;
    std::string family;
  };
  for (const Case& c :
       {Case{"al2023@latest", "AL2023"}, Case{"al2@v20240807", "AL2"},
        Case{"bottlerocket@1.20.0", "Bottlerocket"}, Case{"windows2019@latest", "Windows2019"},
        Case{"windows2022@latest", "Windows2022"}, Case{"windows2025@latest", "Windows2025"},
        Case{"centos@latest", ""}}) {
    Manifests m;
    EC2NodeClass nc;
    nc.ami_selector_terms = {{.alias = c.alias}};
    m.node_classes.push_back(nc);
    ApplyDefaults(m);
    EXPECT_EQ(m.node_classes[0].ami_family, c.family) << c.alias;
  }
}

TEST(ApplyDefaults, KeepsExplicitAmiFamily) {
  Manifests m;
  EC2NodeClass nc;
  nc.ami_family = "Custom";
  nc.ami_selector_terms = {{.alias = "al2023@latest"}};
  m.node_classes.push_back(nc);
  EC2NodeClass by_id;
  by_id.ami_selector_terms = {{.id = "ami-123"}};
  m.node_classes.push_back(by_id);
  ApplyDefaults(m);
  EXPECT_EQ(m.node_classes[0].ami_family, "Custom");
  EXPECT_EQ(m.node_classes[1].ami_family, "");
}

TEST(ApplyDefaults, MetadataOptionsDefaultsAreInTheType) {
  EC2NodeClass nc;
  EXPECT_EQ(nc.metadata_options.http_endpoint, "enabled");
  EXPECT_EQ(nc.metadata_options.http_protocol_ipv6, "disabled");
  EXPECT_EQ(nc.metadata_options.http_put_response_hop_limit, 1);
  EXPECT_EQ(nc.metadata_options.http_tokens, "required");
}

TEST(ApplyDefaults, IsIdempotent) {
  Manifests m;
  m.node_pools.push_back(MinimalNodePool());
  Pod p;
  p.spec = SpecNeedingDefaults();
  m.pods.push_back(p);
  ApplyDefaults(m);
  Manifests once = m;
  ApplyDefaults(m);
  EXPECT_EQ(m.node_pools[0].disruption.budgets.size(),
            once.node_pools[0].disruption.budgets.size());
  EXPECT_EQ(m.pods[0].metadata.namespace_, once.pods[0].metadata.namespace_);
  EXPECT_EQ(m.pods[0].spec.tolerations[0].operator_, "Equal");
}

}  // namespace
}  // namespace joinery::api
