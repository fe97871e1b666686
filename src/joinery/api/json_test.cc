#include "joinery/api/json.h"

#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "joinery/common/strings.h"

namespace joinery::api {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A pod as `kubectl get --raw /api/v1/namespaces/default/pods/web-7d4b9c8f6-x2x9q` returns it from
// a 1.30 API server (about 4 KB: managedFields, containerStatuses, ...).
constexpr const char* kPodJson = R"json({
  "kind": "Pod",
  "apiVersion": "v1",
  "metadata": {
    "name": "web-7d4b9c8f6-x2x9q",
    "generateName": "web-7d4b9c8f6-",
    "namespace": "default",
    "uid": "5f0c6a51-8d0e-4d0b-9d1e-0c3f2b8f6a11",
    "resourceVersion": "184223",
    "creationTimestamp": "2026-11-29T09:00:00Z",
    "labels": {"app": "web", "pod-template-hash": "7d4b9c8f6"},
    "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-29T08:59:00Z"},
    "ownerReferences": [
      {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c8f6",
       "uid": "0e8a1d2c-5c55-4d8f-9a33-7f0f3b7f1c22", "controller": true, "blockOwnerDeletion": true}
    ],
    "managedFields": [
      {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
       "time": "2026-11-29T09:00:00Z", "fieldsType": "FieldsV1",
       "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {},
         "f:pod-template-hash": {}}, "f:ownerReferences": {".": {},
         "k:{\"uid\":\"0e8a1d2c-5c55-4d8f-9a33-7f0f3b7f1c22\"}": {}}},
         "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {},
           "f:imagePullPolicy": {}, "f:name": {}, "f:ports": {".": {},
           "k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {},
           "f:protocol": {}}}, "f:resources": {".": {}, "f:limits": {".": {}, "f:memory": {}},
           "f:requests": {".": {}, "f:cpu": {}, "f:memory": {}}}}}, "f:dnsPolicy": {},
           "f:enableServiceLinks": {}, "f:nodeSelector": {}, "f:restartPolicy": {},
           "f:schedulerName": {}, "f:securityContext": {}, "f:terminationGracePeriodSeconds": {},
           "f:tolerations": {}, "f:topologySpreadConstraints": {}}}},
      {"manager": "kube-scheduler", "operation": "Update", "apiVersion": "v1",
       "time": "2026-11-29T09:00:01Z", "fieldsType": "FieldsV1",
       "fieldsV1": {"f:status": {"f:conditions": {".": {},
         "k:{\"type\":\"PodScheduled\"}": {".": {}, "f:lastProbeTime": {},
         "f:lastTransitionTime": {}, "f:message": {}, "f:reason": {}, "f:status": {},
         "f:type": {}}}}}, "subresource": "status"}
    ]
  },
  "spec": {
    "volumes": [
      {"name": "kube-api-access-8x2lq", "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace",
          "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}],
        "defaultMode": 420}},
      {"name": "data", "persistentVolumeClaim": {"claimName": "web-data"}}
    ],
    "containers": [
      {"name": "web", "image": "nginx:1.27",
       "ports": [{"containerPort": 8080, "protocol": "TCP"}],
       "resources": {"limits": {"memory": "512Mi"}, "requests": {"cpu": "250m", "memory": "256Mi"}},
       "volumeMounts": [{"name": "kube-api-access-8x2lq", "readOnly": true,
         "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
       "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
       "imagePullPolicy": "IfNotPresent"}
    ],
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "dnsPolicy": "ClusterFirst",
    "nodeSelector": {"karpenter.sh/capacity-type": "on-demand"},
    "serviceAccountName": "default",
    "serviceAccount": "default",
    "securityContext": {},
    "schedulerName": "default-scheduler",
    "tolerations": [
      {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
       "tolerationSeconds": 300},
      {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
       "tolerationSeconds": 300},
      {"key": "dedicated", "value": "web", "effect": "NoSchedule"}
    ],
    "topologySpreadConstraints": [
      {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
       "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": {"app": "web"}}}
    ],
    "priority": 0,
    "enableServiceLinks": true,
    "preemptionPolicy": "PreemptLowerPriority"
  },
  "status": {
    "phase": "Pending",
    "conditions": [
      {"type": "PodScheduled", "status": "False", "lastProbeTime": null,
       "lastTransitionTime": "2026-11-29T09:00:01Z", "reason": "Unschedulable",
       "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."}
    ],
    "containerStatuses": [
      {"name": "web", "state": {"waiting": {"reason": "ContainerCreating"}}, "lastState": {},
       "ready": false, "restartCount": 0, "image": "nginx:1.27", "imageID": "", "started": false}
    ],
    "qosClass": "Burstable"
  }
})json";

// A node as the API server returns it (kubelet-registered, Karpenter-launched).
constexpr const char* kNodeJson = R"json({
  "kind": "Node",
  "apiVersion": "v1",
  "metadata": {
    "name": "ip-10-0-12-34.us-west-2.compute.internal",
    "uid": "c1a3c9de-2f4b-4a43-a7c4-6b2f3f7d9e10",
    "resourceVersion": "184101",
    "creationTimestamp": "2026-11-29T08:55:12Z",
    "labels": {
      "beta.kubernetes.io/arch": "amd64",
      "kubernetes.io/arch": "amd64",
      "kubernetes.io/hostname": "ip-10-0-12-34.us-west-2.compute.internal",
      "kubernetes.io/os": "linux",
      "node.kubernetes.io/instance-type": "m5.large",
      "topology.kubernetes.io/region": "us-west-2",
      "topology.kubernetes.io/zone": "us-west-2a",
      "karpenter.sh/capacity-type": "on-demand",
      "karpenter.sh/nodepool": "default",
      "karpenter.sh/initialized": "true",
      "karpenter.sh/registered": "true"
    },
    "annotations": {
      "alpha.kubernetes.io/provided-node-ip": "10.0.12.34",
      "karpenter.sh/nodepool-hash": "6821555240594823858",
      "node.alpha.kubernetes.io/ttl": "0",
      "volumes.kubernetes.io/controller-managed-attach-detach": "true"
    },
    "ownerReferences": [
      {"apiVersion": "karpenter.sh/v1", "kind": "NodeClaim", "name": "default-x7k2p",
       "uid": "e0b5c0a6-8c1f-4f0e-8d7c-1d9b2a3c4d5e", "blockOwnerDeletion": true}
    ],
    "finalizers": ["karpenter.sh/termination"],
    "managedFields": [
      {"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
       "time": "2026-11-29T08:55:12Z", "fieldsType": "FieldsV1",
       "fieldsV1": {"f:metadata": {"f:labels": {"f:kubernetes.io/os": {}}}}}
    ]
  },
  "spec": {
    "providerID": "aws:///us-west-2a/i-0123456789abcdef0",
    "taints": [{"key": "karpenter.sh/disrupted", "effect": "NoSchedule"}]
  },
  "status": {
    "capacity": {"cpu": "2", "ephemeral-storage": "20959212Ki", "hugepages-1Gi": "0",
                 "hugepages-2Mi": "0", "memory": "7910348Ki", "pods": "29"},
    "allocatable": {"cpu": "1930m", "ephemeral-storage": "18242267924", "hugepages-1Gi": "0",
                    "hugepages-2Mi": "0", "memory": "7220172Ki", "pods": "29"},
    "conditions": [
      {"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": "2026-11-29T09:00:00Z",
       "lastTransitionTime": "2026-11-29T08:55:12Z", "reason": "KubeletHasSufficientMemory",
       "message": "kubelet has sufficient memory available"},
      {"type": "Ready", "status": "True", "lastHeartbeatTime": "2026-11-29T09:00:00Z",
       "lastTransitionTime": "2026-11-29T08:55:40Z", "reason": "KubeletReady",
       "message": "kubelet is posting ready status"}
    ],
    "addresses": [{"type": "InternalIP", "address": "10.0.12.34"},
                  {"type": "Hostname", "address": "ip-10-0-12-34.us-west-2.compute.internal"}],
    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
    "nodeInfo": {"machineID": "ec2a", "systemUUID": "ec2a", "bootID": "b", "kernelVersion": "6.1",
                 "osImage": "Amazon Linux 2023", "containerRuntimeVersion": "containerd://1.7.20",
                 "kubeletVersion": "v1.30.4-eks-a737599", "kubeProxyVersion": "v1.30.4",
                 "operatingSystem": "linux", "architecture": "amd64"},
    "images": [{"names": ["nginx:1.27"], "sizeBytes": 71000000}]
  }
})json";

// A NodePool as the API server returns it (defaults filled in by the CRD schema, status set by
// Karpenter).
constexpr const char* kNodePoolJson = R"json({
  "apiVersion": "karpenter.sh/v1",
  "kind": "NodePool",
  "metadata": {
    "annotations": {"karpenter.sh/nodepool-hash": "6821555240594823858",
                    "karpenter.sh/nodepool-hash-version": "v3"},
    "creationTimestamp": "2026-11-29T08:00:00Z",
    "generation": 2,
    "name": "default",
    "resourceVersion": "183990",
    "uid": "9b7a2c10-4d2e-4e8b-8d1a-5c0a7e6f1b2c",
    "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
                       "apiVersion": "karpenter.sh/v1", "fieldsType": "FieldsV1",
                       "fieldsV1": {"f:spec": {"f:limits": {".": {}, "f:cpu": {}}}}}]
  },
  "spec": {
    "disruption": {
      "budgets": [{"nodes": "10%"}, {"nodes": "0", "reasons": ["Drifted"],
                                     "schedule": "0 9 * * mon-fri", "duration": "8h"}],
      "consolidateAfter": "30s",
      "consolidationPolicy": "WhenEmptyOrUnderutilized"
    },
    "limits": {"cpu": "1k", "memory": "1000Gi"},
    "template": {
      "metadata": {"labels": {"team": "web"}},
      "spec": {
        "expireAfter": "720h",
        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
        "requirements": [
          {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
          {"key": "karpenter.k8s.aws/instance-category", "operator": "In",
           "values": ["c", "m", "r"], "minValues": 2},
          {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]}
        ],
        "taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}]
      }
    },
    "weight": 10
  },
  "status": {
    "conditions": [
      {"type": "Ready", "status": "True", "reason": "Ready", "message": "",
       "lastTransitionTime": "2026-11-29T08:00:05Z", "observedGeneration": 2}
    ],
    "resources": {"cpu": "2", "memory": "7910348Ki", "nodes": "1", "pods": "29"},
    "nodes": 1
  }
})json";

TEST(PodFromJson, DecodesApiServerPodIgnoringUnknownFields) {
  absl::StatusOr<Pod> pod = PodFromJson(json::parse(kPodJson));
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->metadata.name, "web-7d4b9c8f6-x2x9q");
  EXPECT_EQ(pod->metadata.namespace_, "default");
  EXPECT_EQ(pod->metadata.uid, "5f0c6a51-8d0e-4d0b-9d1e-0c3f2b8f6a11");
  EXPECT_EQ(pod->metadata.resource_version, "184223");
  ASSERT_EQ(pod->metadata.owner_references.size(), 1u);
  EXPECT_EQ(pod->metadata.owner_references[0].kind, "ReplicaSet");
  EXPECT_TRUE(pod->metadata.owner_references[0].controller);
  ASSERT_EQ(pod->spec.containers.size(), 1u);
  EXPECT_EQ(pod->spec.containers[0].resources.requests.at("cpu").milli(), 250);
  EXPECT_EQ(pod->spec.containers[0].resources.requests.at("memory").value(), 256LL << 20);
  EXPECT_EQ(pod->spec.containers[0].ports[0].container_port, 8080);
  EXPECT_EQ(pod->spec.node_selector.at("karpenter.sh/capacity-type"), "on-demand");
  ASSERT_EQ(pod->spec.tolerations.size(), 3u);
  EXPECT_EQ(pod->spec.tolerations[0].toleration_seconds, 300);
  EXPECT_EQ(pod->spec.tolerations[2].operator_, "Equal");  // defaulted
  ASSERT_EQ(pod->spec.topology_spread_constraints.size(), 1u);
  EXPECT_EQ(pod->spec.topology_spread_constraints[0].node_affinity_policy, "Honor");  // defaulted
  ASSERT_EQ(pod->spec.volumes.size(), 2u);
  EXPECT_EQ(pod->spec.volumes[1].pvc_claim_name, "web-data");
  EXPECT_EQ(pod->spec.priority, 0);
  EXPECT_EQ(pod->status.phase, "Pending");
  ASSERT_EQ(pod->status.conditions.size(), 1u);
  EXPECT_EQ(pod->status.conditions[0].reason, "Unschedulable");
}

TEST(PodFromJson, ListItemsWithoutKindAndApiVersionDecode) {
  json j = json::parse(kPodJson);
  j.erase("kind");
  j.erase("apiVersion");
  j["metadata"].erase("namespace");
  absl::StatusOr<Pod> pod = PodFromJson(j);
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->metadata.namespace_, "default");
}

TEST(PodFromJson, RejectsAnotherKind) {
  absl::StatusOr<Pod> pod = PodFromJson(json::parse(kNodeJson));
  EXPECT_EQ(pod.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pod.status().message(), HasSubstr("expected kind Pod, got \"Node\""));
}

TEST(PodFromJson, RejectsNonObject) {
  EXPECT_FALSE(PodFromJson(json::array()).ok());
  EXPECT_FALSE(PodFromJson(json("pod")).ok());
}

TEST(PodFromJson, ErrorsNameTheObjectAndFieldPath) {
  json j = json::parse(kPodJson);
  j["spec"]["priority"] = "high";
  absl::StatusOr<Pod> pod = PodFromJson(j);
  EXPECT_EQ(pod.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pod.status().message(),
              HasSubstr("Pod/default/web-7d4b9c8f6-x2x9q: spec.priority: must be an integer"));
}

TEST(PodFromJson, StringNumberIsNotAnInteger) {
  json j = json::parse(kPodJson);
  j["spec"]["priority"] = "5";
  EXPECT_THAT(PodFromJson(j).status().message(), HasSubstr("remove the quotes"));
}

TEST(PodFromJson, NumericQuantitiesAndLabelValuesAreAccepted) {
  json j = json::parse(kPodJson);
  j["spec"]["containers"][0]["resources"]["requests"]["cpu"] = 0.5;
  j["spec"]["containers"][0]["resources"]["requests"]["memory"] = 1024;
  absl::StatusOr<Pod> pod = PodFromJson(j);
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->spec.containers[0].resources.requests.at("cpu").milli(), 500);
  EXPECT_EQ(pod->spec.containers[0].resources.requests.at("memory").value(), 1024);
}

TEST(PodFromJson, MergeKeyNameIsAnOrdinaryKey) {
  json j = json::parse(kPodJson);
  j["metadata"]["labels"]["<<"] = "x";
  absl::StatusOr<Pod> pod = PodFromJson(j);
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->metadata.labels.at("<<"), "x");
}

TEST(NodePoolFromJson, RefusesExcessiveNesting) {
  json j = json::parse(kNodePoolJson);
  json deep = json::object();
  for (int i = 0; i < 1000; ++i) deep = json{{"a", std::move(deep)}};
  j["spec"]["extra"] = deep;
  EXPECT_THAT(NodePoolFromJson(j).status().message(), HasSubstr("nesting"));
  // The direct decoders never look into fields they do not read.
  json pod = json::parse(kPodJson);
  pod["spec"]["extra"] = std::move(deep);
  EXPECT_TRUE(PodFromJson(pod).ok());
}

// Not a timing assertion (DESIGN.md): prints the per-pod cost so that a regression is visible.
TEST(PodFromJson, DecodesManyPods) {
  json j = json::parse(kPodJson);
  constexpr int kPods = 300;
  // CPU time rather than wall time: the build machine is often busy with other work.
  std::clock_t start = std::clock();
  for (int i = 0; i < kPods; ++i) {
    j["metadata"]["name"] = "web-" + std::to_string(i);
    absl::StatusOr<Pod> pod = PodFromJson(j);
    ASSERT_TRUE(pod.ok()) << pod.status();
  }
  double us = 1e6 * static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  std::cout << "PodFromJson: " << static_cast<int>(us / kPods) << " us CPU per pod ("
            << j.dump().size() << " bytes)\n";
}

TEST(NodeFromJson, DecodesApiServerNode) {
  absl::StatusOr<Node> node = NodeFromJson(json::parse(kNodeJson));
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->metadata.name, "ip-10-0-12-34.us-west-2.compute.internal");
  EXPECT_EQ(node->metadata.namespace_, "");
  EXPECT_EQ(node->provider_id, "aws:///us-west-2a/i-0123456789abcdef0");
  EXPECT_THAT(node->taints, ElementsAre(Taint{"karpenter.sh/disrupted", "", "NoSchedule"}));
  EXPECT_EQ(node->allocatable.at("cpu").milli(), 1930);
  EXPECT_EQ(node->capacity.at("memory").value(), 7910348LL * 1024);
  EXPECT_EQ(node->allocatable.at("pods").value(), 29);
  ASSERT_EQ(node->conditions.size(), 2u);
  EXPECT_EQ(node->conditions[1].type, "Ready");
  EXPECT_EQ(node->conditions[1].status, "True");
  EXPECT_THAT(node->metadata.finalizers, ElementsAre("karpenter.sh/termination"));
}

TEST(NodePoolFromJson, DecodesApiServerNodePool) {
  absl::StatusOr<NodePool> np = NodePoolFromJson(json::parse(kNodePoolJson));
  ASSERT_TRUE(np.ok()) << np.status();
  EXPECT_EQ(np->metadata.name, "default");
  EXPECT_EQ(np->metadata.generation, 2);
  EXPECT_EQ(np->weight, 10);
  EXPECT_EQ(np->limits.at("cpu").value(), 1000);
  EXPECT_EQ(np->disruption.consolidate_after.seconds, 30);
  ASSERT_EQ(np->disruption.budgets.size(), 2u);
  EXPECT_EQ(np->disruption.budgets[1].schedule, "0 9 * * mon-fri");
  EXPECT_THAT(np->disruption.budgets[1].reasons, ElementsAre("Drifted"));
  ASSERT_EQ(np->template_.spec.requirements.size(), 3u);
  EXPECT_EQ(np->template_.spec.requirements[1].min_values, 2);
  EXPECT_EQ(np->template_.spec.node_class_ref.kind, "EC2NodeClass");
  EXPECT_EQ(np->template_.spec.expire_after.seconds, 720 * 3600);
  EXPECT_EQ(np->template_.labels.at("team"), "web");
}

TEST(NodePoolFromJson, AppliesDefaults) {
  json j = json::parse(kNodePoolJson);
  j["spec"].erase("disruption");
  absl::StatusOr<NodePool> np = NodePoolFromJson(j);
  ASSERT_TRUE(np.ok()) << np.status();
  ASSERT_EQ(np->disruption.budgets.size(), 1u);
  EXPECT_EQ(np->disruption.budgets[0].nodes, "10%");
}

TEST(NodePoolFromJson, DoesNotValidate) {
  json j = json::parse(kNodePoolJson);
  j["spec"]["template"]["spec"]["requirements"][0]["operator"] = "Sometimes";
  absl::StatusOr<NodePool> np = NodePoolFromJson(j);
  ASSERT_TRUE(np.ok()) << np.status();
  EXPECT_EQ(np->template_.spec.requirements[0].operator_, "Sometimes");
}

TEST(NodePoolFromJson, MissingRequiredFieldIsAnError) {
  json j = json::parse(kNodePoolJson);
  j["spec"]["template"]["spec"].erase("nodeClassRef");
  EXPECT_THAT(NodePoolFromJson(j).status().message(),
              HasSubstr("NodePool/default: spec.template.spec.nodeClassRef: Required value"));
}

TEST(EC2NodeClassFromJson, DecodesAndInfersAmiFamily) {
  json j = {{"apiVersion", "karpenter.k8s.aws/v1"},
            {"kind", "EC2NodeClass"},
            {"metadata", {{"name", "default"}}},
            {"spec",
             {{"role", "KarpenterNodeRole"},
              {"amiSelectorTerms", {{{"alias", "al2023@latest"}}}},
              {"subnetSelectorTerms", {{{"tags", {{"karpenter.sh/discovery", "demo"}}}}}},
              {"securityGroupSelectorTerms", {{{"tags", {{"karpenter.sh/discovery", "demo"}}}}}},
              {"metadataOptions", {{"httpPutResponseHopLimit", 2}}}}},
            {"status", {{"conditions", json::array()}}}};
  absl::StatusOr<EC2NodeClass> nc = EC2NodeClassFromJson(j);
  ASSERT_TRUE(nc.ok()) << nc.status();
  EXPECT_EQ(nc->role, "KarpenterNodeRole");
  EXPECT_EQ(nc->ami_family, "AL2023");
  EXPECT_EQ(nc->metadata_options.http_put_response_hop_limit, 2);
  EXPECT_EQ(nc->metadata_options.http_tokens, "required");
}

TEST(DaemonSetFromJson, Decodes) {
  json j = {
      {"apiVersion", "apps/v1"},
      {"kind", "DaemonSet"},
      {"metadata", {{"name", "kube-proxy"}, {"namespace", "kube-system"}}},
      {"spec",
       {{"selector", {{"matchLabels", {{"k8s-app", "kube-proxy"}}}}},
        {"template",
         {{"metadata", {{"labels", {{"k8s-app", "kube-proxy"}}}}},
          {"spec",
           {{"containers",
             {{{"name", "kube-proxy"}, {"resources", {{"requests", {{"cpu", "100m"}}}}}}}}}}}}}},
      {"status", {{"numberReady", 3}}}};
  absl::StatusOr<DaemonSet> ds = DaemonSetFromJson(j);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->metadata.namespace_, "kube-system");
  EXPECT_EQ(ds->template_.spec.containers[0].resources.requests.at("cpu").milli(), 100);
}

TEST(PodDisruptionBudgetFromJson, DecodesIntOrString) {
  json j = {{"apiVersion", "policy/v1"},
            {"kind", "PodDisruptionBudget"},
            {"metadata", {{"name", "web"}}},
            {"spec", {{"minAvailable", 2}, {"selector", {{"matchLabels", {{"app", "web"}}}}}}}};
  absl::StatusOr<PodDisruptionBudget> pdb = PodDisruptionBudgetFromJson(j);
  ASSERT_TRUE(pdb.ok()) << pdb.status();
  EXPECT_EQ(pdb->min_available, "2");
  EXPECT_EQ(pdb->metadata.namespace_, "default");
  j["spec"].erase("minAvailable");
  j["spec"]["maxUnavailable"] = "25%";
  pdb = PodDisruptionBudgetFromJson(j);
  ASSERT_TRUE(pdb.ok()) << pdb.status();
  EXPECT_EQ(pdb->max_unavailable, "25%");
}

// ---- The direct decoders agree with the general (YAML) route ----

std::string Q(const ResourceList& r) { return ResourceListToString(r); }

std::string Summary(const ObjectMeta& m) {
  std::string s = StrCat(m.name, "|", m.generate_name, "|", m.namespace_, "|", m.uid, "|",
                         m.resource_version, "|", m.creation_timestamp, "|",
                         m.deletion_timestamp.value_or("-"), "|", m.generation, "|");
  for (const auto& [k, v] : m.labels) StrAppend(s, "L", k, "=", v, ";");
  for (const auto& [k, v] : m.annotations) StrAppend(s, "A", k, "=", v, ";");
  for (const OwnerReference& o : m.owner_references) {
    StrAppend(s, "O", o.api_version, ",", o.kind, ",", o.name, ",", o.uid, ",", o.controller, ";");
  }
  return StrCat(s, "F", StrJoin(m.finalizers, ","));
}

std::string Summary(const LabelSelector& l) {
  std::string s;
  for (const auto& [k, v] : l.match_labels) StrAppend(s, k, "=", v, ";");
  for (const auto& e : l.match_expressions) {
    StrAppend(s, e.key, " ", e.operator_, " ", StrJoin(e.values, ","), ";");
  }
  return s;
}

std::string Summary(const std::vector<NodeSelectorRequirement>& reqs) {
  std::string s;
  for (const auto& r : reqs) {
    StrAppend(s, r.key, " ", r.operator_, " ", StrJoin(r.values, ","), " ",
              r.min_values.value_or(-1), ";");
  }
  return s;
}

std::string Summary(const PodAffinityTerm& t) {
  return StrCat(t.label_selector ? Summary(*t.label_selector) : "-", "/",
                StrJoin(t.namespaces, ","), "/",
                t.namespace_selector ? Summary(*t.namespace_selector) : "-", "/", t.topology_key,
                "/", StrJoin(t.match_label_keys, ","), "/", StrJoin(t.mismatch_label_keys, ","));
}

std::string Summary(const std::optional<PodAffinity>& a) {
  if (!a) return "-";
  std::string s;
  for (const auto& t : a->required) StrAppend(s, "R", Summary(t), ";");
  for (const auto& t : a->preferred) StrAppend(s, "P", t.weight, Summary(t.pod_affinity_term), ";");
  return s;
}

std::string Summary(const PersistentVolumeClaimSpec& c) {
  return StrCat(c.storage_class_name ? StrCat("[", *c.storage_class_name, "]") : "-", ",",
                c.volume_name);
}

std::string Summary(const PodSpec& p) {
  std::string s;
  for (const auto* list : {&p.containers, &p.init_containers}) {
    for (const Container& c : *list) {
      StrAppend(s, "C", c.name, ",", c.image, ",", Q(c.resources.requests), ",",
                Q(c.resources.limits), ",", c.restart_policy, ",");
      for (const auto& port : c.ports) {
        StrAppend(s, port.name, ":", port.container_port, ":", port.host_port, ":", port.host_ip,
                  ":", port.protocol, ";");
      }
    }
    s += "|";
  }
  StrAppend(s, Q(p.overhead), "|");
  for (const auto& [k, v] : p.node_selector) StrAppend(s, k, "=", v, ";");
  if (p.affinity) {
    if (p.affinity->node_affinity) {
      const NodeAffinity& na = *p.affinity->node_affinity;
      if (na.required) {
        for (const auto& t : *na.required) {
          StrAppend(s, "NR", Summary(t.match_expressions), Summary(t.match_fields), ";");
        }
      }
      for (const auto& t : na.preferred) {
        StrAppend(s, "NP", t.weight, Summary(t.preference.match_expressions), ";");
      }
    }
    StrAppend(s, "PA", Summary(p.affinity->pod_affinity), "PAA",
              Summary(p.affinity->pod_anti_affinity));
  }
  s += "|";
  for (const auto& t : p.tolerations) {
    StrAppend(s, t.key, ",", t.operator_, ",", t.value, ",", t.effect, ",",
              t.toleration_seconds.value_or(-1), ";");
  }
  for (const auto& c : p.topology_spread_constraints) {
    StrAppend(s, c.max_skew, ",", c.topology_key, ",", c.when_unsatisfiable, ",",
              c.label_selector ? Summary(*c.label_selector) : "-", ",", c.min_domains.value_or(-1),
              ",", c.node_affinity_policy, ",", c.node_taints_policy, ",",
              StrJoin(c.match_label_keys, ","), ";");
  }
  for (const auto& v : p.volumes) {
    StrAppend(s, v.name, ":", v.pvc_claim_name.value_or("-"), ":",
              v.ephemeral ? Summary(*v.ephemeral) : "-", ";");
  }
  StrAppend(s, "|", p.node_name, "|", p.scheduler_name, "|", p.priority_class_name, "|",
            p.priority.value_or(-1), "|", p.restart_policy, "|", p.service_account_name);
  return s;
}

std::string Summary(const Pod& p) {
  std::string s = StrCat(Summary(p.metadata), "#", Summary(p.spec), "#", p.status.phase, ",",
                         p.status.nominated_node_name);
  for (const auto& c : p.status.conditions) {
    StrAppend(s, c.type, ",", c.status, ",", c.reason, ",", c.message, ";");
  }
  return s;
}

std::string Summary(const Node& n) {
  std::string s = StrCat(Summary(n.metadata), "#", n.provider_id, ",", n.unschedulable, ",",
                         Q(n.capacity), ",", Q(n.allocatable), ",");
  for (const auto& t : n.taints) StrAppend(s, t.key, "=", t.value, ":", t.effect, ";");
  for (const auto& c : n.conditions) {
    StrAppend(s, c.type, ",", c.status, ",", c.reason, ",", c.message, ";");
  }
  return s;
}

std::string Summary(const DaemonSet& d) {
  return StrCat(Summary(d.metadata), "#", d.selector ? Summary(*d.selector) : "-", "#",
                Summary(d.template_.metadata), "#", Summary(d.template_.spec));
}

std::string Summary(const PodDisruptionBudget& p) {
  return StrCat(Summary(p.metadata), "#", p.min_available.value_or("-"), "#",
                p.max_unavailable.value_or("-"), "#", p.selector ? Summary(*p.selector) : "-");
}

std::string Summary(const PersistentVolumeClaim& c) {
  return StrCat(Summary(c.metadata), "#", Summary(c.spec), "#", c.phase);
}

std::string Summary(const PersistentVolume& pv) {
  const PersistentVolumeSpec& s = pv.spec;
  std::string out = StrCat(Summary(pv.metadata), "#", s.storage_class_name, ",",
                           s.csi ? StrCat(s.csi->driver, "/", s.csi->volume_handle) : "-", ",",
                           s.aws_elastic_block_store ? s.aws_elastic_block_store->volume_id : "-",
                           ",", s.local, s.host_path, ",");
  if (s.node_affinity) {
    for (const auto& t : *s.node_affinity) StrAppend(out, "T", Summary(t.match_expressions), ";");
  } else {
    out += "-";
  }
  StrAppend(out, "#", pv.phase);
  return out;
}

std::string Summary(const StorageClass& sc) {
  std::string out = StrCat(Summary(sc.metadata), "#", sc.provisioner, ",", sc.volume_binding_mode);
  for (const auto& t : sc.allowed_topologies) {
    out += "T";
    for (const auto& e : t.match_label_expressions) {
      StrAppend(out, e.key, "=", StrJoin(e.values, "|"), ";");
    }
  }
  return out;
}

std::string Summary(const CSINode& n) {
  std::string out = StrCat(Summary(n.metadata), "#");
  for (const auto& d : n.drivers) {
    StrAppend(out, d.name, ",", d.node_id, ",", d.allocatable_count.value_or(-1), ",",
              StrJoin(d.topology_keys, "|"), ";");
  }
  return out;
}

// Applies `value` at `pointer` (nullopt: removes it) to a copy of `base`.
json Mutate(const json& base, const std::string& pointer, const std::optional<json>& value) {
  json j = base;
  json::json_pointer ptr(pointer);
  if (value.has_value()) {
    j[ptr] = *value;
  } else {
    j[ptr.parent_pointer()].erase(ptr.back());
  }
  return j;
}

struct Mutation {
  std::string pointer;
  std::optional<json> value;
};

template <typename T>
void ExpectRoutesAgree(const json& base, const std::vector<Mutation>& mutations,
                       absl::StatusOr<T> (*direct)(const json&), std::string_view kind,
                       std::vector<T> Manifests::*list) {
  std::vector<Mutation> all = mutations;
  all.insert(all.begin(), Mutation{"/kind", base.value("kind", std::string())});  // unchanged
  for (const Mutation& m : all) {
    json j = Mutate(base, m.pointer, m.value);
    SCOPED_TRACE(StrCat(m.pointer, " = ", m.value ? m.value->dump() : "(removed)"));
    absl::StatusOr<T> got = direct(j);
    absl::StatusOr<Manifests> want = internal::DecodeJsonViaYaml(j, kind);
    ASSERT_EQ(got.ok(), want.ok()) << "direct: " << got.status() << "\nyaml: " << want.status();
    if (!got.ok()) {
      EXPECT_EQ(got.status().message(), want.status().message());
      continue;
    }
    ASSERT_EQ((*want.*list).size(), 1u);
    EXPECT_EQ(Summary(*got), Summary((*want.*list)[0]));
  }
}

TEST(DirectDecoders, PodAgreesWithYamlRoute) {
  json affinity = json::parse(R"({
    "nodeAffinity": {
      "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "a", "operator": "In", "values": ["x", 1, true]}],
         "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n"]}]}]},
      "preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 10, "preference": {"matchExpressions": [{"key": "b", "operator": "Exists"}]}}]},
    "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
      {"labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["w"]}]},
       "namespaces": ["a"], "namespaceSelector": {}, "topologyKey": "kubernetes.io/hostname",
       "matchLabelKeys": ["pod-template-hash"], "mismatchLabelKeys": ["x"]}]},
    "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
      {"weight": 5, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "w"}},
       "topologyKey": "topology.kubernetes.io/zone"}}]}})");
  std::vector<Mutation> mutations = {
      {"/spec/affinity", affinity},
      {"/spec/affinity/nodeAffinity", "x"},
      {"/spec/affinity/nodeAffinity",
       json::parse(
           R"({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
               {"matchExpressions": [{"key": "a", "operator": "In", "values": [[1]]}]}]}})")},
      {"/spec/affinity/nodeAffinity",
       json::parse(R"({"requiredDuringSchedulingIgnoredDuringExecution": 5})")},
      {"/spec/priority", "high"},
      {"/spec/priority", "5"},
      {"/spec/priority", "+5"},
      {"/spec/priority", 1.5},
      {"/spec/priority", true},
      {"/spec/priority", 99999999999},
      {"/spec/priority", -2147483648},
      {"/spec/priority", 18446744073709551615ULL},
      {"/spec/priority", nullptr},
      {"/spec/priority", json::array()},
      {"/spec/containers/0/resources/requests/cpu", nullptr},
      {"/spec/containers/0/resources/requests/cpu", "abc"},
      {"/spec/containers/0/resources/requests/cpu", 2},
      {"/spec/containers/0/resources/requests/cpu", 0.25},
      {"/spec/containers/0/resources/requests/cpu", true},
      {"/spec/containers/0/resources/requests/cpu", json::object()},
      {"/spec/containers/0/resources/requests", json::array()},
      {"/spec/containers/0/ports/0/containerPort", 4294967296LL},
      {"/spec/containers/0/ports/0/containerPort", "8080"},
      {"/spec/containers/0/ports/0/hostPort", 80},
      {"/spec/containers/0/name", 5},
      {"/spec/containers/0/name", json::array()},
      {"/spec/containers", json::object()},
      {"/spec/containers/0", "web"},
      {"/spec/initContainers", json::parse(R"([{"name": "init", "restartPolicy": "Always",
          "resources": {"requests": {"memory": "1Gi"}}}])")},
      {"/spec/overhead", json{{"cpu", "100m"}}},
      {"/spec/nodeSelector", nullptr},
      {"/spec/nodeSelector", json{{"a", 1}, {"b", true}, {"c", nullptr}, {"d\nx", "y"}}},
      {"/spec/nodeSelector", json{{"a", json::object()}}},
      {"/spec/tolerations/0/tolerationSeconds", "300"},
      {"/spec/tolerations/0/effect", nullptr},
      {"/spec/tolerations/1", nullptr},
      {"/spec/topologySpreadConstraints/0/minDomains", 2},
      {"/spec/topologySpreadConstraints/0/matchLabelKeys", json::array({"a"})},
      {"/spec/topologySpreadConstraints/0/labelSelector", "x"},
      {"/spec/volumes/1/persistentVolumeClaim", "x"},
      {"/spec/volumes/1/persistentVolumeClaim", nullptr},
      {"/spec/volumes/1/persistentVolumeClaim/claimName", 7},
      {"/spec/volumes/1/ephemeral",
       json::parse(R"({"volumeClaimTemplate": {"spec": {"storageClassName": "gp3"}}})")},
      {"/spec/volumes/1/ephemeral", json::parse(R"({"volumeClaimTemplate": {"spec": {}}})")},
      {"/spec/volumes/1/ephemeral", json::object()},
      {"/spec/volumes/1/ephemeral", "x"},
      {"/spec/volumes/1/ephemeral", json::parse(R"({"volumeClaimTemplate": 1})")},
      {"/spec/volumes/1/ephemeral",
       json::parse(R"({"volumeClaimTemplate": {"spec": {"storageClassName": ["x"]}}})")},
      {"/spec", "x"},
      {"/spec", nullptr},
      {"/status", nullptr},
      {"/status/phase", json::object()},
      {"/status/nominatedNodeName", "n1"},
      {"/status/conditions", json::object()},
      {"/metadata/labels/app", 5},
      {"/metadata/labels/app", true},
      {"/metadata/labels/app", nullptr},
      {"/metadata/labels/app", json::object()},
      {"/metadata/labels", json::array()},
      {"/metadata/name", 5},
      {"/metadata/name", nullptr},
      {"/metadata/generateName", nullptr},
      {"/metadata/namespace", nullptr},
      {"/metadata/deletionTimestamp", "2026-11-29T09:10:00Z"},
      {"/metadata/generation", 3},
      {"/metadata/generation", "3"},
      {"/metadata/finalizers", json::array({"a", "b"})},
      {"/metadata/finalizers", "a"},
      {"/metadata/ownerReferences/0/controller", "true"},
      {"/metadata/ownerReferences/0/controller", 1},
      {"/metadata", "x"},
      {"/metadata", nullptr},
      {"/apiVersion", "apps/v1"},
      {"/apiVersion", "v2"},
      {"/apiVersion", ""},
      {"/apiVersion", nullptr},
      {"/apiVersion", 5},
      {"/apiVersion", json::object()},
      {"/apiVersion", std::nullopt},
      {"/kind", std::nullopt},
      {"/kind", nullptr},
      {"/kind", "Node"},
  };
  json base = json::parse(kPodJson);
  ExpectRoutesAgree<Pod>(base, mutations, &PodFromJson, "Pod", &Manifests::pods);
  // Without a name, so that messages show generateName.
  json unnamed = base;
  unnamed["metadata"].erase("name");
  ExpectRoutesAgree<Pod>(unnamed, {{"/spec/priority", "x"}}, &PodFromJson, "Pod", &Manifests::pods);
}

TEST(DirectDecoders, NodeAgreesWithYamlRoute) {
  std::vector<Mutation> mutations = {
      {"/spec/unschedulable", true},
      {"/spec/unschedulable", "true"},
      {"/spec/taints/0/value", "x"},
      {"/spec/taints", json::object()},
      {"/spec/taints/0", 5},
      {"/spec/providerID", nullptr},
      {"/spec", "x"},
      {"/spec", std::nullopt},
      {"/status/capacity/cpu", "2x"},
      {"/status/capacity/cpu", nullptr},
      {"/status/allocatable", json::array()},
      {"/status/conditions/0/status", false},
      {"/status/conditions", nullptr},
      {"/status", 1},
      {"/metadata/namespace", "ns"},
  };
  ExpectRoutesAgree<Node>(json::parse(kNodeJson), mutations, &NodeFromJson, "Node",
                          &Manifests::nodes);
}

TEST(DirectDecoders, DaemonSetAndPdbAgreeWithYamlRoute) {
  json ds = json::parse(R"({"apiVersion": "apps/v1", "kind": "DaemonSet",
    "metadata": {"name": "agent", "namespace": "kube-system"},
    "spec": {"selector": {"matchLabels": {"app": "agent"}},
             "template": {"metadata": {"labels": {"app": "agent"}},
                          "spec": {"containers": [{"name": "a",
                                   "resources": {"requests": {"cpu": "50m"}}}],
                                   "tolerations": [{"operator": "Exists"}]}}},
    "status": {"numberReady": 2}})");
  ExpectRoutesAgree<DaemonSet>(ds,
                               {{"/spec/template/spec/containers/0/resources/requests/cpu", "x"},
                                {"/spec/template", "x"},
                                {"/spec/selector/matchExpressions", json::array({1})},
                                {"/spec", nullptr},
                                {"/apiVersion", "extensions/v1beta1"}},
                               &DaemonSetFromJson, "DaemonSet", &Manifests::daemon_sets);
  json pdb = json::parse(R"({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
    "metadata": {"name": "web"},
    "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}})");
  ExpectRoutesAgree<PodDisruptionBudget>(pdb,
                                         {{"/spec/minAvailable", 2},
                                          {"/spec/minAvailable", json::object()},
                                          {"/spec/maxUnavailable", true},
                                          {"/spec/selector", 3},
                                          {"/spec", std::nullopt}},
                                         &PodDisruptionBudgetFromJson, "PodDisruptionBudget",
                                         &Manifests::pod_disruption_budgets);
}

constexpr const char* kPersistentVolumeJson = R"json({
  "apiVersion": "v1", "kind": "PersistentVolume",
  "metadata": {"name": "pvc-0b1e", "uid": "u-9",
    "annotations": {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com"},
    "finalizers": ["kubernetes.io/pv-protection"]},
  "spec": {
    "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"},
    "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": "data-db-0"},
    "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": "vol-0b1e",
            "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "x"}},
    "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
      {"key": "topology.ebs.csi.aws.com/zone", "operator": "In", "values": ["us-east-1a"]}]}]}},
    "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "gp3",
    "volumeMode": "Filesystem"},
  "status": {"phase": "Bound"}
})json";

TEST(StorageFromJson, DecodesApiServerObjects) {
  absl::StatusOr<PersistentVolume> pv =
      PersistentVolumeFromJson(json::parse(kPersistentVolumeJson));
  ASSERT_TRUE(pv.ok()) << pv.status();
  EXPECT_EQ(pv->spec.csi->driver, "ebs.csi.aws.com");
  EXPECT_EQ((*pv->spec.node_affinity)[0].match_expressions[0].values[0], "us-east-1a");
  EXPECT_EQ(pv->phase, "Bound");

  absl::StatusOr<PersistentVolumeClaim> pvc = PersistentVolumeClaimFromJson(json::parse(R"({
    "metadata": {"name": "data-db-0", "namespace": "shop"},
    "spec": {"storageClassName": "gp3", "volumeName": "pvc-0b1e",
             "resources": {"requests": {"storage": "10Gi"}}},
    "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}}})"));
  ASSERT_TRUE(pvc.ok()) << pvc.status();
  EXPECT_EQ(pvc->spec.storage_class_name, "gp3");
  EXPECT_EQ(pvc->spec.volume_name, "pvc-0b1e");

  absl::StatusOr<StorageClass> sc = StorageClassFromJson(json::parse(R"({
    "metadata": {"name": "gp3"}, "provisioner": "ebs.csi.aws.com",
    "parameters": {"type": "gp3"}, "reclaimPolicy": "Delete"})"));
  ASSERT_TRUE(sc.ok()) << sc.status();
  EXPECT_EQ(sc->volume_binding_mode, "Immediate") << "defaulted as the API server does";

  absl::StatusOr<CSINode> node = CSINodeFromJson(json::parse(R"({
    "metadata": {"name": "ip-10-0-0-1"},
    "spec": {"drivers": [{"name": "ebs.csi.aws.com", "nodeID": "i-1",
                          "allocatable": {"count": 26}}]}})"));
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->drivers[0].allocatable_count, 26);
}

TEST(DirectDecoders, StorageKindsAgreeWithYamlRoute) {
  ExpectRoutesAgree<PersistentVolume>(
      json::parse(kPersistentVolumeJson),
      {{"/spec/csi", nullptr},
       {"/spec/csi", "x"},
       {"/spec/csi/driver", 5},
       {"/spec/awsElasticBlockStore", json{{"volumeID", "vol-1"}}},
       {"/spec/awsElasticBlockStore", json{{"volumeID", json::array()}}},
       {"/spec/local", json{{"path", "/mnt"}}},
       {"/spec/local", "x"},
       {"/spec/hostPath", json{{"path", "/tmp"}}},
       {"/spec/hostPath", nullptr},
       {"/spec/nodeAffinity", nullptr},
       {"/spec/nodeAffinity", json::object()},
       {"/spec/nodeAffinity/required", json::object()},
       {"/spec/nodeAffinity/required", 3},
       {"/spec/nodeAffinity/required/nodeSelectorTerms", json::object()},
       {"/spec/storageClassName", json::array()},
       {"/spec", nullptr},
       {"/spec", 1},
       {"/status/phase", 1},
       {"/status", std::nullopt},
       {"/apiVersion", "storage.k8s.io/v1"}},
      &PersistentVolumeFromJson, "PersistentVolume", &Manifests::persistent_volumes);
  json pvc = json::parse(R"({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data"},
    "spec": {"storageClassName": "gp3", "volumeName": "pv-1"}, "status": {"phase": "Bound"}})");
  ExpectRoutesAgree<PersistentVolumeClaim>(pvc,
                                           {{"/spec/storageClassName", ""},
                                            {"/spec/storageClassName", nullptr},
                                            {"/spec/storageClassName", std::nullopt},
                                            {"/spec/volumeName", 1},
                                            {"/spec", "x"},
                                            {"/status", 3}},
                                           &PersistentVolumeClaimFromJson, "PersistentVolumeClaim",
                                           &Manifests::persistent_volume_claims);
  json sc = json::parse(R"({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
    "metadata": {"name": "gp3"}, "provisioner": "ebs.csi.aws.com",
    "volumeBindingMode": "WaitForFirstConsumer",
    "allowedTopologies": [{"matchLabelExpressions": [
      {"key": "topology.kubernetes.io/zone", "values": ["a", "b"]}]}]})");
  ExpectRoutesAgree<StorageClass>(sc,
                                  {{"/volumeBindingMode", std::nullopt},
                                   {"/allowedTopologies", json::object()},
                                   {"/allowedTopologies/0/matchLabelExpressions/0/values", "a"},
                                   {"/provisioner", nullptr},
                                   {"/apiVersion", "storage.k8s.io/v1beta1"}},
                                  &StorageClassFromJson, "StorageClass",
                                  &Manifests::storage_classes);
  json csi = json::parse(R"({"apiVersion": "storage.k8s.io/v1", "kind": "CSINode",
    "metadata": {"name": "n1"},
    "spec": {"drivers": [{"name": "ebs.csi.aws.com", "nodeID": "i-1",
                          "allocatable": {"count": 25}, "topologyKeys": ["zone"]}]}})");
  ExpectRoutesAgree<CSINode>(csi,
                             {{"/spec/drivers/0/allocatable", nullptr},
                              {"/spec/drivers/0/allocatable", json::object()},
                              {"/spec/drivers/0/allocatable/count", "25"},
                              {"/spec/drivers/0/allocatable/count", 4294967296LL},
                              {"/spec/drivers/0/allocatable", 1},
                              {"/spec/drivers", json::object()},
                              {"/spec", std::nullopt}},
                             &CSINodeFromJson, "CSINode", &Manifests::csi_nodes);
}

NodeClaim SampleNodeClaim() {
  NodeClaim nc;
  nc.metadata.name = "default-x7k2p";
  nc.metadata.labels = {{"karpenter.sh/nodepool", "default"}, {"team", "web"}};
  nc.metadata.annotations = {{"karpenter.sh/nodepool-hash", "6821555240594823858"}};
  nc.metadata.owner_references = {
      {.api_version = "karpenter.sh/v1", .kind = "NodePool", .name = "default", .uid = "u-1"}};
  nc.metadata.finalizers = {"karpenter.sh/termination"};
  nc.spec.taints = {{"dedicated", "web", "NoSchedule"}};
  nc.spec.startup_taints = {{"node.cilium.io/agent-not-ready", "true", "NoExecute"}};
  nc.spec.requirements = {
      {.key = "node.kubernetes.io/instance-type", .operator_ = "In", .values = {"m5.large"}},
      {.key = "karpenter.k8s.aws/instance-category",
       .operator_ = "In",
       .values = {"c", "m"},
       .min_values = 2},
      {.key = "kubernetes.io/arch", .operator_ = "Exists"}};
  nc.spec.resource_requests = {
      {"cpu", Quantity::FromMilli(1500)},
      {"memory", Quantity::FromUnits(int64_t{3} << 30, Quantity::Format::kBinarySI)},
      {"pods", Quantity::FromUnits(4)}};
  nc.spec.node_class_ref = {"karpenter.k8s.aws", "EC2NodeClass", "default"};
  nc.spec.expire_after = Duration{std::nullopt, "Never"};
  nc.spec.termination_grace_period = Duration{3600, "1h"};
  nc.status.node_name = "ip-10-0-12-34.us-west-2.compute.internal";
  nc.status.provider_id = "aws:///us-west-2a/i-0123456789abcdef0";
  nc.status.image_id = "ami-0123456789abcdef0";
  nc.status.capacity = {{"cpu", Quantity::FromUnits(2)}};
  nc.status.allocatable = {{"cpu", Quantity::FromMilli(1930)}};
  nc.status.conditions = {{.type = "Launched",
                           .status = "True",
                           .reason = "Launched",
                           .last_transition_time = "2026-11-29T09:00:00Z",
                           .observed_generation = 1},
                          {.type = "Registered", .status = "Unknown"}};
  return nc;
}

TEST(NodeClaimToJson, WritesKarpenterShape) {
  json j = ToJson(SampleNodeClaim());
  EXPECT_EQ(j["apiVersion"], "karpenter.sh/v1");
  EXPECT_EQ(j["kind"], "NodeClaim");
  EXPECT_EQ(j["metadata"]["ownerReferences"][0],
            json::parse(R"({"apiVersion":"karpenter.sh/v1","kind":"NodePool","name":"default",
                            "uid":"u-1","blockOwnerDeletion":true})"));
  EXPECT_EQ(j["spec"]["resources"]["requests"],
            json::parse(R"({"cpu":"1500m","memory":"3Gi","pods":"4"})"));
  EXPECT_EQ(j["spec"]["requirements"][1],
            json::parse(R"({"key":"karpenter.k8s.aws/instance-category","operator":"In",
                            "values":["c","m"],"minValues":2})"));
  EXPECT_EQ(j["spec"]["requirements"][2],
            json::parse(R"({"key":"kubernetes.io/arch","operator":"Exists"})"));
  EXPECT_EQ(j["spec"]["nodeClassRef"],
            json::parse(R"({"group":"karpenter.k8s.aws","kind":"EC2NodeClass","name":"default"})"));
  EXPECT_EQ(j["spec"]["expireAfter"], "Never");
  EXPECT_EQ(j["spec"]["terminationGracePeriod"], "1h");
  EXPECT_EQ(j["spec"]["taints"][0], json::parse(R"({"key":"dedicated","value":"web",
                                                     "effect":"NoSchedule"})"));
  EXPECT_EQ(j["status"]["conditions"][1], json::parse(R"({"type":"Registered",
                                                           "status":"Unknown"})"));
  EXPECT_EQ(j["status"]["allocatable"]["cpu"], "1930m");
  EXPECT_FALSE(j["metadata"].contains("namespace"));
}

TEST(NodeClaimToJson, NewNodeClaimHasNoStatus) {
  NodeClaim nc;
  nc.metadata.generate_name = "default-";
  nc.spec.node_class_ref = {"karpenter.k8s.aws", "EC2NodeClass", "default"};
  json j = ToJson(nc);
  EXPECT_FALSE(j.contains("status"));
  EXPECT_EQ(j["metadata"], json::parse(R"({"generateName":"default-"})"));
  EXPECT_EQ(j["spec"]["requirements"], json::array());
  EXPECT_EQ(j["spec"]["expireAfter"], "720h");
}

TEST(NodeClaimToJson, RoundTrips) {
  NodeClaim want = SampleNodeClaim();
  absl::StatusOr<NodeClaim> got = NodeClaimFromJson(ToJson(want));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->metadata.name, want.metadata.name);
  EXPECT_EQ(got->metadata.labels, want.metadata.labels);
  EXPECT_EQ(got->metadata.annotations, want.metadata.annotations);
  ASSERT_EQ(got->metadata.owner_references.size(), 1u);
  EXPECT_EQ(got->metadata.owner_references[0].uid, "u-1");
  EXPECT_FALSE(got->metadata.owner_references[0].controller);
  EXPECT_EQ(got->metadata.finalizers, want.metadata.finalizers);
  EXPECT_EQ(got->spec.taints, want.spec.taints);
  EXPECT_EQ(got->spec.startup_taints, want.spec.startup_taints);
  ASSERT_EQ(got->spec.requirements.size(), want.spec.requirements.size());
  for (size_t i = 0; i < want.spec.requirements.size(); ++i) {
    EXPECT_EQ(got->spec.requirements[i].key, want.spec.requirements[i].key);
    EXPECT_EQ(got->spec.requirements[i].operator_, want.spec.requirements[i].operator_);
    EXPECT_EQ(got->spec.requirements[i].values, want.spec.requirements[i].values);
    EXPECT_EQ(got->spec.requirements[i].min_values, want.spec.requirements[i].min_values);
  }
  EXPECT_EQ(got->spec.resource_requests, want.spec.resource_requests);
  EXPECT_EQ(got->spec.node_class_ref.name, "default");
  EXPECT_EQ(got->spec.expire_after, want.spec.expire_after);
  EXPECT_EQ(got->spec.termination_grace_period, want.spec.termination_grace_period);
  EXPECT_EQ(got->status.node_name, want.status.node_name);
  EXPECT_EQ(got->status.provider_id, want.status.provider_id);
  EXPECT_EQ(got->status.image_id, want.status.image_id);
  EXPECT_EQ(got->status.capacity, want.status.capacity);
  EXPECT_EQ(got->status.allocatable, want.status.allocatable);
  ASSERT_EQ(got->status.conditions.size(), 2u);
  EXPECT_EQ(got->status.conditions[0].last_transition_time, "2026-11-29T09:00:00Z");
  EXPECT_EQ(got->status.conditions[0].observed_generation, 1);
  EXPECT_EQ(got->status.conditions[0].reason, "Launched");
  EXPECT_EQ(got->status.conditions[1].status, "Unknown");
  // And back again: the JSON is stable.
  EXPECT_EQ(ToJson(*got), ToJson(want));
}

TEST(NodeToJson, RoundTrips) {
  absl::StatusOr<Node> node = NodeFromJson(json::parse(kNodeJson));
  ASSERT_TRUE(node.ok()) << node.status();
  node->unschedulable = true;
  json j = ToJson(*node);
  EXPECT_EQ(j["kind"], "Node");
  EXPECT_EQ(j["spec"]["providerID"], "aws:///us-west-2a/i-0123456789abcdef0");
  EXPECT_EQ(j["spec"]["unschedulable"], true);
  EXPECT_EQ(j["status"]["allocatable"]["cpu"], "1930m");
  EXPECT_EQ(j["status"]["capacity"]["memory"], "7910348Ki");
  absl::StatusOr<Node> back = NodeFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->metadata.labels, node->metadata.labels);
  EXPECT_EQ(back->metadata.annotations, node->metadata.annotations);
  EXPECT_EQ(back->metadata.resource_version, "184101");
  EXPECT_EQ(back->taints, node->taints);
  EXPECT_EQ(back->capacity, node->capacity);
  EXPECT_EQ(back->allocatable, node->allocatable);
  EXPECT_TRUE(back->unschedulable);
  ASSERT_EQ(back->conditions.size(), 2u);
  EXPECT_EQ(back->conditions[1].reason, "KubeletReady");
  EXPECT_EQ(ToJson(*back), j);
}

TEST(ResourceListToJson, UsesCanonicalQuantities) {
  ResourceList r = {
      {"cpu", Quantity::FromMilli(500)},
      {"memory", Quantity::FromUnits(int64_t{16} << 30, Quantity::Format::kBinarySI)}};
  EXPECT_EQ(ResourceListToJson(r), json::parse(R"({"cpu":"500m","memory":"16Gi"})"));
  EXPECT_EQ(ResourceListToJson({}), json::object());
}

TEST(ConditionsToJson, LeavesOutEmptyFields) {
  EXPECT_EQ(ConditionsToJson({{.type = "Ready",
                               .status = "False",
                               .reason = "NotReady",
                               .message = "waiting",
                               .last_transition_time = "t",
                               .observed_generation = 3}}),
            json::parse(R"([{"type":"Ready","status":"False","reason":"NotReady",
                             "message":"waiting","lastTransitionTime":"t",
                             "observedGeneration":3}])"));
  EXPECT_EQ(ConditionsToJson({}), json::array());
}

}  // namespace
}  // namespace joinery::api
