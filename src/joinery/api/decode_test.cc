#include "joinery/api/decode.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "joinery/api/defaults.h"

namespace joinery::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

absl::StatusOr<Manifests> Decode(std::string_view text, std::string_view file = "x.yaml") {
  Manifests m;
  absl::Status s = DecodeDocuments(text, file, m);
  if (!s.ok()) return s;
  return m;
}

// Expects decoding to fail and returns the message.
std::string DecodeError(std::string_view text, std::string_view file = "x.yaml") {
  absl::StatusOr<Manifests> m = Decode(text, file);
  EXPECT_FALSE(m.ok()) << "decoded without error:\n" << text;
  if (m.ok()) return "";
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  return Msg(m.status());
}

constexpr std::string_view kNodePool = R"(
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
  labels: {team: infra}
spec:
  template:
    metadata:
      labels:
        billing: team-a
        enabled: true
        tier: 3
      annotations:
        example.com/owner: me
    spec:
      taints:
        - key: example.com/special
          value: "true"
          effect: NoSchedule
      startupTaints:
        - key: example.com/init
          effect: NoExecute
      requirements:
        - key: karpenter.k8s.aws/instance-category
          operator: In
          values: ["c", "m", "r"]
          minValues: 2
        - key: karpenter.k8s.aws/instance-generation
          operator: Gt
          values: ["2"]
      nodeClassRef:
        group: karpenter.k8s.aws
        kind: EC2NodeClass
        name: default
      expireAfter: Never
      terminationGracePeriod: 48h
  disruption:
    consolidationPolicy: WhenEmpty
    consolidateAfter: 1m30s
    budgets:
      - nodes: "20%"
        reasons: [Empty, Drifted]
      - nodes: "0"
        schedule: "@daily"
        duration: 10m
  limits:
    cpu: 1000
    memory: 1000Gi
    nvidia.com/gpu: 8
  weight: 50
)";

TEST(DecodeNodePool, DecodesEveryField) {
  absl::StatusOr<Manifests> m = Decode(kNodePool);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->node_pools.size(), 1u);
  const NodePool& np = m->node_pools[0];
  EXPECT_EQ(np.metadata.name, "default");
  EXPECT_EQ(np.metadata.labels.at("team"), "infra");
  EXPECT_EQ(np.source.file, "x.yaml");
  EXPECT_EQ(np.source.document, 0);
  EXPECT_EQ(np.template_.labels.at("billing"), "team-a");
  EXPECT_EQ(np.template_.annotations.at("example.com/owner"), "me");
  ASSERT_EQ(np.template_.spec.taints.size(), 1u);
  EXPECT_EQ(np.template_.spec.taints[0],
            (Taint{.key = "example.com/special", .value = "true", .effect = "NoSchedule"}));
  ASSERT_EQ(np.template_.spec.startup_taints.size(), 1u);
  EXPECT_EQ(np.template_.spec.startup_taints[0].effect, "NoExecute");
  const auto& reqs = np.template_.spec.requirements;
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].key, "karpenter.k8s.aws/instance-category");
  EXPECT_EQ(reqs[0].operator_, "In");
  EXPECT_THAT(reqs[0].values, ElementsAre("c", "m", "r"));
  EXPECT_EQ(reqs[0].min_values, 2);
  EXPECT_EQ(reqs[1].operator_, "Gt");
  EXPECT_FALSE(reqs[1].min_values.has_value());
  EXPECT_EQ(np.template_.spec.node_class_ref.group, "karpenter.k8s.aws");
  EXPECT_EQ(np.template_.spec.node_class_ref.kind, "EC2NodeClass");
  EXPECT_EQ(np.template_.spec.node_class_ref.name, "default");
  EXPECT_TRUE(np.template_.spec.expire_after.never());
  ASSERT_TRUE(np.template_.spec.termination_grace_period.has_value());
  EXPECT_EQ(np.template_.spec.termination_grace_period->seconds, 48 * 3600);
  EXPECT_EQ(np.disruption.consolidation_policy, "WhenEmpty");
  EXPECT_EQ(np.disruption.consolidate_after.seconds, 90);
  EXPECT_EQ(np.disruption.consolidate_after.text, "1m30s");
  ASSERT_EQ(np.disruption.budgets.size(), 2u);
  EXPECT_EQ(np.disruption.budgets[0].nodes, "20%");
  EXPECT_THAT(np.disruption.budgets[0].reasons, ElementsAre("Empty", "Drifted"));
  EXPECT_FALSE(np.disruption.budgets[0].schedule.has_value());
  EXPECT_EQ(np.disruption.budgets[1].nodes, "0");
  EXPECT_EQ(np.disruption.budgets[1].schedule, "@daily");
  EXPECT_EQ(np.disruption.budgets[1].duration, "10m");
  EXPECT_EQ(np.limits.at("cpu").milli(), 1000 * 1000);
  EXPECT_EQ(np.limits.at("memory").ToString(), "1000Gi");
  EXPECT_EQ(np.limits.at("nvidia.com/gpu").value(), 8);
  EXPECT_EQ(np.weight, 50);
  EXPECT_FALSE(np.replicas.has_value());
}

TEST(DecodeNodePool, AcceptsUnquotedBooleansAndNumbersInLabelsAsText) {
  absl::StatusOr<Manifests> m = Decode(kNodePool);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->node_pools[0].template_.labels.at("enabled"), "true");
  EXPECT_EQ(m->node_pools[0].template_.labels.at("tier"), "3");
}

TEST(DecodeNodePool, LeavesStructDefaultsWhenFieldsAreAbsent) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: minimal}
spec:
  template:
    spec:
      requirements: []
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  const NodePool& np = m->node_pools[0];
  EXPECT_EQ(np.disruption.consolidation_policy, "WhenEmptyOrUnderutilized");
  EXPECT_EQ(np.disruption.consolidate_after.seconds, 0);
  EXPECT_EQ(np.template_.spec.expire_after.seconds, 720 * 3600);
  EXPECT_FALSE(np.template_.spec.termination_grace_period.has_value());
  EXPECT_TRUE(np.disruption.budgets.empty()) << "ApplyDefaults fills budgets, not the decoder";
  EXPECT_FALSE(np.weight.has_value());
  EXPECT_TRUE(np.limits.empty());
}

TEST(DecodeNodePool, BudgetWithoutNodesKeepsTenPercent) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: a}
spec:
  disruption:
    budgets: [{reasons: [Empty]}]
  template:
    spec:
      requirements: []
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->node_pools[0].disruption.budgets[0].nodes, "10%");
}

TEST(DecodeNodePool, StaticReplicas) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: static}
spec:
  replicas: 3
  template:
    spec:
      requirements: []
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->node_pools[0].replicas, 3);
}

TEST(DecodeNodePool, StatusConditionsAreRead) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  template:
    spec:
      requirements: []
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
status:
  conditions:
    - {type: Ready, status: "False", reason: NodeClassNotReady, lastTransitionTime: "2026-01-01T00:00:00Z"}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->node_pools[0].status_conditions.size(), 1u);
  EXPECT_EQ(m->node_pools[0].status_conditions[0].type, "Ready");
  EXPECT_EQ(m->node_pools[0].status_conditions[0].status, "False");
  EXPECT_EQ(m->node_pools[0].status_conditions[0].reason, "NodeClassNotReady");
}

TEST(DecodeNodePool, MissingRequirementsIsRequired) {
  EXPECT_EQ(DecodeError(R"(
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
)"),
            "x.yaml: NodePool/default: spec.template.spec.requirements: Required value");
}

TEST(DecodeNodePool, MissingNodeClassRefIsRequired) {
  EXPECT_EQ(DecodeError(R"(
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  template:
    spec:
      requirements: []
)"),
            "x.yaml: NodePool/default: spec.template.spec.nodeClassRef: Required value");
}

TEST(DecodeNodePool, MissingSpecIsRequired) {
  EXPECT_EQ(DecodeError("apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: a}\n"),
            "x.yaml: NodePool/a: spec: Required value");
}

TEST(DecodeErrors, IntegerFieldWithWordNamesFileObjectAndPath) {
  std::string yaml(kNodePool);
  yaml.replace(yaml.find("weight: 50"), 10, "weight: high");
  EXPECT_EQ(DecodeError(yaml, "examples/x.yaml"),
            "examples/x.yaml: NodePool/default: spec.weight: must be an integer, got \"high\"");
}

TEST(DecodeErrors, QuotedIntegerIsAString) {
  std::string yaml(kNodePool);
  yaml.replace(yaml.find("weight: 50"), 10, "weight: \"50\"");
  EXPECT_THAT(DecodeError(yaml),
              HasSubstr("spec.weight: must be an integer, got the string \"50\""));
}

TEST(DecodeErrors, IntegerOutOfRange) {
  std::string yaml(kNodePool);
  yaml.replace(yaml.find("weight: 50"), 10, "weight: 99999999999");
  EXPECT_THAT(
      DecodeError(yaml),
      HasSubstr("spec.weight: integer 99999999999 is out of range [-2147483648, 2147483647]"));
}

TEST(DecodeErrors, MapWhereStringExpected) {
  std::string yaml(kNodePool);
  yaml.replace(yaml.find("name: default\n  labels"), 13, "name: {a: b}");
  EXPECT_THAT(DecodeError(yaml), HasSubstr("metadata.name: must be a string, got an object"));
}

TEST(DecodeErrors, ScalarWhereListExpected) {
  std::string yaml(kNodePool);
  const std::string values = "values: [\"c\", \"m\", \"r\"]";
  yaml.replace(yaml.find(values), values.size(), "values: c");
  EXPECT_EQ(DecodeError(yaml),
            "x.yaml: NodePool/default: spec.template.spec.requirements[0].values: must be a list, "
            "got \"c\"");
}

TEST(DecodeErrors, ListWhereObjectExpected) {
  std::string yaml(kNodePool);
  yaml.replace(yaml.find("nodeClassRef:"), 13, "nodeClassRef: []\n      x:");
  EXPECT_THAT(DecodeError(yaml),
              HasSubstr("spec.template.spec.nodeClassRef: must be an object, got a list"));
}

TEST(DecodeErrors, BadQuantityNamesResource) {
  std::string yaml(kNodePool);
  yaml.replace(yaml.find("cpu: 1000"), 9, "cpu: lots");
  EXPECT_EQ(DecodeError(yaml),
            "x.yaml: NodePool/default: spec.limits[cpu]: quantity \"lots\": must start with a "
            "number");
}

TEST(DecodeErrors, BadDurationNamesField) {
  std::string yaml(kNodePool);
  yaml.replace(yaml.find("expireAfter: Never"), 18, "expireAfter: 5d");
  EXPECT_THAT(DecodeError(yaml),
              HasSubstr("NodePool/default: spec.template.spec.expireAfter: duration \"5d\""));
}

TEST(DecodeErrors, NeverIsNotATerminationGracePeriod) {
  std::string yaml(kNodePool);
  yaml.replace(yaml.find("terminationGracePeriod: 48h"), 27, "terminationGracePeriod: Never");
  EXPECT_THAT(DecodeError(yaml), HasSubstr("spec.template.spec.terminationGracePeriod: duration"));
}

TEST(DecodeErrors, BooleanFieldRejectsOtherWords) {
  EXPECT_THAT(DecodeError(R"(
apiVersion: v1
kind: Node
metadata: {name: n}
spec: {unschedulable: maybe}
)"),
              HasSubstr("x.yaml: Node/n: spec.unschedulable: must be a boolean, got \"maybe\""));
}

TEST(DecodeErrors, DuplicateKeysAreRejected) {
  EXPECT_THAT(DecodeError("apiVersion: v1\nkind: Pod\nmetadata: {name: a, name: b}\n"),
              HasSubstr("metadata: duplicate key \"name\""));
}

TEST(DecodeErrors, NonStringKeysAreRejected) {
  EXPECT_THAT(DecodeError("apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {[x]: y}}\n"),
              HasSubstr("metadata.labels: keys must be strings"));
}

TEST(DecodeErrors, MissingKind) {
  EXPECT_EQ(DecodeError("---\napiVersion: v1\nmetadata: {name: a}\n"),
            "x.yaml: document 1 (line 2): kind: Required value");
}

TEST(DecodeErrors, MissingApiVersion) {
  EXPECT_EQ(DecodeError("kind: Pod\nmetadata: {name: a}\n"),
            "x.yaml: document 1 (line 1): apiVersion: Required value");
}

TEST(DecodeErrors, MissingNameWithoutGenerateName) {
  EXPECT_EQ(DecodeError("apiVersion: v1\nkind: Pod\nmetadata: {namespace: x}\n"),
            "x.yaml: Pod (document 1 (line 1)): metadata.name: Required value: name or "
            "generateName is required");
  EXPECT_THAT(DecodeError("apiVersion: v1\nkind: Pod\n"), HasSubstr("metadata.name: Required"));
}

TEST(DecodeErrors, GenerateNameIsEnough) {
  absl::StatusOr<Manifests> m =
      Decode("apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\n");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->pods[0].metadata.generate_name, "web-");
  EXPECT_EQ(m->pods[0].metadata.name, "");
}

TEST(DecodeErrors, UnsupportedApiVersionIsNamed) {
  std::string yaml(kNodePool);
  yaml.replace(yaml.find("karpenter.sh/v1"), 15, "karpenter.sh/v1beta1");
  EXPECT_EQ(DecodeError(yaml),
            "x.yaml: NodePool/default: apiVersion: unsupported apiVersion \"karpenter.sh/v1beta1\" "
            "for NodePool; Joinery reads karpenter.sh/v1");
}

TEST(DecodeErrors, WrongGroupForKnownKind) {
  EXPECT_THAT(
      DecodeError("apiVersion: karpenter.k8s.aws/v1\nkind: NodePool\nmetadata: {name: a}\n"),
      HasSubstr("unsupported apiVersion \"karpenter.k8s.aws/v1\" for NodePool; NodePool is "
                "in karpenter.sh/v1"));
  EXPECT_THAT(
      DecodeError("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: a}\n"),
      HasSubstr("Deployment/default/a: apiVersion: unsupported apiVersion"));
}

TEST(DecodeErrors, DocumentThatIsNotAnObject) {
  EXPECT_THAT(DecodeError("just some text"),
              HasSubstr("must be an object, got \"just some text\""));
  EXPECT_THAT(DecodeError("- a\n- b\n"), HasSubstr("must be an object, got a list"));
}

TEST(DecodeErrors, InvalidYamlNamesFileLineAndColumn) {
  std::string msg = DecodeError("apiVersion: v1\nkind: Pod\nmetadata: {name: [a, b\n", "pods.yaml");
  EXPECT_THAT(msg, StartsWith("pods.yaml:"));
  EXPECT_THAT(msg, HasSubstr("invalid YAML"));
  EXPECT_THAT(DecodeError("a: b\n c: d\n  - e\n", "bad.yaml"), StartsWith("bad.yaml:"));
}

TEST(DecodeErrors, CommaAfterTopLevelFlowCollectionIsAnErrorNotAHang) {
  // yaml-cpp 0.7's own LoadAll() never returns on these.
  EXPECT_THAT(DecodeError("{apiVersion: v1, kind: Pod, metadata: {name: a}},"),
              HasSubstr("x.yaml:1:49: invalid YAML: unexpected content after the end of a "
                        "document"));
  EXPECT_THAT(DecodeError("{apiVersion: v1, kind: List, items: []},b"), HasSubstr("invalid YAML"));
  EXPECT_FALSE(Decode("{a: b},").ok());
  EXPECT_FALSE(Decode("[a],b").ok());
}

TEST(DecodeErrors, DocumentsAreDecodedOneAtATime) {
  // A bad later document still fails the whole input, and nothing is appended.
  Manifests m;
  absl::Status s = DecodeDocuments(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkind: Pod\n", "x.yaml", m);
  EXPECT_THAT(Msg(s), HasSubstr("x.yaml: document 2 (line 5): apiVersion: Required value"));
  EXPECT_TRUE(m.pods.empty());
}

TEST(DecodeErrors, DeepNestingIsAnErrorNotACrash) {
  EXPECT_THAT(DecodeError(std::string(100000, '[')), HasSubstr("x.yaml:"));
  EXPECT_THAT(DecodeError(std::string(100000, '{')), HasSubstr("x.yaml:"));
  std::string dashes;
  for (int i = 0; i < 20000; ++i) dashes += "- ";
  EXPECT_THAT(DecodeError(dashes + "x"), HasSubstr("x.yaml:"));
}

TEST(DecodeErrors, NestedListBillionLaughsIsBounded) {
  // Ten-way fan-out over eight levels of Lists would be 10^8 pods once expanded.
  std::string yaml = "apiVersion: v1\nkind: List\nanchors:\n";
  yaml += "  p: &p {apiVersion: v1, kind: Pod, metadata: {name: p}}\n";
  std::string prev = "p";
  for (int i = 0; i < 8; ++i) {
    std::string name = "l" + std::to_string(i);
    yaml += "  " + name + ": &" + name + " {apiVersion: v1, kind: List, items: [";
    for (int j = 0; j < 10; ++j) yaml += (j > 0 ? ", *" : "*") + prev;
    yaml += "]}\n";
    prev = name;
  }
  yaml += "items: [*" + prev + "]\n";
  EXPECT_THAT(DecodeError(yaml), HasSubstr("nested too deeply"));
}

TEST(DecodeErrors, WideAliasFanOutHitsTheBudget) {
  // A pod with 100 labels referenced 2000 times: 200,000 decoded nodes from a ~12 KB input.
  std::string yaml = "apiVersion: v1\nkind: List\nlabels: &l\n";
  for (int i = 0; i < 100; ++i) yaml += "  k" + std::to_string(i) + ": v\n";
  yaml += "pod: &p {apiVersion: v1, kind: Pod, metadata: {name: p, labels: *l}}\nitems:\n";
  for (int i = 0; i < 2000; ++i) yaml += "- *p\n";
  EXPECT_THAT(DecodeError(yaml), HasSubstr("too complex"));
}

TEST(DecodeErrors, ModestAliasReuseIsFine) {
  // Shared tolerations for 50 pods: a common, legitimate use of anchors.
  std::string yaml =
      "apiVersion: v1\nkind: List\ntolerations: &t [{key: a, operator: Exists}, {key: b, "
      "operator: Exists}]\nitems:\n";
  for (int i = 0; i < 50; ++i) {
    yaml += "- {apiVersion: v1, kind: Pod, metadata: {name: p" + std::to_string(i) +
            "}, spec: {tolerations: *t}}\n";
  }
  absl::StatusOr<Manifests> m = Decode(yaml);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->pods.size(), 50u);
  EXPECT_EQ(m->pods[49].spec.tolerations.size(), 2u);
}

TEST(DecodeErrors, SelfReferentialAliasesTerminate) {
  EXPECT_THAT(DecodeError("&a {apiVersion: v1, kind: List, items: [*a]}"),
              HasSubstr("nested too deeply"));
  EXPECT_THAT(DecodeError("apiVersion: v1\nkind: Pod\nmetadata: &m {name: a, <<: *m}\n"),
              HasSubstr("merge keys (<<) nested too deeply"));
  EXPECT_THAT(DecodeError("apiVersion: v1\nkind: Pod\nmetadata: {name: a, finalizers: &f [*f]}\n"),
              HasSubstr("metadata.finalizers[0]: must be a string, got a list"));
}

TEST(DecodeErrors, OversizedInputIsRejected) {
  std::string big((size_t{64} << 20) + 1, ' ');
  EXPECT_THAT(DecodeError(big), HasSubstr("limit is 64 MiB"));
}

TEST(DecodeErrors, NothingIsAppendedOnError) {
  Manifests m;
  absl::Status s = DecodeDocuments(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Pod\n", "x", m);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(m.pods.empty());
}

TEST(DecodeDocuments, MultipleDocumentsAndEmptyOnesAreSkipped) {
  absl::StatusOr<Manifests> m = Decode(R"(---
# just a comment
---
apiVersion: v1
kind: Pod
metadata: {name: a}
---
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: team}
...
)");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->pods.size(), 2u);
  EXPECT_EQ(m->pods[0].metadata.name, "a");
  EXPECT_EQ(m->pods[1].metadata.namespace_, "team");
  EXPECT_LT(m->pods[0].source.document, m->pods[1].source.document);
}

TEST(DecodeDocuments, AppendsToExistingManifests) {
  Manifests m;
  ASSERT_TRUE(DecodeDocuments("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n", "1", m).ok());
  ASSERT_TRUE(DecodeDocuments("apiVersion: v1\nkind: Pod\nmetadata: {name: b}\n", "2", m).ok());
  ASSERT_EQ(m.pods.size(), 2u);
  EXPECT_EQ(m.pods[1].source.file, "2");
}

TEST(DecodeDocuments, EmptyInputIsNoObjects) {
  absl::StatusOr<Manifests> m = Decode("");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->pods.empty());
  EXPECT_TRUE(Decode("\n\n# nothing\n").ok());
}

TEST(DecodeDocuments, KindListItems) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: a}
  - apiVersion: v1
    kind: Service
    metadata: {name: svc}
  - apiVersion: v1
    kind: PodList
    items:
      - {apiVersion: v1, kind: Pod, metadata: {name: b}}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->pods.size(), 2u);
  EXPECT_EQ(m->pods[1].metadata.name, "b");
  EXPECT_EQ(m->ignored_kinds.at("Service"), 1);
}

TEST(DecodeDocuments, ErrorsInListItemsNameTheItem) {
  EXPECT_THAT(DecodeError("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1}\n"),
              HasSubstr("items[0]: kind: Required value"));
}

TEST(DecodeDocuments, JsonParsesAsYaml) {
  absl::StatusOr<Manifests> m = Decode(R"({
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
  "spec": {
    "containers": [{"name": "c", "resources": {"requests": {"cpu": "250m", "memory": 1073741824}}}],
    "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute",
                     "tolerationSeconds": 30}]
  }
})",
                                       "pod.json");
  ASSERT_TRUE(m.ok()) << m.status();
  const Pod& p = m->pods[0];
  EXPECT_EQ(p.metadata.namespace_, "shop");
  EXPECT_EQ(p.spec.containers[0].resources.requests.at("cpu").milli(), 250);
  EXPECT_EQ(p.spec.containers[0].resources.requests.at("memory").value(), 1073741824);
  EXPECT_EQ(p.spec.tolerations[0].toleration_seconds, 30);
}

TEST(DecodeDocuments, IgnoredKindsAreCounted) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->ignored_kinds.at("Namespace"), 1);
  EXPECT_EQ(m->ignored_kinds.at("ConfigMap"), 2);
}

TEST(DecodeDocuments, UnknownFieldsAreIgnored) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: v1
kind: Pod
metadata: {name: a, managedFields: [{x: 1}]}
spec:
  containers: [{name: c, args: ["--x"], env: [{name: A, value: b}]}]
  somethingNew: {deep: [1, 2, 3]}
status: {hostIP: 10.0.0.1}
)");
  ASSERT_TRUE(m.ok()) << m.status();
}

TEST(DecodeDocuments, NullFieldsAreAbsent) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: v1
kind: Pod
metadata:
  name: a
  creationTimestamp: null
  labels:
spec:
  nodeSelector: ~
  containers:
)");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->pods[0].metadata.creation_timestamp, "");
  EXPECT_TRUE(m->pods[0].spec.containers.empty());
}

TEST(DecodeDocuments, MergeKeysAreResolved) {
  absl::StatusOr<Manifests> m = Decode(R"(
base: &base
  apiVersion: v1
  kind: Pod
---
<<: *base
metadata: {name: merged}
)");
  // The first document has no metadata.name: it is a Pod without a name.
  EXPECT_FALSE(m.ok());
  m = Decode(R"(
apiVersion: v1
kind: List
items:
  - &p {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {x: "1"}}, spec: {nodeName: n1}}
  - <<: *p
    metadata: {name: b}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->pods.size(), 2u);
  EXPECT_EQ(m->pods[1].metadata.name, "b");
  EXPECT_TRUE(m->pods[1].metadata.labels.empty()) << "explicit keys win over merged ones";
  EXPECT_EQ(m->pods[1].spec.node_name, "n1");
}

TEST(DecodeDocuments, MergeKeyPrecedence) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: v1
kind: List
defs:
  - &a {nodeName: from-a, priority: 1}
  - &b {nodeName: from-b, priority: 2, schedulerName: from-b}
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      <<: [*a, *b]
      priority: 3
)");
  ASSERT_TRUE(m.ok()) << m.status();
  const PodSpec& s = m->pods[0].spec;
  EXPECT_EQ(s.priority, 3) << "explicit keys win";
  EXPECT_EQ(s.node_name, "from-a") << "earlier merges win over later ones";
  EXPECT_EQ(s.scheduler_name, "from-b");
}

TEST(DecodeDocuments, ManyUnknownFieldsAreCheap) {
  std::string yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n";
  for (int i = 0; i < 5000; ++i) yaml += "  unknown" + std::to_string(i) + ": x\n";
  yaml += "  nodeName: n1\n";
  absl::StatusOr<Manifests> m = Decode(yaml);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->pods[0].spec.node_name, "n1");
}

constexpr std::string_view kPod = R"(
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  uid: 1234
  resourceVersion: "99"
  creationTimestamp: "2024-05-01T10:00:00Z"
  deletionTimestamp: "2024-05-02T10:00:00Z"
  generation: 2
  annotations: {karpenter.sh/do-not-disrupt: "true"}
  ownerReferences:
    - {apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, uid: u1, controller: true}
  finalizers: [example.com/f]
spec:
  nodeName: node-1
  schedulerName: default-scheduler
  priorityClassName: high
  priority: 1000
  restartPolicy: Always
  serviceAccountName: sa
  nodeSelector: {kubernetes.io/arch: arm64}
  overhead: {cpu: 10m}
  containers:
    - name: app
      image: nginx
      ports:
        - {name: http, containerPort: 80, hostPort: 8080, hostIP: 0.0.0.0, protocol: UDP}
      resources:
        requests: {cpu: 500m, memory: 1Gi}
        limits: {cpu: "1", memory: 2Gi, nvidia.com/gpu: 1}
  initContainers:
    - name: sidecar
      restartPolicy: Always
      resources: {requests: {cpu: 100m}}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - {key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}
            matchFields:
              - {key: metadata.name, operator: NotIn, values: [bad-node]}
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 10
          preference:
            matchExpressions: [{key: karpenter.sh/capacity-type, operator: In, values: [spot]}]
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - labelSelector: {matchLabels: {app: db}}
          topologyKey: topology.kubernetes.io/zone
          namespaces: [data]
          namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}
          matchLabelKeys: [pod-template-hash]
          mismatchLabelKeys: [tenant]
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            labelSelector:
              matchExpressions: [{key: app, operator: In, values: [web]}]
            topologyKey: kubernetes.io/hostname
  tolerations:
    - {key: dedicated, operator: Equal, value: web, effect: NoSchedule}
    - {operator: Exists}
    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute,
       tolerationSeconds: 300}
  topologySpreadConstraints:
    - maxSkew: 2
      topologyKey: topology.kubernetes.io/zone
      whenUnsatisfiable: ScheduleAnyway
      labelSelector: {matchLabels: {app: web}}
      minDomains: 3
      nodeAffinityPolicy: Ignore
      nodeTaintsPolicy: Honor
      matchLabelKeys: [pod-template-hash]
  volumes:
    - name: data
      persistentVolumeClaim: {claimName: data-web-0}
    - name: tmp
      emptyDir: {}
status:
  phase: Pending
  nominatedNodeName: node-2
  conditions:
    - {type: PodScheduled, status: "False", reason: Unschedulable, message: "0/3 nodes"}
)";

TEST(DecodePod, DecodesEveryField) {
  absl::StatusOr<Manifests> m = Decode(kPod);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->pods.size(), 1u);
  const Pod& p = m->pods[0];
  EXPECT_EQ(p.metadata.uid, "1234");
  EXPECT_EQ(p.metadata.resource_version, "99");
  EXPECT_EQ(p.metadata.creation_timestamp, "2024-05-01T10:00:00Z");
  EXPECT_EQ(p.metadata.deletion_timestamp, "2024-05-02T10:00:00Z");
  EXPECT_EQ(p.metadata.generation, 2);
  EXPECT_EQ(p.metadata.annotations.at("karpenter.sh/do-not-disrupt"), "true");
  ASSERT_EQ(p.metadata.owner_references.size(), 1u);
  EXPECT_EQ(p.metadata.owner_references[0].kind, "ReplicaSet");
  EXPECT_TRUE(p.metadata.owner_references[0].controller);
  EXPECT_THAT(p.metadata.finalizers, ElementsAre("example.com/f"));

  const PodSpec& s = p.spec;
  EXPECT_EQ(s.node_name, "node-1");
  EXPECT_EQ(s.scheduler_name, "default-scheduler");
  EXPECT_EQ(s.priority_class_name, "high");
  EXPECT_EQ(s.priority, 1000);
  EXPECT_EQ(s.restart_policy, "Always");
  EXPECT_EQ(s.service_account_name, "sa");
  EXPECT_EQ(s.node_selector.at("kubernetes.io/arch"), "arm64");
  EXPECT_EQ(s.overhead.at("cpu").milli(), 10);
  ASSERT_EQ(s.containers.size(), 1u);
  const Container& c = s.containers[0];
  EXPECT_EQ(c.name, "app");
  EXPECT_EQ(c.image, "nginx");
  EXPECT_EQ(c.resources.requests.at("cpu").milli(), 500);
  EXPECT_EQ(c.resources.limits.at("memory").ToString(), "2Gi");
  EXPECT_EQ(c.resources.limits.at("nvidia.com/gpu").value(), 1);
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].name, "http");
  EXPECT_EQ(c.ports[0].container_port, 80);
  EXPECT_EQ(c.ports[0].host_port, 8080);
  EXPECT_EQ(c.ports[0].host_ip, "0.0.0.0");
  EXPECT_EQ(c.ports[0].protocol, "UDP");
  ASSERT_EQ(s.init_containers.size(), 1u);
  EXPECT_EQ(s.init_containers[0].restart_policy, "Always");

  ASSERT_TRUE(s.affinity.has_value());
  const NodeAffinity& na = *s.affinity->node_affinity;
  ASSERT_TRUE(na.required.has_value());
  ASSERT_EQ(na.required->size(), 1u);
  EXPECT_EQ((*na.required)[0].match_expressions[0].key, "topology.kubernetes.io/zone");
  EXPECT_THAT((*na.required)[0].match_expressions[0].values, ElementsAre("us-east-1a"));
  EXPECT_EQ((*na.required)[0].match_fields[0].key, "metadata.name");
  ASSERT_EQ(na.preferred.size(), 1u);
  EXPECT_EQ(na.preferred[0].weight, 10);
  EXPECT_EQ(na.preferred[0].preference.match_expressions[0].values[0], "spot");
  const PodAffinity& pa = *s.affinity->pod_affinity;
  ASSERT_EQ(pa.required.size(), 1u);
  EXPECT_EQ(pa.required[0].label_selector->match_labels.at("app"), "db");
  EXPECT_EQ(pa.required[0].topology_key, "topology.kubernetes.io/zone");
  EXPECT_THAT(pa.required[0].namespaces, ElementsAre("data"));
  EXPECT_EQ(pa.required[0].namespace_selector->match_expressions[0].operator_, "Exists");
  EXPECT_THAT(pa.required[0].match_label_keys, ElementsAre("pod-template-hash"));
  EXPECT_THAT(pa.required[0].mismatch_label_keys, ElementsAre("tenant"));
  const PodAffinity& anti = *s.affinity->pod_anti_affinity;
  ASSERT_EQ(anti.preferred.size(), 1u);
  EXPECT_EQ(anti.preferred[0].weight, 100);
  EXPECT_EQ(anti.preferred[0].pod_affinity_term.topology_key, "kubernetes.io/hostname");
  EXPECT_EQ(anti.preferred[0].pod_affinity_term.label_selector->match_expressions[0].values[0],
            "web");

  ASSERT_EQ(s.tolerations.size(), 3u);
  EXPECT_EQ(s.tolerations[0].value, "web");
  EXPECT_EQ(s.tolerations[1].key, "");
  EXPECT_EQ(s.tolerations[2].toleration_seconds, 300);
  ASSERT_EQ(s.topology_spread_constraints.size(), 1u);
  const TopologySpreadConstraint& tsc = s.topology_spread_constraints[0];
  EXPECT_EQ(tsc.max_skew, 2);
  EXPECT_EQ(tsc.when_unsatisfiable, "ScheduleAnyway");
  EXPECT_EQ(tsc.min_domains, 3);
  EXPECT_EQ(tsc.node_affinity_policy, "Ignore");
  EXPECT_EQ(tsc.node_taints_policy, "Honor");
  EXPECT_THAT(tsc.match_label_keys, ElementsAre("pod-template-hash"));
  ASSERT_EQ(s.volumes.size(), 2u);
  EXPECT_EQ(s.volumes[0].pvc_claim_name, "data-web-0");
  EXPECT_FALSE(s.volumes[1].pvc_claim_name.has_value());

  EXPECT_EQ(p.status.phase, "Pending");
  EXPECT_EQ(p.status.nominated_node_name, "node-2");
  ASSERT_EQ(p.status.conditions.size(), 1u);
  EXPECT_EQ(p.status.conditions[0].reason, "Unschedulable");
}

TEST(DecodePod, ErrorsUseNamespacedName) {
  std::string yaml(kPod);
  yaml.replace(yaml.find("priority: 1000"), 14, "priority: [1]");
  EXPECT_EQ(DecodeError(yaml),
            "x.yaml: Pod/shop/web-0: spec.priority: must be an integer, got a list");
}

TEST(DecodePod, DefaultNamespaceIsShownInErrors) {
  EXPECT_EQ(DecodeError("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: 1}\n"),
            "x.yaml: Pod/default/a: spec.containers: must be a list, got \"1\"");
}

TEST(DecodeNode, DecodesSpecAndStatus) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: v1
kind: Node
metadata:
  name: ip-10-0-0-1
  labels: {karpenter.sh/nodepool: default, karpenter.sh/initialized: "true"}
spec:
  providerID: aws:///us-east-1a/i-0123
  unschedulable: true
  taints: [{key: karpenter.sh/disrupted, effect: NoSchedule}]
status:
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
  allocatable: {cpu: 3920m, memory: 15Gi, pods: "110"}
  conditions: [{type: Ready, status: "True", reason: KubeletReady, message: ok}]
)");
  ASSERT_TRUE(m.ok()) << m.status();
  const Node& n = m->nodes[0];
  EXPECT_EQ(n.provider_id, "aws:///us-east-1a/i-0123");
  EXPECT_TRUE(n.unschedulable);
  EXPECT_EQ(n.taints[0].key, "karpenter.sh/disrupted");
  EXPECT_EQ(n.capacity.at("pods").value(), 110);
  EXPECT_EQ(n.allocatable.at("cpu").milli(), 3920);
  EXPECT_EQ(n.conditions[0].type, "Ready");
  EXPECT_EQ(n.conditions[0].status, "True");
  EXPECT_EQ(n.metadata.namespace_, "");
}

TEST(DecodeNodeClaim, DecodesSpecAndStatus) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: karpenter.sh/v1
kind: NodeClaim
metadata: {name: default-abcde, labels: {karpenter.sh/nodepool: default}}
spec:
  requirements:
    - {key: karpenter.sh/nodepool, operator: In, values: [default]}
  resources: {requests: {cpu: 1500m, pods: "3"}}
  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  taints: [{key: a, effect: NoSchedule}]
  startupTaints: [{key: b, effect: NoSchedule}]
  expireAfter: 24h
  terminationGracePeriod: 1h
status:
  nodeName: ip-1
  providerID: aws:///x/i-1
  imageID: ami-123
  capacity: {cpu: "2"}
  allocatable: {cpu: 1930m}
  conditions:
    - {type: Launched, status: "True", reason: Launched, message: "",
       lastTransitionTime: "2024-01-01T00:00:00Z", observedGeneration: 1}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  const NodeClaim& nc = m->node_claims[0];
  EXPECT_EQ(nc.spec.requirements[0].key, "karpenter.sh/nodepool");
  EXPECT_EQ(nc.spec.resource_requests.at("cpu").milli(), 1500);
  EXPECT_EQ(nc.spec.node_class_ref.name, "default");
  EXPECT_EQ(nc.spec.taints[0].key, "a");
  EXPECT_EQ(nc.spec.startup_taints[0].key, "b");
  EXPECT_EQ(nc.spec.expire_after.seconds, 86400);
  EXPECT_EQ(nc.spec.termination_grace_period->seconds, 3600);
  EXPECT_EQ(nc.status.node_name, "ip-1");
  EXPECT_EQ(nc.status.provider_id, "aws:///x/i-1");
  EXPECT_EQ(nc.status.image_id, "ami-123");
  EXPECT_EQ(nc.status.capacity.at("cpu").value(), 2);
  EXPECT_EQ(nc.status.allocatable.at("cpu").milli(), 1930);
  EXPECT_EQ(nc.status.conditions[0].observed_generation, 1);
  EXPECT_EQ(nc.status.conditions[0].last_transition_time, "2024-01-01T00:00:00Z");
}

TEST(DecodeEC2NodeClass, DecodesEveryField) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  subnetSelectorTerms:
    - tags: {karpenter.sh/discovery: demo}
    - id: subnet-0abc
  securityGroupSelectorTerms:
    - name: my-sg
  capacityReservationSelectorTerms:
    - {ownerID: "123456789012", instanceMatchCriteria: open, tags: {a: b}}
  placementGroupSelector: {name: pg}
  amiSelectorTerms:
    - {tags: {team: a}, name: my-ami-*, owner: self, ssmParameter: /x/y}
  amiFamily: AL2023
  userData: |
    #!/bin/bash
    echo hi
  instanceProfile: KarpenterProfile
  tags: {team: infra}
  kubelet:
    clusterDNS: [10.0.0.10]
    maxPods: 110
    podsPerCore: 10
    systemReserved: {cpu: 100m}
    kubeReserved: {memory: 1Gi}
    evictionHard: {memory.available: 5%}
    evictionSoft: {nodefs.available: 10%}
    evictionSoftGracePeriod: {nodefs.available: 1m}
    evictionMaxPodGracePeriod: 60
    imageGCHighThresholdPercent: 85
    imageGCLowThresholdPercent: 80
    cpuCFSQuota: true
  blockDeviceMappings:
    - deviceName: /dev/xvda
      rootVolume: true
      ebs:
        deleteOnTermination: true
        encrypted: false
        iops: 3000
        kmsKeyID: arn:aws:kms:x
        snapshotID: snap-1
        throughput: 125
        volumeInitializationRate: 200
        volumeSize: 100Gi
        volumeType: gp3
  instanceStorePolicy: RAID0
  networkInterfaces:
    - {networkCardIndex: 0, deviceIndex: 0, interfaceType: interface}
  detailedMonitoring: true
  associatePublicIPAddress: false
  ipPrefixCount: 2
  metadataOptions:
    httpEndpoint: disabled
    httpProtocolIPv6: enabled
    httpPutResponseHopLimit: 2
    httpTokens: optional
  connectionTracking: {tcpEstablishedTimeout: 600, udpStreamTimeout: 120, udpTimeout: 30}
  cpuOptions: {nestedVirtualization: enabled}
  context: ctx
)");
  ASSERT_TRUE(m.ok()) << m.status();
  const EC2NodeClass& nc = m->node_classes[0];
  ASSERT_EQ(nc.subnet_selector_terms.size(), 2u);
  EXPECT_EQ(nc.subnet_selector_terms[0].tags.at("karpenter.sh/discovery"), "demo");
  EXPECT_EQ(nc.subnet_selector_terms[1].id, "subnet-0abc");
  EXPECT_EQ(nc.security_group_selector_terms[0].name, "my-sg");
  EXPECT_EQ(nc.capacity_reservation_selector_terms[0].owner_id, "123456789012");
  EXPECT_EQ(nc.capacity_reservation_selector_terms[0].instance_match_criteria, "open");
  EXPECT_EQ(nc.placement_group_selector->name, "pg");
  const AMISelectorTerm& ami = nc.ami_selector_terms[0];
  EXPECT_EQ(ami.tags.at("team"), "a");
  EXPECT_EQ(ami.name, "my-ami-*");
  EXPECT_EQ(ami.owner, "self");
  EXPECT_EQ(ami.ssm_parameter, "/x/y");
  EXPECT_EQ(nc.ami_family, "AL2023");
  EXPECT_EQ(nc.user_data, "#!/bin/bash\necho hi\n");
  EXPECT_EQ(nc.instance_profile, "KarpenterProfile");
  EXPECT_EQ(nc.tags.at("team"), "infra");
  const KubeletConfiguration& k = *nc.kubelet;
  EXPECT_THAT(k.cluster_dns, ElementsAre("10.0.0.10"));
  EXPECT_EQ(k.max_pods, 110);
  EXPECT_EQ(k.pods_per_core, 10);
  EXPECT_EQ(k.system_reserved.at("cpu"), "100m");
  EXPECT_EQ(k.kube_reserved.at("memory"), "1Gi");
  EXPECT_EQ(k.eviction_hard.at("memory.available"), "5%");
  EXPECT_EQ(k.eviction_soft.at("nodefs.available"), "10%");
  EXPECT_EQ(k.eviction_soft_grace_period.at("nodefs.available"), "1m");
  EXPECT_EQ(k.eviction_max_pod_grace_period, 60);
  EXPECT_EQ(k.image_gc_high_threshold_percent, 85);
  EXPECT_EQ(k.image_gc_low_threshold_percent, 80);
  EXPECT_EQ(k.cpu_cfs_quota, true);
  const BlockDeviceMapping& bdm = nc.block_device_mappings[0];
  EXPECT_EQ(bdm.device_name, "/dev/xvda");
  EXPECT_TRUE(bdm.root_volume);
  const BlockDevice& ebs = *bdm.ebs;
  EXPECT_EQ(ebs.delete_on_termination, true);
  EXPECT_EQ(ebs.encrypted, false);
  EXPECT_EQ(ebs.iops, 3000);
  EXPECT_EQ(ebs.kms_key_id, "arn:aws:kms:x");
  EXPECT_EQ(ebs.snapshot_id, "snap-1");
  EXPECT_EQ(ebs.throughput, 125);
  EXPECT_EQ(ebs.volume_initialization_rate, 200);
  EXPECT_EQ(ebs.volume_size->ToString(), "100Gi");
  EXPECT_EQ(ebs.volume_type, "gp3");
  EXPECT_EQ(nc.instance_store_policy, "RAID0");
  EXPECT_EQ(nc.network_interfaces[0].interface_type, "interface");
  EXPECT_EQ(nc.detailed_monitoring, true);
  EXPECT_EQ(nc.associate_public_ip_address, false);
  EXPECT_EQ(nc.ip_prefix_count, 2);
  EXPECT_EQ(nc.metadata_options.http_endpoint, "disabled");
  EXPECT_EQ(nc.metadata_options.http_protocol_ipv6, "enabled");
  EXPECT_EQ(nc.metadata_options.http_put_response_hop_limit, 2);
  EXPECT_EQ(nc.metadata_options.http_tokens, "optional");
  EXPECT_EQ(nc.connection_tracking->tcp_established_timeout, 600);
  EXPECT_EQ(nc.connection_tracking->udp_stream_timeout, 120);
  EXPECT_EQ(nc.connection_tracking->udp_timeout, 30);
  EXPECT_EQ(nc.nested_virtualization, "enabled");
  EXPECT_EQ(nc.context, "ctx");
}

TEST(DecodeEC2NodeClass, AliasAndMetadataDefaults) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  amiSelectorTerms: [{alias: bottlerocket@latest}]
  role: KarpenterNodeRole
  subnetSelectorTerms: [{tags: {a: b}}]
  securityGroupSelectorTerms: [{tags: {a: b}}]
)");
  ASSERT_TRUE(m.ok()) << m.status();
  const EC2NodeClass& nc = m->node_classes[0];
  EXPECT_EQ(nc.ami_selector_terms[0].alias, "bottlerocket@latest");
  EXPECT_EQ(nc.role, "KarpenterNodeRole");
  EXPECT_EQ(nc.metadata_options.http_tokens, "required");
  EXPECT_EQ(nc.metadata_options.http_put_response_hop_limit, 1);
  EXPECT_FALSE(nc.user_data.has_value());
}

TEST(DecodeEC2NodeClass, VolumeSizeIsAQuantity) {
  EXPECT_THAT(DecodeError(R"(
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  blockDeviceMappings: [{ebs: {volumeSize: big}}]
)"),
              HasSubstr("EC2NodeClass/default: spec.blockDeviceMappings[0].ebs.volumeSize: "
                        "quantity \"big\""));
}

TEST(DecodeWorkloads, DecodesEveryKind) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs, namespace: a}
spec: {replicas: 0, selector: {matchLabels: {app: rs}}, template: {metadata: {labels: {app: rs}}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchExpressions: [{key: app, operator: In, values: [db]}]}
  template: {metadata: {labels: {app: db}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  parallelism: 4
  completions: 10
  template: {spec: {restartPolicy: Never}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: a}]}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db}
spec: {maxUnavailable: 25%}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->deployments.size(), 1u);
  EXPECT_EQ(m->deployments[0].replicas, 3);
  EXPECT_EQ(m->deployments[0].selector->match_labels.at("app"), "web");
  EXPECT_EQ(m->deployments[0].template_.metadata.labels.at("app"), "web");
  EXPECT_EQ(m->deployments[0].template_.spec.containers[0].name, "c");
  EXPECT_EQ(m->replica_sets[0].replicas, 0);
  EXPECT_EQ(m->replica_sets[0].metadata.namespace_, "a");
  EXPECT_EQ(m->stateful_sets[0].service_name, "db");
  EXPECT_EQ(m->stateful_sets[0].replicas, 2);
  EXPECT_EQ(m->stateful_sets[0].selector->match_expressions[0].values[0], "db");
  EXPECT_EQ(m->jobs[0].parallelism, 4);
  EXPECT_EQ(m->jobs[0].completions, 10);
  EXPECT_EQ(m->jobs[0].template_.spec.restart_policy, "Never");
  EXPECT_EQ(m->daemon_sets[0].metadata.namespace_, "kube-system");
  ASSERT_EQ(m->pod_disruption_budgets.size(), 2u);
  EXPECT_EQ(m->pod_disruption_budgets[0].min_available, "1");
  EXPECT_FALSE(m->pod_disruption_budgets[0].max_unavailable.has_value());
  EXPECT_EQ(m->pod_disruption_budgets[1].max_unavailable, "25%");
}

TEST(DecodeWorkloads, ReplicasDefaultToOne) {
  absl::StatusOr<Manifests> m =
      Decode("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->deployments[0].replicas, 1);
}

TEST(DecodeWorkloads, StatefulSetVolumeClaimTemplates) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template: {metadata: {labels: {app: db}}}
  volumeClaimTemplates:
  - metadata: {name: data, labels: {tier: storage}, annotations: {note: x}}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: gp3-c
      resources: {requests: {storage: 10Gi}}
  - metadata: {name: logs}
    spec: {}
    status: {phase: Bound}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->stateful_sets.size(), 1u);
  const std::vector<PersistentVolumeClaim>& t = m->stateful_sets[0].volume_claim_templates;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].metadata.name, "data");
  EXPECT_EQ(t[0].metadata.labels.at("tier"), "storage");
  EXPECT_EQ(t[0].metadata.annotations.at("note"), "x");
  EXPECT_EQ(t[0].spec.storage_class_name, "gp3-c");
  EXPECT_EQ(t[1].metadata.name, "logs");
  EXPECT_FALSE(t[1].spec.storage_class_name.has_value());  // the default StorageClass
  EXPECT_EQ(t[1].phase, "");  // a template's status is not read

  absl::StatusOr<Manifests> none =
      Decode("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {}\n");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->stateful_sets[0].volume_claim_templates.empty());
}

TEST(DecodeWorkloads, StatefulSetVolumeClaimTemplateErrorsNameTheField) {
  EXPECT_EQ(DecodeError("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n"
                        "spec: {volumeClaimTemplates: [{metadata: {name: a}}, "
                        "{metadata: {name: b}, spec: {storageClassName: [gp3]}}]}\n"),
            "x.yaml: StatefulSet/default/db: spec.volumeClaimTemplates[1].spec.storageClassName: "
            "must be a string, got a list");
  EXPECT_EQ(DecodeError("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n"
                        "spec: {volumeClaimTemplates: {data: {}}}\n"),
            "x.yaml: StatefulSet/default/db: spec.volumeClaimTemplates: must be a list, got an "
            "object");
}

// ---- Storage ----

constexpr std::string_view kStorage = R"(
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-db-0, namespace: shop, annotations: {pv.kubernetes.io/bind-completed: "yes"}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Gi}}
  storageClassName: gp3
  volumeName: pv-1
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-1}
spec:
  capacity: {storage: 10Gi}
  storageClassName: gp3
  csi: {driver: ebs.csi.aws.com, volumeHandle: vol-0123, fsType: ext4}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: legacy}
spec:
  awsElasticBlockStore: {volumeID: vol-0456}
  local: {path: /mnt/disk}
  hostPath: {path: /tmp}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
parameters: {type: gp3}
allowedTopologies:
- matchLabelExpressions:
  - key: topology.kubernetes.io/zone
    values: [us-east-1a, us-east-1b]
---
apiVersion: storage.k8s.io/v1
kind: CSINode
metadata: {name: ip-10-0-0-1}
spec:
  drivers:
  - name: ebs.csi.aws.com
    nodeID: i-0123
    allocatable: {count: 25}
    topologyKeys: [topology.ebs.csi.aws.com/zone]
  - {name: efs.csi.aws.com, nodeID: i-0123}
)";

TEST(DecodeStorage, DecodesEveryKind) {
  absl::StatusOr<Manifests> m = Decode(kStorage);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->persistent_volume_claims.size(), 1u);
  const PersistentVolumeClaim& c = m->persistent_volume_claims[0];
  EXPECT_EQ(c.metadata.namespace_, "shop");
  EXPECT_EQ(c.spec.storage_class_name, "gp3");
  EXPECT_EQ(c.spec.volume_name, "pv-1");
  EXPECT_EQ(c.phase, "Bound");

  ASSERT_EQ(m->persistent_volumes.size(), 2u);
  const PersistentVolume& pv = m->persistent_volumes[0];
  EXPECT_EQ(pv.spec.storage_class_name, "gp3");
  ASSERT_TRUE(pv.spec.csi.has_value());
  EXPECT_EQ(pv.spec.csi->driver, "ebs.csi.aws.com");
  EXPECT_EQ(pv.spec.csi->volume_handle, "vol-0123");
  EXPECT_FALSE(pv.spec.aws_elastic_block_store.has_value());
  EXPECT_FALSE(pv.spec.local);
  EXPECT_FALSE(pv.spec.host_path);
  ASSERT_TRUE(pv.spec.node_affinity.has_value());
  ASSERT_EQ(pv.spec.node_affinity->size(), 1u);
  EXPECT_EQ((*pv.spec.node_affinity)[0].match_expressions[0].key, "topology.kubernetes.io/zone");
  EXPECT_THAT((*pv.spec.node_affinity)[0].match_expressions[0].values, ElementsAre("us-east-1a"));
  EXPECT_EQ(pv.phase, "Bound");
  const PersistentVolume& legacy = m->persistent_volumes[1];
  ASSERT_TRUE(legacy.spec.aws_elastic_block_store.has_value());
  EXPECT_EQ(legacy.spec.aws_elastic_block_store->volume_id, "vol-0456");
  EXPECT_TRUE(legacy.spec.local);
  EXPECT_TRUE(legacy.spec.host_path);
  EXPECT_FALSE(legacy.spec.node_affinity.has_value());

  ASSERT_EQ(m->storage_classes.size(), 1u);
  const StorageClass& sc = m->storage_classes[0];
  EXPECT_EQ(sc.provisioner, "ebs.csi.aws.com");
  EXPECT_EQ(sc.volume_binding_mode, "WaitForFirstConsumer");
  ASSERT_EQ(sc.allowed_topologies.size(), 1u);
  EXPECT_EQ(sc.allowed_topologies[0].match_label_expressions[0].key, "topology.kubernetes.io/zone");
  EXPECT_THAT(sc.allowed_topologies[0].match_label_expressions[0].values,
              ElementsAre("us-east-1a", "us-east-1b"));

  ASSERT_EQ(m->csi_nodes.size(), 1u);
  const CSINode& n = m->csi_nodes[0];
  EXPECT_EQ(n.metadata.name, "ip-10-0-0-1");
  ASSERT_EQ(n.drivers.size(), 2u);
  EXPECT_EQ(n.drivers[0].name, "ebs.csi.aws.com");
  EXPECT_EQ(n.drivers[0].node_id, "i-0123");
  EXPECT_EQ(n.drivers[0].allocatable_count, 25);
  EXPECT_THAT(n.drivers[0].topology_keys, ElementsAre("topology.ebs.csi.aws.com/zone"));
  EXPECT_FALSE(n.drivers[1].allocatable_count.has_value());
  EXPECT_TRUE(m->ignored_kinds.empty());
}

TEST(DecodeStorage, AbsentStorageClassNameDiffersFromEmpty) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: a}
spec: {}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: b}
spec: {storageClassName: ""}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->persistent_volume_claims[0].spec.storage_class_name.has_value());
  EXPECT_EQ(m->persistent_volume_claims[1].spec.storage_class_name, "");
}

TEST(DecodeStorage, DefaultsNamespaceAndBindingMode) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: a}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: s}
provisioner: ebs.csi.aws.com
)");
  ASSERT_TRUE(m.ok()) << m.status();
  ApplyDefaults(*m);
  EXPECT_EQ(m->persistent_volume_claims[0].metadata.namespace_, "default");
  EXPECT_EQ(m->storage_classes[0].volume_binding_mode, "Immediate");
}

TEST(DecodeStorage, ErrorsNameTheObjectAndField) {
  EXPECT_EQ(DecodeError("apiVersion: storage.k8s.io/v1\nkind: CSINode\nmetadata: {name: n}\n"
                        "spec: {drivers: [{name: d, allocatable: {count: many}}]}\n"),
            "x.yaml: CSINode/n: spec.drivers[0].allocatable.count: must be an integer, got "
            "\"many\"");
  EXPECT_EQ(DecodeError("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\n"
                        "spec: {volumeName: [x]}\n"),
            "x.yaml: PersistentVolumeClaim/default/c: spec.volumeName: must be a string, got a "
            "list");
  EXPECT_EQ(DecodeError("apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: p}\n"
                        "spec: {local: yes}\n"),
            "x.yaml: PersistentVolume/p: spec.local: must be an object, got \"yes\"");
  EXPECT_THAT(DecodeError("apiVersion: storage.k8s.io/v1beta1\nkind: StorageClass\n"
                          "metadata: {name: s}\nprovisioner: x\n"),
              HasSubstr("unsupported apiVersion \"storage.k8s.io/v1beta1\" for StorageClass; "
                        "Joinery reads storage.k8s.io/v1"));
}

TEST(DecodeStorage, PodEphemeralVolumeTemplate) {
  absl::StatusOr<Manifests> m = Decode(R"(
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c}]
  volumes:
  - name: scratch
    ephemeral:
      volumeClaimTemplate:
        metadata: {labels: {type: scratch}}
        spec: {storageClassName: gp3, accessModes: [ReadWriteOnce]}
  - name: cache
    emptyDir: {}
)");
  ASSERT_TRUE(m.ok()) << m.status();
  const std::vector<Volume>& v = m->pods[0].spec.volumes;
  ASSERT_EQ(v.size(), 2u);
  ASSERT_TRUE(v[0].ephemeral.has_value());
  EXPECT_EQ(v[0].ephemeral->storage_class_name, "gp3");
  EXPECT_FALSE(v[0].pvc_claim_name.has_value());
  EXPECT_FALSE(v[1].ephemeral.has_value());
}

// ---- SubstituteEnv ----

DecodeOptions Env(std::initializer_list<std::pair<const std::string, std::string>> vars) {
  DecodeOptions o;
  o.env = vars;
  return o;
}

TEST(SubstituteEnv, ReplacesBracedAndBareNames) {
  auto out =
      SubstituteEnv("role: ${ROLE}\ncluster: $CLUSTER-x\n", Env({{"ROLE", "r"}, {"CLUSTER", "c"}}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "role: r\ncluster: c-x\n");
}

TEST(SubstituteEnv, DoubleDollarIsALiteralDollar) {
  auto out = SubstituteEnv("echo $$HOME $${X} costs $$5", Env({}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "echo $HOME ${X} costs $5");
}

TEST(SubstituteEnv, DollarBeforeOtherCharactersIsKept) {
  auto out = SubstituteEnv("a $1 b $ c $", Env({}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "a $1 b $ c $");
}

TEST(SubstituteEnv, UnknownNameIsAnErrorThatSuggestsEnvFlag) {
  auto out = SubstituteEnv("a: b\nrole: ${KARPENTER_NODE_ROLE}\n", Env({}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(out.status()), HasSubstr("line 2"));
  EXPECT_THAT(Msg(out.status()), HasSubstr("unknown variable \"KARPENTER_NODE_ROLE\""));
  EXPECT_THAT(Msg(out.status()), HasSubstr("--env KARPENTER_NODE_ROLE=..."));
  EXPECT_THAT(Msg(SubstituteEnv("x: $NAME", Env({})).status()), HasSubstr("\"NAME\""));
}

TEST(SubstituteEnv, MalformedReferencesAreErrors) {
  EXPECT_THAT(Msg(SubstituteEnv("a: ${OPEN\nb: c}", Env({})).status()), HasSubstr("unterminated"));
  EXPECT_THAT(Msg(SubstituteEnv("a: ${}", Env({})).status()), HasSubstr("invalid variable"));
  EXPECT_THAT(Msg(SubstituteEnv("a: ${A-B}", Env({})).status()), HasSubstr("invalid variable"));
}

TEST(SubstituteEnv, ValuesAreNotRescanned) {
  auto out = SubstituteEnv("${A}", Env({{"A", "$B"}}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "$B");
}

// ---- LoadManifests ----

class LoadManifestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("joinery_api_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& rel, std::string_view text) {
    std::filesystem::path p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  std::filesystem::path dir_;
};

constexpr std::string_view kValidNodePool = R"(
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: ${NAME}}
spec:
  template:
    spec:
      requirements: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
)";

TEST_F(LoadManifestsTest, ReadsDirectoriesRecursivelyInPathOrder) {
  Write("b/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\n");
  Write("a.yml", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n");
  Write("c.json", R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c"}})");
  Write("notes.txt", "not yaml: [");
  Write("z/nodepool.yaml", kValidNodePool);
  auto m = LoadManifests({dir_.string()}, Env({{"NAME", "default"}}));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->pods.size(), 3u);
  EXPECT_EQ(m->pods[0].metadata.name, "a");
  EXPECT_EQ(m->pods[1].metadata.name, "b");
  EXPECT_EQ(m->pods[2].metadata.name, "c");
  EXPECT_EQ(m->pods[0].metadata.namespace_, "default") << "defaults applied";
  ASSERT_EQ(m->node_pools.size(), 1u);
  EXPECT_EQ(m->node_pools[0].metadata.name, "default");
  EXPECT_EQ(m->node_pools[0].disruption.budgets.size(), 1u) << "defaults applied";
}

TEST_F(LoadManifestsTest, MissingPathIsNamed) {
  std::string missing = (dir_ / "nope.yaml").string();
  auto m = LoadManifests({missing}, Env({}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(Msg(m.status()), missing + ": no such file or directory");
}

TEST_F(LoadManifestsTest, ExplicitFilesAreReadWhateverTheirExtension) {
  std::string f = Write("pods.txt", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n");
  auto m = LoadManifests({f}, Env({}));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->pods.size(), 1u);
}

TEST_F(LoadManifestsTest, UnknownVariableErrorNamesTheFile) {
  std::string f = Write("np.yaml", kValidNodePool);
  auto m = LoadManifests({f}, Env({}));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(Msg(m.status()), StartsWith(f + ": line 4: unknown variable \"NAME\""));
}

TEST_F(LoadManifestsTest, ValidationErrorsNameTheFileAndObject) {
  std::string f = Write("np.yaml", std::string(kValidNodePool) + "  weight: 0\n");
  auto m = LoadManifests({f}, Env({{"NAME", "default"}}));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(Msg(m.status()), StartsWith(f + ": NodePool/default: spec.weight: Invalid value: 0"));
}

TEST_F(LoadManifestsTest, DuplicateNamesAcrossFilesAreErrors) {
  Write("a.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n");
  Write("b.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\n");
  auto m = LoadManifests({dir_.string()}, Env({}));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(Msg(m.status()), HasSubstr("b.yaml: Pod/default/p: metadata.name: Duplicate value"));
  EXPECT_THAT(Msg(m.status()), HasSubstr("a.yaml"));
}

TEST_F(LoadManifestsTest, OversizedFileIsRejectedBeforeReading) {
  std::string f = (dir_ / "huge.yaml").string();
  { std::ofstream(f) << "x"; }
  std::filesystem::resize_file(f, (uintmax_t{64} << 20) + 1);
  auto m = LoadManifests({f}, Env({}));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(Msg(m.status()), HasSubstr("limit is 64 MiB"));
}

TEST(LoadManifests, LoadsTheTrainiumExample) {
  const char* root = std::getenv("JOINERY_SOURCE_DIR");  // set by joinery_test() in CMake
  if (root == nullptr) GTEST_SKIP() << "JOINERY_SOURCE_DIR is not set";
  std::filesystem::path dir = std::filesystem::path(root) / "examples/trainium";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << dir << " not found";
  auto m = LoadManifests({dir.string()}, Env({{"KARPENTER_NODE_ROLE", "KarpenterNodeRole-demo"},
                                              {"EKS_CLUSTER_NAME", "demo"}}));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->node_pools.size(), 1u);
  ASSERT_EQ(m->node_classes.size(), 1u);
  EXPECT_EQ(m->node_classes[0].ami_family, "AL2023");
  EXPECT_EQ(m->node_classes[0].role, "KarpenterNodeRole-demo");
  EXPECT_EQ(m->deployments.size(), 1u);
  EXPECT_EQ(m->ignored_kinds.at("Namespace"), 1);
}

}  // namespace
}  // namespace joinery::api
