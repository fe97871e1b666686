// Property test: whatever bytes come in, SubstituteEnv + DecodeDocuments + ApplyDefaults +
// ValidateManifests return (OK or InvalidArgument) and never crash, hang or trip a sanitizer.
// Inputs are random bytes, truncations and byte flips of valid manifests, token splices, deep
// nesting, huge numbers and odd quantities. The seed is fixed so that failures reproduce; a failing
// input is printed (escaped) in the assertion message.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "joinery/api/decode.h"
#include "joinery/api/defaults.h"
#include "joinery/api/validate.h"
#include "joinery/common/quantity.h"

namespace joinery::api {
namespace {

constexpr std::string_view kSeeds[] = {
    R"(apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
spec:
  template:
    metadata:
      labels: {team: a, tier: "3"}
    spec:
      taints: [{key: example.com/gpu, value: "true", effect: NoSchedule}]
      startupTaints: [{key: example.com/init, effect: NoExecute}]
      requirements:
        - key: karpenter.sh/capacity-type
          operator: In
          values: ["spot", "on-demand"]
        - key: karpenter.k8s.aws/instance-cpu
          operator: Gt
          values: ["3"]
          minValues: 1
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      expireAfter: 720h
      terminationGracePeriod: 1h30m
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: 30s
    budgets:
      - nodes: "10%"
      - nodes: "0"
        schedule: "0 9 * * mon-fri"
        duration: 8h
        reasons: [Drifted]
  limits: {cpu: 1000, memory: 1000Gi}
  weight: 10
)",
    R"(apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  amiSelectorTerms: [{alias: al2023@latest}]
  role: ${ROLE}
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: $CLUSTER}}, {id: subnet-0123}]
  securityGroupSelectorTerms: [{name: sg}]
  tags: {team: infra}
  kubelet:
    maxPods: 110
    systemReserved: {cpu: 100m, memory: 100Mi}
    evictionHard: {memory.available: 5%}
    evictionSoft: {nodefs.available: 10%}
    evictionSoftGracePeriod: {nodefs.available: 1m}
    imageGCHighThresholdPercent: 85
    imageGCLowThresholdPercent: 80
  blockDeviceMappings:
    - deviceName: /dev/xvda
      rootVolume: true
      ebs: {volumeSize: 100Gi, volumeType: gp3, iops: 3000, encrypted: true}
  instanceStorePolicy: RAID0
  networkInterfaces: [{networkCardIndex: 0, deviceIndex: 0, interfaceType: interface}]
  metadataOptions: {httpTokens: required, httpPutResponseHopLimit: 2}
  connectionTracking: {udpTimeout: 30}
  userData: |
    #!/bin/bash
    echo $$HOME
)",
    R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  annotations: {karpenter.sh/do-not-disrupt: "true"}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u, controller: true}]
spec:
  nodeSelector: {kubernetes.io/arch: arm64}
  containers:
    - name: app
      ports: [{containerPort: 80, hostPort: 8080}]
      resources:
        requests: {cpu: 500m, memory: 1Gi, nvidia.com/gpu: 1}
        limits: {cpu: "1", memory: 2Gi, nvidia.com/gpu: 1}
  initContainers: [{name: side, restartPolicy: Always, resources: {requests: {cpu: 1m}}}]
  overhead: {cpu: 10m}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a, b]}]
      preferredDuringSchedulingIgnoredDuringExecution:
        - {weight: 1, preference: {matchExpressions: [{key: x, operator: Gt, values: ["5"]}]}}
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}
  tolerations:
    - {key: a, operator: Exists, effect: NoExecute, tolerationSeconds: 30}
  topologySpreadConstraints:
    - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule,
       labelSelector: {matchExpressions: [{key: app, operator: In, values: [web]}]}, minDomains: 2}
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
  priority: 100
status:
  phase: Pending
  conditions: [{type: PodScheduled, status: "False"}]
)",
    R"(apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 3
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: c, resources: {requests: {cpu: 1}}}]}
  - apiVersion: batch/v1
    kind: Job
    metadata: {name: j}
    spec: {parallelism: 2, completions: 4, template: {spec: {restartPolicy: Never}}}
  - apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: db}
    spec: {serviceName: db, replicas: 1, selector: {matchLabels: {a: b}},
           template: {metadata: {labels: {a: b}}}}
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: ds}
    spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}}}
  - apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: {name: pdb}
    spec: {maxUnavailable: 25%, selector: {matchLabels: {app: web}}}
  - apiVersion: v1
    kind: Service
    metadata: {name: svc}
)",
    R"(---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {karpenter.sh/nodepool: default}}
spec:
  providerID: aws:///us-east-1a/i-1
  unschedulable: false
  taints: [{key: karpenter.sh/disrupted, effect: NoSchedule}]
status:
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
  allocatable: {cpu: 3920m, memory: 15Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: karpenter.sh/v1
kind: NodeClaim
metadata: {name: default-abcde}
spec:
  requirements: [{key: karpenter.sh/nodepool, operator: In, values: [default]}]
  resources: {requests: {cpu: 1500m}}
  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
status: {nodeName: n1, capacity: {cpu: "4"}}
...
)",
    R"({"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "p", "labels": {"a": "b"}},
 "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "250m", "memory": 1e9}}}],
          "tolerations": [{"operator": "Exists"}]}})",
    R"(apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
spec: {storageClassName: gp3, volumeName: pv-1}
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-1}
spec:
  csi: {driver: ebs.csi.aws.com, volumeHandle: vol-1}
  local: {path: /mnt}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions: [{key: topology.ebs.csi.aws.com/zone, operator: In, values: [a]}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowedTopologies:
  - matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [a, b]}]
---
apiVersion: storage.k8s.io/v1
kind: CSINode
metadata: {name: n1}
spec: {drivers: [{name: ebs.csi.aws.com, nodeID: i-1, allocatable: {count: 25}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c}]
  volumes: [{name: s, ephemeral: {volumeClaimTemplate: {spec: {storageClassName: gp3}}}}]
)",
    R"(apiVersion: v1
kind: List
anchors:
  - &labels {app: web, tier: front}
  - &pod {apiVersion: v1, kind: Pod}
items:
  - {apiVersion: v1, kind: Pod, metadata: {name: a, labels: *labels}}
  - <<: *pod
    metadata: {name: b, labels: *labels}
)",
};

// Scalars that stress quantity, integer, duration and boolean parsing.
constexpr std::string_view kWeirdScalars[] = {"99999999999999999999Ei",
                                              "1e9999",
                                              "1e-9999",
                                              "-0.0000001m",
                                              "1.5.5",
                                              "NaN",
                                              ".inf",
                                              "-.inf",
                                              "0x10",
                                              "0o17",
                                              "-9223372036854775808",
                                              "9223372036854775808",
                                              "18446744073709551616",
                                              "2147483648",
                                              "-2147483649",
                                              "1Ki1",
                                              "1.",
                                              ".5",
                                              "+",
                                              "-",
                                              "",
                                              "~",
                                              "null",
                                              "true",
                                              "yes",
                                              "0",
                                              "00000000000000000000000000000000000000000000001",
                                              "1E",
                                              "1e",
                                              "5d",
                                              "Never",
                                              "1h1h1h1h",
                                              "99999999999999999999999999h",
                                              "\"quoted\"",
                                              "'single'",
                                              "[]",
                                              "{}",
                                              "[1, 2]",
                                              "{a: b}",
                                              "&x 5",
                                              "*x",
                                              "!!binary aGVsbG8=",
                                              "!!int 7",
                                              "!custom x",
                                              "|\n  block\n",
                                              ">\n  folded\n",
                                              "8Ei",
                                              "0.1m",
                                              "100%",
                                              "101%",
                                              "-1",
                                              "1000000000Ti",
                                              "0.000000000000000000001Ei"};

// Tokens spliced into inputs at random places.
constexpr std::string_view kTokens[] = {"[",
                                        "]",
                                        "{",
                                        "}",
                                        ": ",
                                        "- ",
                                        ", ",
                                        "---\n",
                                        "...\n",
                                        "&a ",
                                        "*a",
                                        "*undefined",
                                        "<<: ",
                                        "? ",
                                        "!!map ",
                                        "!!seq ",
                                        "!!str ",
                                        "%YAML 1.2\n",
                                        "%TAG ! tag:x,2000:\n",
                                        "\t",
                                        "\"",
                                        "'",
                                        "\\",
                                        "#",
                                        "\n",
                                        "\r\n",
                                        "${X}",
                                        "${UNKNOWN}",
                                        "$X",
                                        "$$",
                                        "${",
                                        "|",
                                        ">",
                                        "~",
                                        "@",
                                        "`",
                                        std::string_view("\0", 1),
                                        "\xff",
                                        "\xef\xbb\xbf",
                                        "\xc3\x28",
                                        "kind: List\nitems: [",
                                        "items: ",
                                        "apiVersion: v1\n",
                                        "kind: Pod\n",
                                        "metadata: {name: x}\n",
                                        "      "};

class Fuzzer {
 public:
  explicit Fuzzer(uint64_t seed) : rng_(seed) {}

  size_t Uniform(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }
  bool OneIn(size_t n) { return Uniform(n) == 0; }

  std::string RandomBytes(size_t max_len) {
    std::string s(Uniform(max_len + 1), '\0');
    for (char& c : s) c = static_cast<char>(Uniform(256));
    return s;
  }

  // Random text built from YAML-ish tokens and printable characters.
  std::string RandomYamlish(size_t pieces) {
    std::string s;
    for (size_t i = 0; i < pieces; ++i) {
      switch (Uniform(4)) {
        case 0:
          s += kTokens[Uniform(std::size(kTokens))];
          break;
        case 1:
          s += kWeirdScalars[Uniform(std::size(kWeirdScalars))];
          break;
        case 2:
          s += static_cast<char>(' ' + Uniform(95));
          break;
        default:
          s += 'k';
          s += std::to_string(Uniform(10));
          break;
      }
    }
    return s;
  }

  std::string Mutate(std::string s) {
    int rounds = 1 + static_cast<int>(Uniform(4));
    for (int r = 0; r < rounds; ++r) {
      switch (Uniform(9)) {
        case 0:  // truncate
          s.resize(Uniform(s.size() + 1));
          break;
        case 1:  // flip bytes
          for (size_t i = 0, n = 1 + Uniform(8); i < n && !s.empty(); ++i) {
            s[Uniform(s.size())] ^= static_cast<char>(1u << Uniform(8));
          }
          break;
        case 2:  // overwrite bytes with random ones
          for (size_t i = 0, n = 1 + Uniform(8); i < n && !s.empty(); ++i) {
            s[Uniform(s.size())] = static_cast<char>(Uniform(256));
          }
          break;
        case 3:  // splice a token
          s.insert(Uniform(s.size() + 1), kTokens[Uniform(std::size(kTokens))]);
          break;
        case 4:  // replace a scalar after ": " with a weird one
          if (size_t pos = s.find(": ", Uniform(s.size() + 1)); pos != std::string::npos) {
            size_t end = s.find_first_of(",}\n", pos + 2);
            if (end == std::string::npos) end = s.size();
            s.replace(pos + 2, end - pos - 2, kWeirdScalars[Uniform(std::size(kWeirdScalars))]);
          }
          break;
        case 5: {  // duplicate, delete or swap a line range
          size_t a = Uniform(s.size() + 1);
          size_t b = std::min(s.size(), a + Uniform(200));
          std::string chunk = s.substr(a, b - a);
          if (OneIn(2)) {
            s.insert(Uniform(s.size() + 1), chunk);
          } else {
            s.erase(a, b - a);
          }
          break;
        }
        case 6:  // change indentation
          if (size_t pos = s.find('\n', Uniform(s.size() + 1)); pos != std::string::npos) {
            if (OneIn(2)) {
              s.insert(pos + 1, std::string(1 + Uniform(6), ' '));
            } else if (pos + 1 < s.size() && s[pos + 1] == ' ') {
              s.erase(pos + 1, 1);
            }
          }
          break;
        case 7:  // insert random bytes
          s.insert(Uniform(s.size() + 1), RandomBytes(16));
          break;
        default:  // splice part of another seed
        {
          std::string_view other = kSeeds[Uniform(std::size(kSeeds))];
          size_t a = Uniform(other.size());
          s.insert(Uniform(s.size() + 1), other.substr(a, Uniform(300)));
          break;
        }
      }
    }
    return s;
  }

  std::string DeepNesting() {
    size_t depth = 1 + Uniform(5000);
    switch (Uniform(6)) {
      case 0:
        return std::string(depth, '[') + std::string(OneIn(2) ? depth : Uniform(depth), ']');
      case 1: {
        std::string s;
        for (size_t i = 0; i < depth; ++i) s += "{a: ";
        return s + "1" + std::string(depth, '}');
      }
      case 2: {
        std::string s;
        for (size_t i = 0; i < depth; ++i) s += "- ";
        return s + "x";
      }
      case 3: {
        std::string s = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  nodeSelector:\n";
        std::string indent = "    ";
        for (size_t i = 0; i < std::min<size_t>(depth, 400); ++i) {
          s += indent + "k:\n";
          indent += " ";
        }
        return s + indent + "v\n";
      }
      case 4: {  // nested Lists
        std::string s;
        for (size_t i = 0; i < std::min<size_t>(depth, 300); ++i) {
          s += "{apiVersion: v1, kind: List, items: [";
        }
        return s;
      }
      default:
        return "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: " + std::string(depth, '{');
    }
  }

  std::string NextInput() {
    switch (Uniform(10)) {
      case 0:
        return RandomBytes(512);
      case 1:
        return RandomYamlish(1 + Uniform(64));
      case 2:
        return DeepNesting();
      case 3:
        return std::string(kSeeds[Uniform(std::size(kSeeds))]);
      default:
        return Mutate(std::string(kSeeds[Uniform(std::size(kSeeds))]));
    }
  }

 private:
  std::mt19937_64 rng_;
};

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 2000)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n\n";
    } else if (u < 0x20 || u >= 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

bool IsOkOrInvalidArgument(const absl::Status& s) {
  return s.ok() || s.code() == absl::StatusCode::kInvalidArgument;
}

// Runs the whole pipeline; returns false (with a message) if a contract was broken.
::testing::AssertionResult RunPipeline(const std::string& input) {
  DecodeOptions options;
  options.env = {{"X", "x"}, {"ROLE", "KarpenterNodeRole"}, {"CLUSTER", "demo"}};
  absl::StatusOr<std::string> text = SubstituteEnv(input, options);
  if (!IsOkOrInvalidArgument(text.status())) {
    return ::testing::AssertionFailure() << "SubstituteEnv: " << text.status();
  }
  if (!text.ok()) return ::testing::AssertionSuccess();
  Manifests m;
  absl::Status decoded = DecodeDocuments(*text, "fuzz.yaml", m);
  if (!IsOkOrInvalidArgument(decoded)) {
    return ::testing::AssertionFailure() << "DecodeDocuments: " << decoded;
  }
  if (!decoded.ok()) {
    if (!absl::StartsWith(decoded.message(), "fuzz.yaml")) {
      return ::testing::AssertionFailure() << "error without the file name: " << decoded;
    }
    if (!m.pods.empty() || !m.node_pools.empty() || !m.ignored_kinds.empty()) {
      return ::testing::AssertionFailure() << "objects appended despite error " << decoded;
    }
    return ::testing::AssertionSuccess();
  }
  ApplyDefaults(m);
  absl::Status valid = ValidateManifests(m);
  if (!IsOkOrInvalidArgument(valid)) return ::testing::AssertionFailure() << valid;
  // The per-object validators must agree with ValidateManifests on every object.
  for (const NodePool& np : m.node_pools) {
    if (!IsOkOrInvalidArgument(ValidateNodePool(np))) return ::testing::AssertionFailure();
  }
  for (const EC2NodeClass& nc : m.node_classes) {
    if (!IsOkOrInvalidArgument(ValidateEC2NodeClass(nc))) return ::testing::AssertionFailure();
  }
  for (const Pod& p : m.pods) {
    if (!IsOkOrInvalidArgument(ValidatePod(p))) return ::testing::AssertionFailure();
  }
  for (const Node& n : m.nodes) {
    if (!IsOkOrInvalidArgument(ValidateNode(n))) return ::testing::AssertionFailure();
  }
  for (const NodeClaim& nc : m.node_claims) {
    if (!IsOkOrInvalidArgument(ValidateNodeClaim(nc))) return ::testing::AssertionFailure();
  }
  for (const PersistentVolumeClaim& c : m.persistent_volume_claims) {
    if (!IsOkOrInvalidArgument(ValidatePersistentVolumeClaim(c))) {
      return ::testing::AssertionFailure();
    }
  }
  for (const PersistentVolume& pv : m.persistent_volumes) {
    if (!IsOkOrInvalidArgument(ValidatePersistentVolume(pv))) return ::testing::AssertionFailure();
  }
  for (const StorageClass& sc : m.storage_classes) {
    if (!IsOkOrInvalidArgument(ValidateStorageClass(sc))) return ::testing::AssertionFailure();
  }
  for (const CSINode& n : m.csi_nodes) {
    if (!IsOkOrInvalidArgument(ValidateCSINode(n))) return ::testing::AssertionFailure();
  }
  return ::testing::AssertionSuccess();
}

TEST(DecodeFuzz, SeedsAreValid) {
  // The unmutated seeds decode and validate, so mutations start from meaningful inputs.
  for (std::string_view seed : kSeeds) {
    DecodeOptions options;
    options.env = {{"ROLE", "r"}, {"CLUSTER", "c"}};
    absl::StatusOr<std::string> text = SubstituteEnv(seed, options);
    ASSERT_TRUE(text.ok()) << text.status();
    Manifests m;
    ASSERT_TRUE(DecodeDocuments(*text, "seed.yaml", m).ok()) << DecodeDocuments(*text, "s", m);
    ApplyDefaults(m);
    EXPECT_TRUE(ValidateManifests(m).ok()) << ValidateManifests(m) << "\n" << seed;
  }
}

// JOINERY_FUZZ_ITERATIONS and JOINERY_FUZZ_SEED override the defaults for longer campaigns, e.g.
//   JOINERY_FUZZ_ITERATIONS=1000000 JOINERY_FUZZ_SEED=42 joinery_api_fuzz_test
uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

TEST(DecodeFuzz, RandomAndMutatedInputsNeverCrash) {
  const uint64_t seed = EnvOr("JOINERY_FUZZ_SEED", 0x6a6f696e657279);  // "joinery"
  const uint64_t iterations = EnvOr("JOINERY_FUZZ_ITERATIONS", 1500);
  Fuzzer fuzzer(seed);
  uint64_t ok = 0;
  for (uint64_t i = 0; i < iterations; ++i) {
    std::string input = fuzzer.NextInput();
    ASSERT_TRUE(RunPipeline(input)) << "seed " << seed << ", iteration " << i << ", input:\n"
                                    << Escape(input);
    Manifests scratch;
    ok += DecodeDocuments(input, "f", scratch).ok() ? 1 : 0;
  }
  // Sanity: the mutator must not only produce garbage; some inputs still decode.
  EXPECT_GT(ok, iterations / 20);
}

TEST(DecodeFuzz, EveryTruncationOfEverySeed) {
  for (std::string_view seed : kSeeds) {
    for (size_t n = 0; n <= seed.size(); n += 7) {
      std::string input(seed.substr(0, n));
      ASSERT_TRUE(RunPipeline(input)) << "truncated at " << n << ":\n" << Escape(input);
    }
  }
}

TEST(DecodeFuzz, WeirdScalarsInEveryValuePosition) {
  for (std::string_view seed : kSeeds) {
    std::string s(seed);
    for (size_t pos = s.find(": "); pos != std::string::npos; pos = s.find(": ", pos + 2)) {
      size_t end = s.find_first_of(",}\n", pos + 2);
      if (end == std::string::npos) end = s.size();
      for (std::string_view weird : {std::string_view("99999999999999999999Ei"),
                                     std::string_view("[x]"), std::string_view("-1")}) {
        std::string input = s;
        input.replace(pos + 2, end - pos - 2, weird);
        ASSERT_TRUE(RunPipeline(input)) << Escape(input);
      }
    }
  }
}

TEST(QuantityFuzz, ParseNeverCrashesAndRoundTrips) {
  Fuzzer fuzzer(7);
  constexpr std::string_view kAlphabet = "0123456789.+-eEkKMGTPinum ";
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    size_t len = fuzzer.Uniform(24);
    for (size_t j = 0; j < len; ++j) text += kAlphabet[fuzzer.Uniform(kAlphabet.size())];
    absl::StatusOr<Quantity> q = Quantity::Parse(text);
    if (!q.ok()) {
      EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << text;
      continue;
    }
    absl::StatusOr<Quantity> again = Quantity::Parse(q->ToString());
    ASSERT_TRUE(again.ok()) << text << " -> " << q->ToString();
    EXPECT_EQ(again->milli(), q->milli()) << text << " -> " << q->ToString();
  }
}

}  // namespace
}  // namespace joinery::api
