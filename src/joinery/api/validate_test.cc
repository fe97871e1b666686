#include "joinery/api/validate.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace joinery::api {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

// ---- Fixtures: valid objects; each test breaks one thing ----

NodePool ValidNodePool() {
  NodePool np;
  np.metadata.name = "default";
  np.source.file = "np.yaml";
  np.template_.labels = {{"team", "a"}, {"karpenter.sh/capacity-type", "spot"}};
  np.template_.spec.requirements = {
      {.key = "karpenter.sh/capacity-type", .operator_ = "In", .values = {"spot", "on-demand"}},
      {.key = "karpenter.k8s.aws/instance-category",
       .operator_ = "In",
       .values = {"c", "m", "r"},
       .min_values = 2},
      {.key = "karpenter.k8s.aws/instance-generation", .operator_ = "Gt", .values = {"2"}},
      {.key = "example.com/team", .operator_ = "Exists"}};
  np.template_.spec.taints = {{.key = "example.com/gpu", .value = "true", .effect = "NoSchedule"}};
  np.template_.spec.startup_taints = {{.key = "example.com/init", .effect = "NoExecute"}};
  np.template_.spec.node_class_ref = {
      .group = "karpenter.k8s.aws", .kind = "EC2NodeClass", .name = "default"};
  np.disruption.budgets = {Budget{}};
  np.limits = {{"cpu", Quantity::FromUnits(100)}};
  np.weight = 10;
  return np;
}

std::string NodePoolError(const NodePool& np) {
  absl::Status s = ValidateNodePool(np);
  EXPECT_FALSE(s.ok()) << "NodePool unexpectedly valid";
  if (!s.ok()) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  }
  return Msg(s);
}

EC2NodeClass ValidNodeClass() {
  EC2NodeClass nc;
  nc.metadata.name = "default";
  nc.source.file = "nc.yaml";
  nc.role = "KarpenterNodeRole";
  nc.ami_selector_terms = {{.alias = "al2023@latest"}};
  nc.ami_family = "AL2023";
  nc.subnet_selector_terms = {{.tags = {{"karpenter.sh/discovery", "demo"}}}};
  nc.security_group_selector_terms = {{.tags = {{"karpenter.sh/discovery", "demo"}}}};
  return nc;
}

std::string NodeClassError(const EC2NodeClass& nc) {
  absl::Status s = ValidateEC2NodeClass(nc);
  EXPECT_FALSE(s.ok()) << "EC2NodeClass unexpectedly valid";
  return Msg(s);
}

Pod ValidPod() {
  Pod p;
  p.metadata.name = "web";
  p.metadata.namespace_ = "shop";
  p.metadata.labels = {{"app", "web"}};
  p.source.file = "pod.yaml";
  Container c;
  c.name = "app";
  c.resources.requests = {{"cpu", Quantity::FromMilli(500)}, {"memory", Quantity::FromUnits(1)}};
  c.resources.limits = {{"cpu", Quantity::FromUnits(1)}};
  c.ports = {{.container_port = 80, .protocol = "TCP"}};
  p.spec.containers = {c};
  p.spec.node_selector = {{"kubernetes.io/arch", "arm64"}};
  p.spec.tolerations = {{.key = "a", .operator_ = "Equal", .value = "b", .effect = "NoSchedule"}};
  return p;
}

std::string PodError(const Pod& p) {
  absl::Status s = ValidatePod(p);
  EXPECT_FALSE(s.ok()) << "Pod unexpectedly valid";
  return Msg(s);
}

// ---- NodePool ----

TEST(ValidateNodePool, AcceptsAValidNodePool) {
  EXPECT_TRUE(ValidateNodePool(ValidNodePool()).ok()) << ValidateNodePool(ValidNodePool());
}

TEST(ValidateNodePool, ErrorsStartWithFileKindNameAndFieldPath) {
  NodePool np = ValidNodePool();
  np.weight = 0;
  EXPECT_EQ(NodePoolError(np),
            "np.yaml: NodePool/default: spec.weight: Invalid value: 0: should be greater than or "
            "equal to 1");
}

TEST(ValidateNodePool, WeightAtMost100) {
  NodePool np = ValidNodePool();
  np.weight = 101;
  EXPECT_THAT(NodePoolError(np), HasSubstr("spec.weight: Invalid value: 101: should be less than"));
  np.weight = 100;
  EXPECT_TRUE(ValidateNodePool(np).ok());
}

TEST(ValidateNodePool, ReportsEveryErrorOnItsOwnLine) {
  NodePool np = ValidNodePool();
  np.weight = 0;
  np.disruption.consolidation_policy = "Sometimes";
  std::string msg = NodePoolError(np);
  EXPECT_THAT(msg, HasSubstr("\nnp.yaml: NodePool/default: "));
  EXPECT_THAT(msg, HasSubstr("spec.weight"));
  EXPECT_THAT(msg, HasSubstr("spec.disruption.consolidationPolicy"));
}

TEST(ValidateNodePool, AtMost100Requirements) {
  NodePool np = ValidNodePool();
  np.template_.spec.requirements.resize(
      101, {.key = "example.com/x", .operator_ = "Exists", .values = {}});
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("spec.template.spec.requirements: Too many: 101: must have at most 100 "
                        "items"));
}

TEST(ValidateNodePool, RequirementKeyMustBeAQualifiedName) {
  NodePool np = ValidNodePool();
  np.template_.spec.requirements[3].key = "bad key!";
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("spec.template.spec.requirements[3].key: Invalid value: \"bad key!\": "
                        "name part must consist of alphanumeric characters"));
  np.template_.spec.requirements[3].key = "Example.com/x";
  EXPECT_THAT(NodePoolError(np), HasSubstr("prefix part a lowercase RFC 1123 subdomain"));
  np.template_.spec.requirements[3].key = "a/b/c";
  EXPECT_THAT(NodePoolError(np), HasSubstr("a qualified name must consist of"));
  np.template_.spec.requirements[3].key = "";
  EXPECT_THAT(NodePoolError(np), HasSubstr("requirements[3].key: Required value"));
}

TEST(ValidateNodePool, RequirementKeyAtMost316Characters) {
  NodePool np = ValidNodePool();
  np.template_.spec.requirements[3].key = std::string(252, 'a') + "/" + std::string(63, 'b');
  EXPECT_TRUE(ValidateNodePool(np).ok()) << ValidateNodePool(np);
  np.template_.spec.requirements[3].key = std::string(253, 'a') + "/" + std::string(63, 'b');
  EXPECT_THAT(NodePoolError(np), HasSubstr("Too long: may not be more than 316 bytes"));
}

TEST(ValidateNodePool, RestrictedLabelDomainsInRequirements) {
  NodePool np = ValidNodePool();
  np.template_.spec.requirements[3].key = "karpenter.sh/custom";
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("requirements[3].key: Invalid value: \"karpenter.sh/custom\": label "
                        "domain \"karpenter.sh\" is restricted"));
  np.template_.spec.requirements[3].key = "sub.karpenter.sh/custom";
  EXPECT_THAT(NodePoolError(np), HasSubstr("label domain \"karpenter.sh\" is restricted"));
  np.template_.spec.requirements[3].key = "karpenter.k8s.aws/custom";
  EXPECT_THAT(NodePoolError(np), HasSubstr("label domain \"karpenter.k8s.aws\" is restricted"));
  np.template_.spec.requirements[3].key = "kubernetes.io/hostname";
  EXPECT_THAT(NodePoolError(np), HasSubstr("label \"kubernetes.io/hostname\" is restricted"));
  np.template_.spec.requirements[3].key = "karpenter.sh/nodepool";
  EXPECT_THAT(NodePoolError(np), HasSubstr("label \"karpenter.sh/nodepool\" is restricted"));
}

TEST(ValidateNodePool, WellKnownLabelsAreAllowed) {
  NodePool np = ValidNodePool();
  for (const char* key : {"karpenter.sh/capacity-type", "karpenter.k8s.aws/instance-family",
                          "topology.kubernetes.io/zone", "node.kubernetes.io/instance-type",
                          "topology.k8s.aws/zone-id"}) {
    np.template_.spec.requirements[3].key = key;
    EXPECT_TRUE(ValidateNodePool(np).ok()) << key << ": " << ValidateNodePool(np);
  }
}

TEST(ValidateNodePool, OperatorMustBeSupported) {
  NodePool np = ValidNodePool();
  np.template_.spec.requirements[3].operator_ = "Foo";
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("requirements[3].operator: Unsupported value: \"Foo\": supported values: "
                        "\"In\", \"NotIn\", \"Exists\", \"DoesNotExist\", \"Gt\", \"Lt\", "
                        "\"Gte\", \"Lte\""));
  np.template_.spec.requirements[3].operator_ = "";
  EXPECT_THAT(NodePoolError(np), HasSubstr("requirements[3].operator: Required value"));
}

TEST(ValidateNodePool, InRequiresAValue) {
  NodePool np = ValidNodePool();
  np.template_.spec.requirements[3] = {.key = "example.com/team", .operator_ = "In"};
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("spec.template.spec.requirements[3]: Invalid value: \"object\": "
                        "requirements with operator 'In' must have a value defined"));
}

TEST(ValidateNodePool, ComparisonOperatorsNeedOneNonNegativeInteger) {
  constexpr std::string_view kMsg =
      "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value";
  NodePool np = ValidNodePool();
  for (const char* op : {"Gt", "Lt", "Gte", "Lte"}) {
    for (const std::vector<std::string>& values :
         {std::vector<std::string>{}, {"1", "2"}, {"a"}, {"-1"}, {"1.5"}}) {
      np.template_.spec.requirements[2] = {
          .key = "karpenter.k8s.aws/instance-cpu", .operator_ = op, .values = values};
      EXPECT_THAT(NodePoolError(np), HasSubstr(kMsg)) << op;
    }
    np.template_.spec.requirements[2].values = {"0"};
    EXPECT_TRUE(ValidateNodePool(np).ok()) << op;
  }
}

TEST(ValidateNodePool, MinValuesBetween1And50) {
  NodePool np = ValidNodePool();
  np.template_.spec.requirements[1].min_values = 0;
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("requirements[1].minValues: Invalid value: 0: should be greater than or "
                        "equal to 1"));
  np.template_.spec.requirements[1].min_values = 51;
  EXPECT_THAT(NodePoolError(np), HasSubstr("minValues: Invalid value: 51: should be less than"));
}

TEST(ValidateNodePool, MinValuesNeedsThatManyValuesForIn) {
  NodePool np = ValidNodePool();
  np.template_.spec.requirements[1].min_values = 4;
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("requirements[1]: Invalid value: \"object\": requirements with "
                        "'minValues' must have at least that many values specified in the "
                        "'values' field"));
  np.template_.spec.requirements[3].min_values = 4;  // Exists: not checked
  np.template_.spec.requirements[1].min_values = 3;
  EXPECT_TRUE(ValidateNodePool(np).ok()) << ValidateNodePool(np);
}

TEST(ValidateNodePool, RequirementValuesMustBeLabelValues) {
  NodePool np = ValidNodePool();
  np.template_.spec.requirements[1].values = {"c", "not valid", std::string(64, 'a')};
  std::string msg = NodePoolError(np);
  EXPECT_THAT(msg, HasSubstr("requirements[1].values[1]: Invalid value: \"not valid\": a valid "
                             "label must be an empty string or consist of"));
  EXPECT_THAT(msg, HasSubstr("requirements[1].values[2]: Invalid value: \"aaaa"));
  EXPECT_THAT(msg, HasSubstr("must be no more than 63 characters"));
}

TEST(ValidateNodePool, CapacityTypeRequirementNeedsAKnownValue) {
  NodePool np = ValidNodePool();
  np.template_.spec.requirements[0].values = {"preemptible"};
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("requirements[0].values: Invalid value: \"preemptible\": no known "
                        "capacity type"));
  np.template_.spec.requirements[0].values = {"preemptible", "spot"};
  EXPECT_TRUE(ValidateNodePool(np).ok());
  np.template_.spec.requirements[0] = {
      .key = "karpenter.sh/capacity-type", .operator_ = "NotIn", .values = {"preemptible"}};
  EXPECT_TRUE(ValidateNodePool(np).ok());
  np.template_.spec.requirements[0] = {
      .key = "karpenter.sh/capacity-type", .operator_ = "In", .values = {"reserved"}};
  EXPECT_TRUE(ValidateNodePool(np).ok());
}

TEST(ValidateNodePool, TemplateLabels) {
  NodePool np = ValidNodePool();
  np.template_.labels["karpenter.sh/custom"] = "x";
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("spec.template.metadata.labels: Invalid value: \"karpenter.sh/custom\": "
                        "label domain \"karpenter.sh\" is restricted"));
  np = ValidNodePool();
  np.template_.labels["kubernetes.io/hostname"] = "x";
  EXPECT_THAT(NodePoolError(np), HasSubstr("label \"kubernetes.io/hostname\" is restricted"));
  np = ValidNodePool();
  np.template_.labels["team"] = "has space";
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("spec.template.metadata.labels[team]: Invalid value: \"has space\""));
  np = ValidNodePool();
  for (int i = 0; i < 100; ++i) np.template_.labels["l" + std::to_string(i)] = "v";
  EXPECT_THAT(NodePoolError(np), HasSubstr("spec.template.metadata.labels: Too many: 102"));
}

TEST(ValidateNodePool, TaintsNeedKeyAndSupportedEffect) {
  NodePool np = ValidNodePool();
  np.template_.spec.taints[0].effect = "NoWay";
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("spec.template.spec.taints[0].effect: Unsupported value: \"NoWay\": "
                        "supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""));
  np.template_.spec.taints[0].effect = "";
  EXPECT_THAT(NodePoolError(np), HasSubstr("taints[0].effect: Required value"));
  np = ValidNodePool();
  np.template_.spec.startup_taints[0].key = "";
  EXPECT_THAT(NodePoolError(np), HasSubstr("startupTaints[0].key: Required value"));
  np = ValidNodePool();
  np.template_.spec.taints[0].key = "not/a/key";
  EXPECT_THAT(NodePoolError(np), HasSubstr("taints[0].key: Invalid value: \"not/a/key\""));
  np = ValidNodePool();
  np.template_.spec.taints[0].value = "not ok";
  EXPECT_THAT(NodePoolError(np), HasSubstr("taints[0].value: Invalid value: \"not ok\""));
}

TEST(ValidateNodePool, DuplicateTaintKeyEffectAcrossTaintsAndStartupTaints) {
  NodePool np = ValidNodePool();
  np.template_.spec.startup_taints.push_back(
      {.key = "example.com/gpu", .value = "other", .effect = "NoSchedule"});
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("spec.template.spec.startupTaints[1]: duplicate taint Key/Effect pair "
                        "example.com/gpu=NoSchedule"));
  np = ValidNodePool();
  np.template_.spec.startup_taints.push_back(
      {.key = "example.com/gpu", .value = "true", .effect = "NoExecute"});
  EXPECT_TRUE(ValidateNodePool(np).ok()) << "different effect is a different taint";
}

TEST(ValidateNodePool, NodeClassRefFieldsAreRequired) {
  NodePool np = ValidNodePool();
  np.template_.spec.node_class_ref = {};
  EXPECT_THAT(NodePoolError(np), HasSubstr("spec.template.spec.nodeClassRef: Required value"));
  np.template_.spec.node_class_ref = {.group = "karpenter.k8s.aws/v1", .kind = "", .name = "x"};
  std::string msg = NodePoolError(np);
  EXPECT_THAT(msg, HasSubstr("nodeClassRef.group: Invalid value: \"karpenter.k8s.aws/v1\": "
                             "should match '^[^/]*$'"));
  EXPECT_THAT(msg, HasSubstr("nodeClassRef.kind: Required value"));
  EXPECT_THAT(msg, Not(HasSubstr("nodeClassRef.name")));
}

TEST(ValidateNodePool, ConsolidationPolicyEnum) {
  NodePool np = ValidNodePool();
  for (const char* ok : {"WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"}) {
    np.disruption.consolidation_policy = ok;
    EXPECT_TRUE(ValidateNodePool(np).ok()) << ok;
  }
  np.disruption.consolidation_policy = "WhenUnderutilized";
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("spec.disruption.consolidationPolicy: Unsupported value: "
                        "\"WhenUnderutilized\""));
}

TEST(ValidateNodePool, BudgetNodesPattern) {
  NodePool np = ValidNodePool();
  for (const char* ok : {"10%", "0%", "100%", "0", "5", "1000"}) {
    np.disruption.budgets[0].nodes = ok;
    EXPECT_TRUE(ValidateNodePool(np).ok()) << ok;
  }
  for (const char* bad : {"101%", "abc", "10.5%", "", "-1", "%", "1000%"}) {
    np.disruption.budgets[0].nodes = bad;
    EXPECT_THAT(NodePoolError(np), HasSubstr("spec.disruption.budgets[0].nodes: Invalid value: \"" +
                                             std::string(bad) + "\": should match"))
        << bad;
  }
}

TEST(ValidateNodePool, BudgetScheduleAndDurationTogether) {
  NodePool np = ValidNodePool();
  np.disruption.budgets[0].schedule = "0 9 * * mon-fri";
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("spec.disruption.budgets[0]: Invalid value: \"object\": 'schedule' must "
                        "be set with 'duration'"));
  np.disruption.budgets[0].duration = "8h";
  EXPECT_TRUE(ValidateNodePool(np).ok()) << ValidateNodePool(np);
  np.disruption.budgets[0].schedule.reset();
  EXPECT_THAT(NodePoolError(np), HasSubstr("'schedule' must be set with 'duration'"));
}

TEST(ValidateNodePool, BudgetSchedulePattern) {
  NodePool np = ValidNodePool();
  np.disruption.budgets[0].duration = "1h";
  for (const char* ok :
       {"@daily", "@hourly", "@yearly", "0 0 * * *", "*/5 9-17 * * 1-5", "x 0 0 * * *"}) {
    np.disruption.budgets[0].schedule = ok;
    EXPECT_TRUE(ValidateNodePool(np).ok()) << ok;
  }
  for (const char* bad : {"daily", "0 0 * *", "@every 5m", "", "*\n*\n*\n*"}) {
    np.disruption.budgets[0].schedule = bad;
    EXPECT_THAT(NodePoolError(np), HasSubstr("budgets[0].schedule: Invalid value")) << bad;
  }
}

TEST(ValidateNodePool, BudgetDurationPattern) {
  NodePool np = ValidNodePool();
  np.disruption.budgets[0].schedule = "@daily";
  for (const char* ok : {"1h", "30m", "1h30m", "10m0s", "2h0s", "1h30m0s"}) {
    np.disruption.budgets[0].duration = ok;
    EXPECT_TRUE(ValidateNodePool(np).ok()) << ok;
  }
  for (const char* bad : {"1s", "1h30s", "0s", "h", "1d", "1m1h", "90"}) {
    np.disruption.budgets[0].duration = bad;
    EXPECT_THAT(NodePoolError(np), HasSubstr("budgets[0].duration: Invalid value")) << bad;
  }
}

TEST(ValidateNodePool, BudgetReasons) {
  NodePool np = ValidNodePool();
  np.disruption.budgets[0].reasons = {"Underutilized", "Empty", "Drifted"};
  EXPECT_TRUE(ValidateNodePool(np).ok());
  np.disruption.budgets[0].reasons = {"Expired"};
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("budgets[0].reasons[0]: Unsupported value: \"Expired\": supported "
                        "values: \"Underutilized\", \"Empty\", \"Drifted\""));
  np.disruption.budgets[0].reasons = {"Empty", "Empty"};
  EXPECT_THAT(NodePoolError(np), HasSubstr("budgets[0].reasons[1]: Duplicate value: \"Empty\""));
}

TEST(ValidateNodePool, AtMost50Budgets) {
  NodePool np = ValidNodePool();
  np.disruption.budgets.resize(51);
  EXPECT_THAT(NodePoolError(np), HasSubstr("spec.disruption.budgets: Too many: 51"));
}

TEST(ValidateNodePool, LimitsMustNotBeNegative) {
  NodePool np = ValidNodePool();
  np.limits["memory"] = Quantity::FromUnits(-1);
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("spec.limits[memory]: Invalid value: \"-1\": must be greater than or "
                        "equal to 0"));
}

TEST(ValidateNodePool, StaticNodePoolsAllowOnlyNodeLimitsAndNoWeight) {
  NodePool np = ValidNodePool();
  np.replicas = 3;
  std::string msg = NodePoolError(np);
  EXPECT_THAT(msg, HasSubstr("only 'limits.nodes' is supported on static NodePools"));
  EXPECT_THAT(msg, HasSubstr("'weight' is not supported on static NodePools"));
  np.weight.reset();
  np.limits = {{"nodes", Quantity::FromUnits(5)}};
  EXPECT_TRUE(ValidateNodePool(np).ok()) << ValidateNodePool(np);
  np.replicas = -1;
  EXPECT_THAT(NodePoolError(np), HasSubstr("spec.replicas: Invalid value: -1"));
}

TEST(ValidateNodePool, MetadataNameMustBeADNSSubdomain) {
  NodePool np = ValidNodePool();
  np.metadata.name = "Default_Pool";
  EXPECT_THAT(NodePoolError(np),
              HasSubstr("metadata.name: Invalid value: \"Default_Pool\": a lowercase RFC 1123 "
                        "subdomain"));
}

TEST(ValidateRequirement, UsesTheGivenPathAndNoObjectPrefix) {
  absl::Status s = ValidateRequirement({.key = "kubernetes.io/arch", .operator_ = "In"},
                                       "spec.template.spec.requirements[7]");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Msg(s), StartsWith("spec.template.spec.requirements[7]: Invalid value"));
  EXPECT_TRUE(ValidateRequirement(
                  {.key = "kubernetes.io/arch", .operator_ = "In", .values = {"arm64"}}, "r")
                  .ok());
}

TEST(ValidateRequirement, NodePoolLabelOnlyAllowedForNodeClaims) {
  NodeSelectorRequirement r{.key = "karpenter.sh/nodepool", .operator_ = "In", .values = {"a"}};
  EXPECT_FALSE(ValidateRequirement(r, "r").ok());
  EXPECT_TRUE(ValidateRequirement(r, "r", /*for_node_claim=*/true).ok());
  r.key = "kubernetes.io/hostname";
  EXPECT_FALSE(ValidateRequirement(r, "r", /*for_node_claim=*/true).ok());
}

// ---- NodeClaim ----

NodeClaim ValidNodeClaim() {
  NodeClaim nc;
  nc.metadata.name = "default-x7k2p";
  nc.spec.requirements = {
      {.key = "karpenter.sh/nodepool", .operator_ = "In", .values = {"default"}}};
  nc.spec.node_class_ref = {.group = "karpenter.k8s.aws", .kind = "EC2NodeClass", .name = "d"};
  nc.spec.resource_requests = {{"cpu", Quantity::FromUnits(1)}};
  return nc;
}

TEST(ValidateNodeClaim, AllowsTheNodePoolLabel) {
  EXPECT_TRUE(ValidateNodeClaim(ValidNodeClaim()).ok()) << ValidateNodeClaim(ValidNodeClaim());
}

TEST(ValidateNodeClaim, AppliesRequirementTaintAndResourceRules) {
  NodeClaim nc = ValidNodeClaim();
  nc.spec.requirements.push_back({.key = "karpenter.sh/other", .operator_ = "Exists"});
  nc.spec.taints = {{.key = "a", .effect = "Bad"}};
  nc.spec.resource_requests["memory"] = Quantity::FromUnits(-5);
  nc.spec.node_class_ref.name = "";
  std::string msg = Msg(ValidateNodeClaim(nc));
  EXPECT_THAT(msg,
              HasSubstr("NodeClaim/default-x7k2p: spec.requirements[1].key: Invalid value: "
                        "\"karpenter.sh/other\": label domain \"karpenter.sh\" is restricted"));
  EXPECT_THAT(msg, HasSubstr("spec.taints[0].effect: Unsupported value: \"Bad\""));
  EXPECT_THAT(msg, HasSubstr("spec.resources.requests[memory]: Invalid value: \"-5\""));
  EXPECT_THAT(msg, HasSubstr("spec.nodeClassRef.name: Required value"));
}

// ---- EC2NodeClass ----

TEST(ValidateEC2NodeClass, AcceptsAValidNodeClass) {
  EXPECT_TRUE(ValidateEC2NodeClass(ValidNodeClass()).ok())
      << ValidateEC2NodeClass(ValidNodeClass());
}

TEST(ValidateEC2NodeClass, ExactlyOneOfRoleAndInstanceProfile) {
  constexpr std::string_view kMsg =
      "nc.yaml: EC2NodeClass/default: spec: Invalid value: \"object\": must specify exactly one "
      "of ['role', 'instanceProfile']";
  EC2NodeClass nc = ValidNodeClass();
  nc.instance_profile = "profile";
  EXPECT_EQ(NodeClassError(nc), kMsg);
  nc.role = "";
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok());
  nc.instance_profile = "";
  EXPECT_EQ(NodeClassError(nc), kMsg);
}

TEST(ValidateEC2NodeClass, SubnetSelectorTerms) {
  EC2NodeClass nc = ValidNodeClass();
  nc.subnet_selector_terms.clear();
  EXPECT_THAT(NodeClassError(nc), HasSubstr("spec.subnetSelectorTerms: Required value"));
  nc.subnet_selector_terms = {SelectorTerm{}};
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("spec.subnetSelectorTerms[0]: Invalid value: \"object\": expected at "
                        "least one, got none, ['tags', 'id']"));
  nc.subnet_selector_terms = {{.tags = {{"a", "b"}}, .id = "subnet-0abc"}};
  EXPECT_THAT(NodeClassError(nc), HasSubstr("'id' is mutually exclusive"));
  nc.subnet_selector_terms = {{.id = "sg-0abc"}};
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("spec.subnetSelectorTerms[0].id: Invalid value: \"sg-0abc\""));
  nc.subnet_selector_terms = {{.tags = {{"a", ""}}}};
  EXPECT_THAT(NodeClassError(nc), HasSubstr("empty tag keys or values aren't supported"));
  nc.subnet_selector_terms = {{.tags = {{"a", "*"}}}, {.id = "subnet-0abc"}};
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok());
  nc.subnet_selector_terms.resize(31, {.id = "subnet-1"});
  EXPECT_THAT(NodeClassError(nc), HasSubstr("spec.subnetSelectorTerms: Too many: 31"));
}

TEST(ValidateEC2NodeClass, SecurityGroupSelectorTerms) {
  EC2NodeClass nc = ValidNodeClass();
  nc.security_group_selector_terms.clear();
  EXPECT_THAT(NodeClassError(nc), HasSubstr("spec.securityGroupSelectorTerms: Required value"));
  nc.security_group_selector_terms = {{.tags = {{"a", "b"}}, .name = "sg"}};
  EXPECT_THAT(NodeClassError(nc), HasSubstr("'name' is mutually exclusive"));
  nc.security_group_selector_terms = {{.id = "subnet-1"}};
  EXPECT_THAT(NodeClassError(nc), HasSubstr("securityGroupSelectorTerms[0].id: Invalid value"));
  nc.security_group_selector_terms = {{.id = "sg-0123abc"}, {.name = "default"}};
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok()) << ValidateEC2NodeClass(nc);
}

TEST(ValidateEC2NodeClass, AmiSelectorTermsRequired) {
  EC2NodeClass nc = ValidNodeClass();
  nc.ami_selector_terms.clear();
  nc.ami_family = "AL2023";
  EXPECT_THAT(NodeClassError(nc), HasSubstr("spec.amiSelectorTerms: Required value"));
  nc.ami_selector_terms = {AMISelectorTerm{}};
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("expected at least one, got none, ['tags', 'id', 'name', 'alias', "
                        "'ssmParameter']"));
}

TEST(ValidateEC2NodeClass, AliasIsExclusive) {
  EC2NodeClass nc = ValidNodeClass();
  nc.ami_selector_terms.push_back({.id = "ami-123"});
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("spec.amiSelectorTerms: Invalid value: \"object\": 'alias' is mutually "
                        "exclusive, cannot be set with a combination of other amiSelectorTerms"));
  nc = ValidNodeClass();
  nc.ami_selector_terms[0].tags = {{"a", "b"}};
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("'alias' is mutually exclusive, cannot be set with a combination of other "
                        "fields in amiSelectorTerms"));
  nc = ValidNodeClass();
  nc.ami_selector_terms = {{.id = "ami-123", .name = "x"}};
  EXPECT_THAT(NodeClassError(nc), HasSubstr("'id' is mutually exclusive"));
}

TEST(ValidateEC2NodeClass, AliasFormatAndFamily) {
  EC2NodeClass nc = ValidNodeClass();
  nc.ami_family = "";
  nc.ami_selector_terms = {{.alias = "al2023"}};
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("spec.amiSelectorTerms[0].alias: Invalid value: \"al2023\": 'alias' is "
                        "improperly formatted, must match the format 'family@version'"));
  nc.ami_selector_terms = {{.alias = "ubuntu@latest"}};
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("family is not supported, must be one of the following: 'al2', 'al2023', "
                        "'bottlerocket', 'windows2019', 'windows2022', 'windows2025'"));
  nc.ami_selector_terms = {{.alias = "windows2022@v1"}};
  EXPECT_THAT(NodeClassError(nc), HasSubstr("windows families may only specify version 'latest'"));
  nc.ami_selector_terms = {{.alias = "windows2022@latest"}};
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok()) << ValidateEC2NodeClass(nc);
  nc.ami_selector_terms = {{.alias = "bottlerocket@v1.20.0"}};
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok()) << ValidateEC2NodeClass(nc);
  nc.ami_selector_terms = {{.alias = "al2023@" + std::string(30, '1')}};
  EXPECT_THAT(NodeClassError(nc), HasSubstr("Too long: may not be more than 30 bytes"));
}

TEST(ValidateEC2NodeClass, AmiFamilyMustMatchAlias) {
  EC2NodeClass nc = ValidNodeClass();
  nc.ami_family = "Bottlerocket";
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("spec: Invalid value: \"object\": if set, amiFamily must be 'AL2023' or "
                        "'Custom' when using an AL2023 alias"));
  nc.ami_family = "Custom";
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok());
  nc.ami_selector_terms = {{.alias = "bottlerocket@latest"}};
  nc.ami_family = "AL2";
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("amiFamily must be 'Bottlerocket' or 'Custom' when using a Bottlerocket "
                        "alias"));
}

TEST(ValidateEC2NodeClass, AmiFamilyRequiredWithoutAlias) {
  EC2NodeClass nc = ValidNodeClass();
  nc.ami_selector_terms = {{.tags = {{"team", "a"}}}};
  nc.ami_family = "";
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("must specify amiFamily if amiSelectorTerms does not contain an alias"));
  nc.ami_family = "AL2";
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok());
  nc.ami_family = "Ubuntu";
  EXPECT_THAT(NodeClassError(nc), HasSubstr("spec.amiFamily: Unsupported value: \"Ubuntu\""));
}

TEST(ValidateEC2NodeClass, RestrictedTags) {
  for (const char* key :
       {"eks:eks-cluster-name", "kubernetes.io/cluster/demo", "karpenter.sh/nodepool",
        "karpenter.sh/nodeclaim", "karpenter.k8s.aws/ec2nodeclass"}) {
    EC2NodeClass nc = ValidNodeClass();
    nc.tags = {{key, "x"}};
    EXPECT_THAT(NodeClassError(nc),
                AllOf(HasSubstr("spec.tags: Invalid value: \"object\": tag contains a restricted "
                                "tag matching "),
                      HasSubstr(std::string(key).substr(0, 10))))
        << key;
  }
  EC2NodeClass nc = ValidNodeClass();
  nc.tags = {{"", "x"}};
  EXPECT_THAT(NodeClassError(nc), HasSubstr("empty tag keys aren't supported"));
  nc.tags = {{"team", "infra"}, {"karpenter.sh/discovery", "demo"}};
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok());
}

TEST(ValidateEC2NodeClass, Kubelet) {
  EC2NodeClass nc = ValidNodeClass();
  nc.kubelet = KubeletConfiguration{};
  nc.kubelet->image_gc_high_threshold_percent = 50;
  nc.kubelet->image_gc_low_threshold_percent = 50;
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("spec.kubelet: Invalid value: \"object\": imageGCHighThresholdPercent "
                        "must be greater than imageGCLowThresholdPercent"));
  nc.kubelet->image_gc_high_threshold_percent = 85;
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok());
  nc.kubelet->eviction_soft = {{"memory.available", "10%"}};
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("evictionSoft OwnerKey does not have a matching evictionSoftGracePeriod"));
  nc.kubelet->eviction_soft_grace_period = {{"memory.available", "1m30s"}};
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok()) << ValidateEC2NodeClass(nc);
  nc.kubelet->eviction_soft_grace_period["nodefs.available"] = "1m";
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("evictionSoftGracePeriod OwnerKey does not have a matching evictionSoft"));
  nc = ValidNodeClass();
  nc.kubelet = KubeletConfiguration{};
  nc.kubelet->eviction_hard = {{"memory.free", "100Mi"}, {"nodefs.available", "150%"}};
  nc.kubelet->system_reserved = {{"gpu", "1"}, {"cpu", "-100m"}};
  nc.kubelet->max_pods = -1;
  std::string msg = NodeClassError(nc);
  EXPECT_THAT(msg, HasSubstr("valid keys for evictionHard are ['memory.available',"));
  EXPECT_THAT(msg, HasSubstr("spec.kubelet.evictionHard[nodefs.available]: Invalid value: "
                             "\"150%\""));
  EXPECT_THAT(msg, HasSubstr("valid keys for systemReserved are ['cpu','memory',"
                             "'ephemeral-storage','pid']"));
  EXPECT_THAT(msg, HasSubstr("systemReserved value cannot be a negative resource quantity"));
  EXPECT_THAT(msg, HasSubstr("spec.kubelet.maxPods: Invalid value: -1"));
}

TEST(ValidateEC2NodeClass, BlockDeviceMappings) {
  EC2NodeClass nc = ValidNodeClass();
  BlockDeviceMapping root{
      .device_name = "/dev/xvda",
      .root_volume = true,
      .ebs = BlockDevice{.volume_size = Quantity::Parse("100Gi").value(), .volume_type = "gp3"}};
  nc.block_device_mappings = {root};
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok()) << ValidateEC2NodeClass(nc);
  nc.block_device_mappings = {root, root};
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("spec.blockDeviceMappings: Invalid value: \"array\": must have only one "
                        "blockDeviceMappings with rootVolume"));
  nc.block_device_mappings = {{.device_name = "/dev/xvdb", .ebs = BlockDevice{}}};
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("spec.blockDeviceMappings[0].ebs: Invalid value: \"object\": snapshotID "
                        "or volumeSize must be defined"));
  nc.block_device_mappings = {root};
  nc.block_device_mappings[0].ebs->volume_type = "gp4";
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("ebs.volumeType: Unsupported value: \"gp4\": supported values: "
                        "\"standard\", \"io1\", \"io2\", \"gp2\", \"sc1\", \"st1\", \"gp3\""));
  nc.block_device_mappings = {root};
  nc.block_device_mappings[0].ebs->volume_size = Quantity::Parse("64Ti").value();
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok());
  nc.block_device_mappings[0].ebs->volume_size = Quantity::Parse("65Ti").value();
  EXPECT_THAT(NodeClassError(nc), HasSubstr("ebs.volumeSize: Invalid value: \"65Ti\""));
  nc.block_device_mappings = {root};
  nc.block_device_mappings[0].ebs->volume_initialization_rate = 200;
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("volumeInitializationRate must be set with snapshotID"));
}

TEST(ValidateEC2NodeClass, EnumsAndRanges) {
  EC2NodeClass nc = ValidNodeClass();
  nc.instance_store_policy = "RAID1";
  nc.metadata_options.http_put_response_hop_limit = 65;
  nc.metadata_options.http_tokens = "sometimes";
  nc.metadata_options.http_endpoint = "on";
  nc.nested_virtualization = "yes";
  nc.ip_prefix_count = -1;
  std::string msg = NodeClassError(nc);
  EXPECT_THAT(msg, HasSubstr("spec.instanceStorePolicy: Unsupported value: \"RAID1\": supported "
                             "values: \"RAID0\""));
  EXPECT_THAT(msg, HasSubstr("spec.metadataOptions.httpPutResponseHopLimit: Invalid value: 65"));
  EXPECT_THAT(msg, HasSubstr("spec.metadataOptions.httpTokens: Unsupported value: \"sometimes\""));
  EXPECT_THAT(msg, HasSubstr("spec.metadataOptions.httpEndpoint: Unsupported value: \"on\""));
  EXPECT_THAT(msg, HasSubstr("spec.cpuOptions.nestedVirtualization: Unsupported value"));
  EXPECT_THAT(msg, HasSubstr("spec.ipPrefixCount: Invalid value: -1"));
  nc = ValidNodeClass();
  nc.metadata_options.http_put_response_hop_limit = 0;
  EXPECT_THAT(NodeClassError(nc), HasSubstr("httpPutResponseHopLimit: Invalid value: 0"));
}

TEST(ValidateEC2NodeClass, NetworkInterfaces) {
  EC2NodeClass nc = ValidNodeClass();
  nc.network_interfaces = {
      {.network_card_index = 0, .device_index = 0, .interface_type = "interface"},
      {.network_card_index = 1, .device_index = 0, .interface_type = "efa-only"}};
  EXPECT_TRUE(ValidateEC2NodeClass(nc).ok()) << ValidateEC2NodeClass(nc);
  nc.network_interfaces[0].interface_type = "efa-only";
  EXPECT_THAT(NodeClassError(nc), HasSubstr("must include an interface with networkCardIndex 0"));
  nc.network_interfaces = {
      {.network_card_index = 0, .device_index = 0, .interface_type = "interface"},
      {.network_card_index = 0, .device_index = 0, .interface_type = "efa-only"}};
  EXPECT_THAT(NodeClassError(nc), HasSubstr("spec.networkInterfaces[1]: Duplicate value"));
  nc.network_interfaces = {
      {.network_card_index = 0, .device_index = 0, .interface_type = "interface"},
      {.network_card_index = 1, .device_index = 0, .interface_type = "efa-only"},
      {.network_card_index = 1, .device_index = 1, .interface_type = "efa-only"}};
  EXPECT_THAT(NodeClassError(nc), HasSubstr("at most one efa-only interface per network card"));
  nc.network_interfaces = {{.network_card_index = 0, .device_index = 0, .interface_type = "eni"}};
  EXPECT_THAT(NodeClassError(nc), HasSubstr("interfaceType: Unsupported value: \"eni\""));
}

TEST(ValidateEC2NodeClass, CapacityReservationsPlacementAndConnectionTracking) {
  EC2NodeClass nc = ValidNodeClass();
  nc.capacity_reservation_selector_terms = {{.owner_id = "12345"},
                                            {.id = "cr-1", .owner_id = "123456789012"}};
  nc.placement_group_selector = SelectorTerm{.id = "pg-1", .name = "pg"};
  nc.connection_tracking = ConnectionTracking{};
  std::string msg = NodeClassError(nc);
  EXPECT_THAT(msg, HasSubstr("capacityReservationSelectorTerms[0]: Invalid value: \"object\": "
                             "expected at least one"));
  EXPECT_THAT(msg, HasSubstr("capacityReservationSelectorTerms[0].ownerID: Invalid value: "
                             "\"12345\""));
  EXPECT_THAT(msg, HasSubstr("capacityReservationSelectorTerms[1]: Invalid value: \"object\": 'id' "
                             "is mutually exclusive"));
  EXPECT_THAT(msg, HasSubstr("spec.placementGroupSelector: Invalid value: \"object\": expected "
                             "exactly one of ['name', 'id']"));
  EXPECT_THAT(msg, HasSubstr("spec.connectionTracking: Invalid value: \"object\": expected at "
                             "least one"));
  nc = ValidNodeClass();
  nc.connection_tracking = ConnectionTracking{.udp_timeout = 10};
  EXPECT_THAT(NodeClassError(nc),
              HasSubstr("spec.connectionTracking.udpTimeout: Invalid value: 10: must be between "
                        "30 and 60"));
}

// ---- Pod ----

TEST(ValidatePod, AcceptsAValidPod) {
  EXPECT_TRUE(ValidatePod(ValidPod()).ok()) << ValidatePod(ValidPod());
}

TEST(ValidatePod, ErrorsUseNamespaceAndName) {
  Pod p = ValidPod();
  p.spec.containers[0].resources.requests["cpu"] = Quantity::FromUnits(2);
  EXPECT_EQ(PodError(p),
            "pod.yaml: Pod/shop/web: spec.containers[0].resources.requests[cpu]: Invalid value: "
            "\"2\": must be less than or equal to cpu limit of 1");
}

TEST(ValidatePod, RequestsEqualToLimitsAreFine) {
  Pod p = ValidPod();
  p.spec.containers[0].resources.requests["cpu"] = Quantity::FromUnits(1);
  EXPECT_TRUE(ValidatePod(p).ok());
}

TEST(ValidatePod, QuantitiesMustNotBeNegative) {
  Pod p = ValidPod();
  p.spec.containers[0].resources.requests["memory"] = Quantity::FromMilli(-500);
  p.spec.init_containers = {Container{.name = "init"}};
  p.spec.init_containers[0].resources.limits["cpu"] = Quantity::FromUnits(-1);
  p.spec.overhead["cpu"] = Quantity::FromUnits(-1);
  std::string msg = PodError(p);
  EXPECT_THAT(msg, HasSubstr("spec.containers[0].resources.requests[memory]: Invalid value: "
                             "\"-500m\": must be greater than or equal to 0"));
  EXPECT_THAT(msg, HasSubstr("spec.initContainers[0].resources.limits[cpu]: Invalid value"));
  EXPECT_THAT(msg, HasSubstr("spec.overhead[cpu]: Invalid value"));
}

TEST(ValidatePod, NodeSelectorKeysAndValues) {
  Pod p = ValidPod();
  p.spec.node_selector = {{"bad key", "ok"}, {"good", "bad value"}};
  std::string msg = PodError(p);
  EXPECT_THAT(msg, HasSubstr("spec.nodeSelector: Invalid value: \"bad key\""));
  EXPECT_THAT(msg, HasSubstr("spec.nodeSelector[good]: Invalid value: \"bad value\""));
}

TEST(ValidatePod, RestrictedLabelsInNodeSelectorAreLeftToScheduling) {
  Pod p = ValidPod();
  p.spec.node_selector = {{"karpenter.sh/custom", "x"}, {"kubernetes.io/hostname", "n1"}};
  EXPECT_TRUE(ValidatePod(p).ok()) << ValidatePod(p);
}

TEST(ValidatePod, NodeAffinityOperators) {
  Pod p = ValidPod();
  NodeSelectorTerm term;
  term.match_expressions = {{.key = "a", .operator_ = "Gte", .values = {"1"}},
                            {.key = "b", .operator_ = "In"},
                            {.key = "c", .operator_ = "Exists", .values = {"x"}},
                            {.key = "d", .operator_ = "Gt", .values = {"1", "2"}},
                            {.key = "e", .operator_ = "Lt", .values = {"ten"}},
                            {.key = "f", .operator_ = "Gt", .values = {"-5"}}};
  p.spec.affinity = Affinity{.node_affinity = NodeAffinity{.required = std::vector{term}}};
  std::string msg = PodError(p);
  const std::string base =
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
      "[0].matchExpressions";
  EXPECT_THAT(msg, HasSubstr(base + "[0].operator: Unsupported value: \"Gte\""));
  EXPECT_THAT(msg, HasSubstr(base + "[1].values: Required value: must be specified when "
                                    "`operator` is 'In' or 'NotIn'"));
  EXPECT_THAT(msg, HasSubstr(base + "[2].values: Forbidden: may not be specified when `operator` "
                                    "is 'Exists' or 'DoesNotExist'"));
  EXPECT_THAT(msg, HasSubstr(base + "[3].values: Required value: must be specified single value "
                                    "when `operator` is 'Lt' or 'Gt'"));
  EXPECT_THAT(msg, HasSubstr(base + "[4].values[0]: Invalid value: \"ten\": must be an integer"));
  EXPECT_THAT(msg, Not(HasSubstr(base + "[5]")));
}

TEST(ValidatePod, EmptyRequiredNodeAffinityIsInvalid) {
  Pod p = ValidPod();
  p.spec.affinity =
      Affinity{.node_affinity = NodeAffinity{.required = std::vector<NodeSelectorTerm>{}}};
  EXPECT_THAT(PodError(p), HasSubstr("nodeSelectorTerms: Required value: must have at least one "
                                     "node selector term"));
}

TEST(ValidatePod, PreferredTermsNeedWeightAndPodTermsNeedTopologyKey) {
  Pod p = ValidPod();
  PodAffinity anti;
  anti.required = {PodAffinityTerm{}};
  anti.preferred = {{.weight = 0, .pod_affinity_term = {.topology_key = "zone"}}};
  p.spec.affinity = Affinity{.pod_anti_affinity = anti};
  std::string msg = PodError(p);
  EXPECT_THAT(msg, HasSubstr("spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuring"
                             "Execution[0].topologyKey: Required value: can not be empty"));
  EXPECT_THAT(msg, HasSubstr("preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid "
                             "value: 0: must be in the range 1-100"));
}

TEST(ValidatePod, Tolerations) {
  Pod p = ValidPod();
  p.spec.tolerations = {
      {.key = "a", .operator_ = "Exists", .value = "b"},
      {.key = "a", .operator_ = "Equal", .effect = "Sometimes"},
      {.key = "", .operator_ = "Equal"},
      {.key = "a", .operator_ = "Equal", .effect = "NoSchedule", .toleration_seconds = 30},
      {.key = "a", .operator_ = "Like"},
      {.operator_ = "Exists"}};
  std::string msg = PodError(p);
  EXPECT_THAT(msg, HasSubstr("spec.tolerations[0].operator: Invalid value: \"b\": value must be "
                             "empty when `operator` is 'Exists'"));
  EXPECT_THAT(msg, HasSubstr("spec.tolerations[1].effect: Unsupported value: \"Sometimes\""));
  EXPECT_THAT(msg, HasSubstr("spec.tolerations[2].operator: Invalid value: \"Equal\": operator "
                             "must be Exists when `key` is empty"));
  EXPECT_THAT(msg, HasSubstr("spec.tolerations[3].effect: Invalid value: \"NoSchedule\": effect "
                             "must be 'NoExecute' when `tolerationSeconds` is set"));
  EXPECT_THAT(msg, HasSubstr("spec.tolerations[4].operator: Unsupported value: \"Like\""));
  EXPECT_THAT(msg, Not(HasSubstr("tolerations[5]")));
}

TEST(ValidatePod, TopologySpreadConstraints) {
  Pod p = ValidPod();
  TopologySpreadConstraint ok{.max_skew = 1,
                              .topology_key = "topology.kubernetes.io/zone",
                              .when_unsatisfiable = "DoNotSchedule"};
  TopologySpreadConstraint bad{.max_skew = 0, .topology_key = "", .when_unsatisfiable = "Maybe"};
  bad.min_domains = 0;
  bad.node_taints_policy = "Sometimes";
  p.spec.topology_spread_constraints = {ok, bad, ok};
  std::string msg = PodError(p);
  EXPECT_THAT(msg, HasSubstr("spec.topologySpreadConstraints[1].maxSkew: Invalid value: 0: must "
                             "be greater than zero"));
  EXPECT_THAT(msg, HasSubstr("topologySpreadConstraints[1].topologyKey: Required value"));
  EXPECT_THAT(msg, HasSubstr("topologySpreadConstraints[1].whenUnsatisfiable: Unsupported value"));
  EXPECT_THAT(msg, HasSubstr("topologySpreadConstraints[1].minDomains: Invalid value: 0"));
  EXPECT_THAT(msg, HasSubstr("topologySpreadConstraints[1].nodeTaintsPolicy: Unsupported value"));
  EXPECT_THAT(msg, HasSubstr("topologySpreadConstraints[2]: Duplicate value"));
}

TEST(ValidatePod, PortsAndRestartPolicies) {
  Pod p = ValidPod();
  p.spec.containers[0].ports = {{.container_port = 0},
                                {.container_port = 80, .host_port = 70000},
                                {.container_port = 80, .protocol = "HTTP"}};
  p.spec.containers[0].restart_policy = "Always";
  p.spec.init_containers = {Container{.name = "sidecar", .restart_policy = "Never"}};
  p.spec.restart_policy = "Sometimes";
  std::string msg = PodError(p);
  EXPECT_THAT(msg, HasSubstr("spec.containers[0].ports[0].containerPort: Invalid value: 0"));
  EXPECT_THAT(msg, HasSubstr("spec.containers[0].ports[1].hostPort: Invalid value: 70000"));
  EXPECT_THAT(msg, HasSubstr("spec.containers[0].ports[2].protocol: Unsupported value: \"HTTP\""));
  EXPECT_THAT(msg, HasSubstr("spec.containers[0].restartPolicy: Forbidden"));
  EXPECT_THAT(msg, HasSubstr("spec.initContainers[0].restartPolicy: Unsupported value: \"Never\""));
  EXPECT_THAT(msg, HasSubstr("spec.restartPolicy: Unsupported value: \"Sometimes\""));
}

TEST(ValidatePod, PersistentVolumeClaimNeedsAName) {
  Pod p = ValidPod();
  p.spec.volumes = {{.name = "data", .pvc_claim_name = ""}};
  EXPECT_THAT(PodError(p),
              HasSubstr("spec.volumes[0].persistentVolumeClaim.claimName: Required value"));
}

TEST(ValidatePod, MetadataLabelsAndNamespace) {
  Pod p = ValidPod();
  p.metadata.namespace_ = "Shop";
  p.metadata.labels["bad key"] = "v";
  std::string msg = PodError(p);
  EXPECT_THAT(msg, HasSubstr("metadata.namespace: Invalid value: \"Shop\": a lowercase RFC 1123 "
                             "label"));
  EXPECT_THAT(msg, HasSubstr("metadata.labels: Invalid value: \"bad key\""));
}

TEST(ValidatePod, ControlCharactersInNamesAreEscapedInMessages) {
  Pod p = ValidPod();
  p.metadata.name = "a\nb";
  p.metadata.labels = {{"k\ty", "v"}};
  std::string msg = PodError(p);
  EXPECT_THAT(msg, StartsWith("pod.yaml: Pod/shop/a\\nb: metadata.name: Invalid value: \"a\\nb\""));
  EXPECT_THAT(msg, HasSubstr("metadata.labels: Invalid value: \"k\\x09y\""));
  EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 1) << "one line per error";
}

// ---- Node ----

TEST(ValidateNode, TaintsAndQuantities) {
  Node n;
  n.metadata.name = "ip-10-0-0-1.ec2.internal";
  n.taints = {{.key = "karpenter.sh/disrupted", .effect = "NoSchedule"}};
  n.capacity = {{"cpu", Quantity::FromUnits(4)}};
  EXPECT_TRUE(ValidateNode(n).ok()) << ValidateNode(n);
  n.taints.push_back({.key = "x", .effect = "Never"});
  n.allocatable = {{"cpu", Quantity::FromUnits(-1)}};
  std::string msg = Msg(ValidateNode(n));
  EXPECT_THAT(msg, HasSubstr("Node/ip-10-0-0-1.ec2.internal: spec.taints[1].effect: Unsupported"));
  EXPECT_THAT(msg, HasSubstr("status.allocatable[cpu]: Invalid value: \"-1\""));
}

TEST(ValidatePod, VolumeTypesAreExclusiveAndEphemeralClaimsAreChecked) {
  Pod p = ValidPod();
  p.spec.volumes = {{.name = "data",
                     .pvc_claim_name = "claim",
                     .ephemeral = PersistentVolumeClaimSpec{.storage_class_name = "Bad_Class"}}};
  std::string msg = PodError(p);
  EXPECT_THAT(msg, HasSubstr("spec.volumes[0].ephemeral: Forbidden: may not specify more than 1 "
                             "volume type"));
  EXPECT_THAT(msg, HasSubstr("spec.volumes[0].ephemeral.volumeClaimTemplate.spec."
                             "storageClassName: Invalid value: \"Bad_Class\": a lowercase RFC "
                             "1123 subdomain"));
}

// ---- Storage ----

TEST(ValidateStorage, PersistentVolumeClaim) {
  PersistentVolumeClaim c;
  c.metadata.name = "data";
  c.metadata.namespace_ = "shop";
  c.spec.storage_class_name = "";  // dynamic provisioning off: allowed
  c.phase = "Bound";
  EXPECT_TRUE(ValidatePersistentVolumeClaim(c).ok()) << ValidatePersistentVolumeClaim(c);
  c.metadata.name = "";
  c.spec.volume_name = "PV";
  c.phase = "Done";
  std::string msg = Msg(ValidatePersistentVolumeClaim(c));
  EXPECT_THAT(msg, HasSubstr("metadata.name: Required value: name or generateName is required"));
  EXPECT_THAT(msg, HasSubstr("spec.volumeName: Invalid value: \"PV\": a lowercase RFC 1123"));
  EXPECT_THAT(msg, HasSubstr("status.phase: Unsupported value: \"Done\": supported values: "
                             "\"Bound\", \"Lost\", \"Pending\""));
}

TEST(ValidateStorage, PersistentVolume) {
  PersistentVolume pv;
  pv.metadata.name = "pv-1";
  pv.spec.csi = CSIPersistentVolumeSource{.driver = "ebs.csi.aws.com", .volume_handle = "vol-1"};
  pv.spec.node_affinity = std::vector<NodeSelectorTerm>{
      {.match_expressions = {
           {.key = "topology.kubernetes.io/zone", .operator_ = "In", .values = {"us-east-1a"}}}}};
  EXPECT_TRUE(ValidatePersistentVolume(pv).ok()) << ValidatePersistentVolume(pv);
  pv.spec.csi->driver = "";
  pv.spec.csi->volume_handle = "";
  pv.spec.aws_elastic_block_store = AWSElasticBlockStoreVolumeSource{};
  pv.spec.node_affinity->front().match_expressions[0].operator_ = "Near";
  std::string msg = Msg(ValidatePersistentVolume(pv));
  EXPECT_THAT(msg, StartsWith("PersistentVolume/pv-1: "));
  EXPECT_THAT(msg, HasSubstr("spec.csi.driver: Required value"));
  EXPECT_THAT(msg, HasSubstr("spec.csi.volumeHandle: Required value"));
  EXPECT_THAT(msg, HasSubstr("spec.awsElasticBlockStore.volumeID: Required value"));
  EXPECT_THAT(msg, HasSubstr("spec.awsElasticBlockStore: Forbidden: may not specify more than 1 "
                             "volume type"));
  EXPECT_THAT(msg, HasSubstr("spec.nodeAffinity.required.nodeSelectorTerms[0]."
                             "matchExpressions[0].operator: Unsupported value: \"Near\""));
  pv.spec.node_affinity = std::vector<NodeSelectorTerm>{};
  EXPECT_THAT(Msg(ValidatePersistentVolume(pv)),
              HasSubstr("spec.nodeAffinity.required.nodeSelectorTerms: Required value: must have "
                        "at least one node selector term"));
}

TEST(ValidateStorage, StorageClass) {
  StorageClass sc;
  sc.metadata.name = "gp3";
  sc.provisioner = "ebs.csi.aws.com";
  sc.volume_binding_mode = "WaitForFirstConsumer";
  sc.allowed_topologies = {
      {.match_label_expressions = {{.key = "topology.kubernetes.io/zone", .values = {"a", "b"}}}}};
  EXPECT_TRUE(ValidateStorageClass(sc).ok()) << ValidateStorageClass(sc);
  sc.provisioner = "";
  sc.volume_binding_mode = "Later";
  sc.allowed_topologies[0].match_label_expressions.push_back(
      {.key = "topology.kubernetes.io/zone", .values = {}});
  sc.allowed_topologies[0].match_label_expressions[0].values = {"a", "a"};
  std::string msg = Msg(ValidateStorageClass(sc));
  EXPECT_THAT(msg, HasSubstr("StorageClass/gp3: provisioner: Required value"));
  EXPECT_THAT(msg, HasSubstr("volumeBindingMode: Unsupported value: \"Later\": supported values: "
                             "\"Immediate\", \"WaitForFirstConsumer\""));
  EXPECT_THAT(msg, HasSubstr("allowedTopologies[0].matchLabelExpressions[0].values[1]: Duplicate "
                             "value: \"a\""));
  EXPECT_THAT(msg, HasSubstr("allowedTopologies[0].matchLabelExpressions[1].values: Required "
                             "value"));
  EXPECT_THAT(msg, HasSubstr("allowedTopologies[0].matchLabelExpressions[1].key: Duplicate value: "
                             "\"topology.kubernetes.io/zone\""));
}

TEST(ValidateStorage, CSINode) {
  CSINode n;
  n.metadata.name = "ip-10-0-0-1";
  n.drivers = {{.name = "ebs.csi.aws.com", .node_id = "i-1", .allocatable_count = 25}};
  EXPECT_TRUE(ValidateCSINode(n).ok()) << ValidateCSINode(n);
  n.drivers.push_back({.name = "ebs.csi.aws.com", .node_id = "", .allocatable_count = -1});
  n.drivers.push_back({.name = "", .node_id = "i-1"});
  std::string msg = Msg(ValidateCSINode(n));
  EXPECT_THAT(msg, HasSubstr("CSINode/ip-10-0-0-1: spec.drivers[1].name: Duplicate value: "
                             "\"ebs.csi.aws.com\""));
  EXPECT_THAT(msg, HasSubstr("spec.drivers[1].nodeID: Required value"));
  EXPECT_THAT(msg, HasSubstr("spec.drivers[1].allocatable.count: Invalid value: -1: must be "
                             "greater than or equal to 0"));
  EXPECT_THAT(msg, HasSubstr("spec.drivers[2].name: Required value"));
}

TEST(ValidateStorage, ManifestsCheckStorageKindsAndDuplicateNames) {
  Manifests m;
  PersistentVolumeClaim c;
  c.metadata.name = "";
  c.source.file = "pvc.yaml";
  m.persistent_volume_claims = {c};
  StorageClass sc;
  sc.metadata.name = "gp3";
  sc.provisioner = "ebs.csi.aws.com";
  m.storage_classes = {sc, sc};
  std::string msg = Msg(ValidateManifests(m));
  EXPECT_THAT(msg, HasSubstr("pvc.yaml: PersistentVolumeClaim/default/: metadata.name: Required "
                             "value"));
  EXPECT_THAT(msg, HasSubstr("StorageClass/gp3: metadata.name: Duplicate value: \"gp3\""));
}

TEST(ValidateStorage, StatefulSetVolumeClaimTemplates) {
  StatefulSet ss;
  ss.metadata.name = "db";
  ss.source.file = "db.yaml";
  ss.selector = LabelSelector{.match_labels = {{"app", "db"}}};
  ss.template_.metadata.labels = {{"app", "db"}};
  PersistentVolumeClaim data;
  data.metadata.name = "data";
  data.metadata.labels = {{"tier", "storage"}};
  data.spec.storage_class_name = "gp3";
  ss.volume_claim_templates = {data};
  Manifests ok;
  ok.stateful_sets = {ss};
  EXPECT_TRUE(ValidateManifests(ok).ok()) << ValidateManifests(ok);

  PersistentVolumeClaim unnamed;
  PersistentVolumeClaim bad = data;
  bad.metadata.name = "Data";
  bad.metadata.labels = {{"bad key", "v"}};
  bad.spec.storage_class_name = "Bad_Class";
  ss.volume_claim_templates = {unnamed, bad, data, data};
  Manifests m;
  m.stateful_sets = {ss};
  std::string msg = Msg(ValidateManifests(m));
  EXPECT_THAT(msg, HasSubstr("db.yaml: StatefulSet/default/db: "
                             "spec.volumeClaimTemplates[0].metadata.name: Required value"));
  EXPECT_THAT(msg, HasSubstr("spec.volumeClaimTemplates[1].metadata.name: Invalid value: \"Data\": "
                             "a lowercase RFC 1123 label"));
  EXPECT_THAT(msg, HasSubstr("spec.volumeClaimTemplates[1].metadata.labels: Invalid value: "
                             "\"bad key\""));
  EXPECT_THAT(msg, HasSubstr("spec.volumeClaimTemplates[1].spec.storageClassName: Invalid value: "
                             "\"Bad_Class\""));
  EXPECT_THAT(msg, HasSubstr("spec.volumeClaimTemplates[3].metadata.name: Duplicate value: "
                             "\"data\""));
  EXPECT_THAT(msg, Not(HasSubstr("spec.volumeClaimTemplates[2]")));
}

// ---- ValidateManifests ----

Deployment ValidDeployment() {
  Deployment d;
  d.metadata.name = "web";
  d.metadata.namespace_ = "default";
  d.source.file = "web.yaml";
  d.selector = LabelSelector{.match_labels = {{"app", "web"}}};
  d.template_.metadata.labels = {{"app", "web"}, {"tier", "front"}};
  d.template_.spec.containers = {Container{.name = "c"}};
  return d;
}

TEST(ValidateManifests, AcceptsValidObjectsOfEveryKind) {
  Manifests m;
  m.node_pools = {ValidNodePool()};
  m.node_classes = {ValidNodeClass()};
  m.node_claims = {ValidNodeClaim()};
  m.pods = {ValidPod()};
  m.deployments = {ValidDeployment()};
  ReplicaSet rs;
  rs.metadata.name = "rs";
  rs.selector = LabelSelector{.match_expressions = {{.key = "app", .operator_ = "Exists"}}};
  rs.template_.metadata.labels = {{"app", "x"}};
  m.replica_sets = {rs};
  StatefulSet ss;
  ss.metadata.name = "db";
  ss.selector = LabelSelector{.match_labels = {{"app", "db"}}};
  ss.template_.metadata.labels = {{"app", "db"}};
  m.stateful_sets = {ss};
  Job j;
  j.metadata.name = "j";
  j.template_.spec.restart_policy = "OnFailure";
  m.jobs = {j};
  DaemonSet ds;
  ds.metadata.name = "ds";
  ds.selector = LabelSelector{.match_labels = {{"app", "ds"}}};
  ds.template_.metadata.labels = {{"app", "ds"}};
  m.daemon_sets = {ds};
  PodDisruptionBudget pdb;
  pdb.metadata.name = "pdb";
  pdb.min_available = "50%";
  m.pod_disruption_budgets = {pdb};
  Node n;
  n.metadata.name = "n1";
  m.nodes = {n};
  EXPECT_TRUE(ValidateManifests(m).ok()) << ValidateManifests(m);
}

TEST(ValidateManifests, DuplicateNamesPerKindAndNamespace) {
  Manifests m;
  NodePool a = ValidNodePool();
  NodePool b = ValidNodePool();
  b.source.file = "other.yaml";
  b.source.document = 2;
  m.node_pools = {a, b};
  absl::Status s = ValidateManifests(m);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(Msg(s),
            "other.yaml: NodePool/default: metadata.name: Duplicate value: \"default\": NodePool "
            "names must be unique; also defined in np.yaml (document 1)");
}

TEST(ValidateManifests, SameNameInOtherNamespaceOrKindIsFine) {
  Manifests m;
  Pod a = ValidPod();
  Pod b = ValidPod();
  b.metadata.namespace_ = "other";
  m.pods = {a, b};
  Deployment d = ValidDeployment();
  d.metadata.name = "web";
  d.metadata.namespace_ = "shop";
  m.deployments = {d};
  EXPECT_TRUE(ValidateManifests(m).ok()) << ValidateManifests(m);
  Pod c = ValidPod();
  m.pods.push_back(c);
  EXPECT_THAT(Msg(ValidateManifests(m)), HasSubstr("Pod/shop/web: metadata.name: Duplicate value"));
}

TEST(ValidateManifests, EmptyNamespaceMeansDefaultForDuplicates) {
  Manifests m;
  Pod a = ValidPod();
  a.metadata.namespace_ = "";
  Pod b = ValidPod();
  b.metadata.namespace_ = "default";
  m.pods = {a, b};
  EXPECT_THAT(Msg(ValidateManifests(m)), HasSubstr("Pod/default/web: metadata.name: Duplicate"));
}

TEST(ValidateManifests, GenerateNameObjectsAreNotDuplicates) {
  Manifests m;
  Pod a = ValidPod();
  a.metadata.name = "";
  a.metadata.generate_name = "web-";
  m.pods = {a, a};
  EXPECT_TRUE(ValidateManifests(m).ok()) << ValidateManifests(m);
  m.pods[0].spec.containers[0].resources.requests["cpu"] = Quantity::FromUnits(5);
  EXPECT_THAT(Msg(ValidateManifests(m)), StartsWith("pod.yaml: Pod/shop/web-*: spec.containers"));
}

TEST(ValidateManifests, ReportsErrorsOfSeveralObjectsEachWithItsPrefix) {
  Manifests m;
  NodePool np = ValidNodePool();
  np.weight = 0;
  Pod p = ValidPod();
  p.spec.tolerations[0].effect = "X";
  m.node_pools = {np};
  m.pods = {p};
  std::string msg = Msg(ValidateManifests(m));
  EXPECT_THAT(msg, StartsWith("np.yaml: NodePool/default: spec.weight"));
  EXPECT_THAT(msg, HasSubstr("\npod.yaml: Pod/shop/web: spec.tolerations[0].effect"));
}

TEST(ValidateManifests, CapsTheNumberOfReportedErrors) {
  Manifests m;
  for (int i = 0; i < 80; ++i) {
    Pod p = ValidPod();
    p.metadata.name = "p" + std::to_string(i);
    p.spec.tolerations[0].effect = "X";
    m.pods.push_back(p);
  }
  std::string msg = Msg(ValidateManifests(m));
  EXPECT_THAT(msg, HasSubstr("\n... and 30 more errors"));
}

TEST(ValidateManifests, WorkloadSelectorsMustMatchTemplates) {
  Manifests m;
  Deployment d = ValidDeployment();
  d.selector->match_labels["app"] = "api";
  m.deployments = {d};
  EXPECT_THAT(Msg(ValidateManifests(m)),
              HasSubstr("web.yaml: Deployment/default/web: spec.template.metadata.labels: Invalid "
                        "value: {app: web, tier: front}: `selector` does not match template "
                        "`labels`"));
  d = ValidDeployment();
  d.selector.reset();
  m.deployments = {d};
  EXPECT_THAT(Msg(ValidateManifests(m)), HasSubstr("spec.selector: Required value"));
  d.selector = LabelSelector{};
  m.deployments = {d};
  EXPECT_THAT(Msg(ValidateManifests(m)), HasSubstr("empty selector is invalid for deployment"));
}

TEST(ValidateManifests, WorkloadReplicasAndRestartPolicies) {
  Manifests m;
  Deployment d = ValidDeployment();
  d.replicas = -1;
  d.template_.spec.restart_policy = "Never";
  m.deployments = {d};
  Job j;
  j.metadata.name = "j";
  j.parallelism = -2;
  m.jobs = {j};
  Job always = j;
  always.metadata.name = "always";
  always.parallelism = 1;
  always.template_.spec.restart_policy = "Always";
  m.jobs.push_back(always);
  std::string msg = Msg(ValidateManifests(m));
  EXPECT_THAT(msg, HasSubstr("Deployment/default/web: spec.replicas: Invalid value: -1"));
  EXPECT_THAT(msg, HasSubstr("Deployment/default/web: spec.template.spec.restartPolicy: "
                             "Unsupported value: \"Never\": supported values: \"Always\""));
  EXPECT_THAT(msg, HasSubstr("Job/default/j: spec.parallelism: Invalid value: -2"));
  EXPECT_THAT(msg, HasSubstr("Job/default/j: spec.template.spec.restartPolicy: Required value"));
  EXPECT_THAT(msg, HasSubstr("Job/default/always: spec.template.spec.restartPolicy: Unsupported "
                             "value: \"Always\""));
}

TEST(ValidateManifests, PodDisruptionBudgets) {
  Manifests m;
  PodDisruptionBudget p;
  p.metadata.name = "p";
  p.min_available = "1";
  p.max_unavailable = "1";
  PodDisruptionBudget q;
  q.metadata.name = "q";
  q.min_available = "150%";
  PodDisruptionBudget r;
  r.metadata.name = "r";
  r.max_unavailable = "half";
  PodDisruptionBudget s;
  s.metadata.name = "s";
  s.min_available = "-1";
  m.pod_disruption_budgets = {p, q, r, s};
  std::string msg = Msg(ValidateManifests(m));
  EXPECT_THAT(msg, HasSubstr("PodDisruptionBudget/default/p: spec: Invalid value: \"object\": "
                             "minAvailable and maxUnavailable cannot be both set"));
  EXPECT_THAT(msg, HasSubstr("PodDisruptionBudget/default/q: spec.minAvailable: Invalid value: "
                             "\"150%\": must not be greater than 100%"));
  EXPECT_THAT(msg, HasSubstr("PodDisruptionBudget/default/r: spec.maxUnavailable: Invalid value: "
                             "\"half\": a valid percent string"));
  EXPECT_THAT(msg, HasSubstr("PodDisruptionBudget/default/s: spec.minAvailable: Invalid value: "
                             "\"-1\": must be greater than or equal to 0"));
}

TEST(ValidateManifests, EmptyManifestsAreValid) { EXPECT_TRUE(ValidateManifests({}).ok()); }

}  // namespace
}  // namespace joinery::api
