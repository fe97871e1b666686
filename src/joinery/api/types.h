// Kubernetes and Karpenter v1 API types, as plain values.
//
// These mirror the fields of the upstream objects that Joinery reads (karpenter.sh/v1 NodePool and
// NodeClaim, karpenter.k8s.aws/v1 EC2NodeClass, core/v1 Pod and Node, apps/v1 workloads, batch/v1
// Job, policy/v1 PodDisruptionBudget, core/v1 PersistentVolumeClaim and PersistentVolume,
// storage.k8s.io/v1 StorageClass and CSINode). Field names follow the JSON names in C++ style.
// Optional fields are std::optional; defaults are applied by ApplyDefaults() (defaults.h), not
// here. Plain values: copy freely, thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "joinery/common/quantity.h"

namespace joinery::api {

using StringMap = std::map<std::string, std::string, std::less<>>;

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
};

struct ObjectMeta {
  std::string name;
  std::string generate_name;
  std::string namespace_;  // empty for cluster-scoped objects
  std::string uid;
  std::string resource_version;
  std::string creation_timestamp;  // RFC 3339 as written; empty when absent
  std::optional<std::string> deletion_timestamp;
  int64_t generation = 0;
  StringMap labels;
  StringMap annotations;
  std::vector<OwnerReference> owner_references;
  std::vector<std::string> finalizers;

  // The namespace as the API server defaults it for a namespaced object ("default" when unset).
  std::string_view NamespaceOrDefault() const {
    return namespace_.empty() ? std::string_view("default") : std::string_view(namespace_);
  }
};

// Where an object came from, for error messages ("examples/a.yaml: NodePool/default: spec...").
struct Source {
  std::string file;
  int document = 0;  // 0-based index of the YAML document in the file
};

// ---- Scheduling vocabulary shared by pods, nodes and NodePools ----

struct NodeSelectorRequirement {
  std::string key;
  std::string operator_;  // In, NotIn, Exists, DoesNotExist, Gt, Lt (Gte, Lte in Karpenter)
  std::vector<std::string> values;
  std::optional<int> min_values;  // Karpenter NodePool/NodeClaim requirements only
};

struct NodeSelectorTerm {
  std::vector<NodeSelectorRequirement> match_expressions;
  std::vector<NodeSelectorRequirement> match_fields;
};

struct PreferredSchedulingTerm {
  int32_t weight = 0;
  NodeSelectorTerm preference;
};

struct NodeAffinity {
  // requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms (ORed); nullopt when absent.
  std::optional<std::vector<NodeSelectorTerm>> required;
  std::vector<PreferredSchedulingTerm> preferred;
};

struct LabelSelectorRequirement {
  std::string key;
  std::string operator_;  // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
};

struct LabelSelector {
  StringMap match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
};

struct PodAffinityTerm {
  std::optional<LabelSelector> label_selector;
  std::vector<std::string> namespaces;
  std::optional<LabelSelector> namespace_selector;
  std::string topology_key;
  std::vector<std::string> match_label_keys;
  std::vector<std::string> mismatch_label_keys;
};

struct WeightedPodAffinityTerm {
  int32_t weight = 0;
  PodAffinityTerm pod_affinity_term;
};

struct PodAffinity {
  std::vector<PodAffinityTerm> required;
  std::vector<WeightedPodAffinityTerm> preferred;
};

struct Affinity {
  std::optional<NodeAffinity> node_affinity;
  std::optional<PodAffinity> pod_affinity;
  std::optional<PodAffinity> pod_anti_affinity;
};

struct Taint {
  std::string key;
  std::string value;
  std::string effect;  // NoSchedule, PreferNoSchedule, NoExecute
  bool operator==(const Taint&) const = default;
};

struct Toleration {
  std::string key;       // empty with operator Exists matches every taint
  std::string operator_;  // Equal (default) or Exists
  std::string value;
  std::string effect;    // empty matches every effect
  std::optional<int64_t> toleration_seconds;
};

struct TopologySpreadConstraint {
  int32_t max_skew = 1;
  std::string topology_key;
  std::string when_unsatisfiable;  // DoNotSchedule, ScheduleAnyway
  std::optional<LabelSelector> label_selector;
  std::optional<int32_t> min_domains;
  std::string node_affinity_policy;  // Honor (default), Ignore
  std::string node_taints_policy;    // Ignore (default), Honor
  std::vector<std::string> match_label_keys;
};

// ---- core/v1 Pod ----

struct ContainerPort {
  std::string name;
  int32_t container_port = 0;
  int32_t host_port = 0;
  std::string host_ip;
  std::string protocol;  // TCP default
};

struct ResourceRequirements {
  ResourceList requests;
  ResourceList limits;
};

struct Container {
  std::string name;
  std::string image;
  ResourceRequirements resources;
  std::vector<ContainerPort> ports;
  std::string restart_policy;  // "Always" on an init container makes it a sidecar
};

// The spec of a PersistentVolumeClaim, and of a generic ephemeral volume's volumeClaimTemplate.
struct PersistentVolumeClaimSpec {
  // Absent: the cluster's default StorageClass (the API server's DefaultStorageClass admission
  // plugin fills it in); "": no dynamic provisioning.
  std::optional<std::string> storage_class_name;
  std::string volume_name;  // the bound PersistentVolume; empty while unbound
};

struct Volume {
  std::string name;
  std::optional<std::string> pvc_claim_name;  // persistentVolumeClaim.claimName
  // ephemeral.volumeClaimTemplate.spec: a generic ephemeral volume, whose PersistentVolumeClaim
  // Kubernetes names <pod name>-<volume name>.
  std::optional<PersistentVolumeClaimSpec> ephemeral;
};

struct PodSpec {
  std::vector<Container> containers;
  std::vector<Container> init_containers;
  ResourceList overhead;
  StringMap node_selector;
  std::optional<Affinity> affinity;
  std::vector<Toleration> tolerations;
  std::vector<TopologySpreadConstraint> topology_spread_constraints;
  std::vector<Volume> volumes;
  std::string node_name;
  std::string scheduler_name;
  std::string priority_class_name;
  std::optional<int32_t> priority;
  std::string restart_policy;
  std::string service_account_name;
};

struct PodCondition {
  std::string type;
  std::string status;
  std::string reason;
  std::string message;
};

struct PodStatus {
  std::string phase;
  std::vector<PodCondition> conditions;
  std::string nominated_node_name;
};

struct Pod {
  ObjectMeta metadata;
  PodSpec spec;
  PodStatus status;
  Source source;
};

struct PodTemplateSpec {
  ObjectMeta metadata;
  PodSpec spec;
};

// ---- core/v1 Node ----

struct NodeCondition {
  std::string type;
  std::string status;
  std::string reason;
  std::string message;
};

struct Node {
  ObjectMeta metadata;
  std::string provider_id;
  bool unschedulable = false;
  std::vector<Taint> taints;
  ResourceList capacity;
  ResourceList allocatable;
  std::vector<NodeCondition> conditions;
  Source source;
};

// ---- Storage: core/v1 PersistentVolumeClaim and PersistentVolume, storage.k8s.io/v1 ----

struct PersistentVolumeClaim {
  ObjectMeta metadata;
  PersistentVolumeClaimSpec spec;
  std::string phase;  // status.phase: Pending, Bound, Lost
  Source source;
};

struct CSIPersistentVolumeSource {
  std::string driver;  // e.g. ebs.csi.aws.com
  std::string volume_handle;
};

// The in-tree EBS source; its CSI equivalent is the ebs.csi.aws.com driver.
struct AWSElasticBlockStoreVolumeSource {
  std::string volume_id;
};

struct PersistentVolumeSpec {
  std::string storage_class_name;
  std::optional<CSIPersistentVolumeSource> csi;
  std::optional<AWSElasticBlockStoreVolumeSource> aws_elastic_block_store;
  bool local = false;      // spec.local is set (a local volume, pinned to one node)
  bool host_path = false;  // spec.hostPath is set
  // spec.nodeAffinity.required.nodeSelectorTerms (ORed); nullopt when absent.
  std::optional<std::vector<NodeSelectorTerm>> node_affinity;
};

struct PersistentVolume {  // cluster-scoped
  ObjectMeta metadata;
  PersistentVolumeSpec spec;
  std::string phase;  // status.phase: Pending, Available, Bound, Released, Failed
  Source source;
};

struct TopologySelectorLabelRequirement {
  std::string key;
  std::vector<std::string> values;
};

struct TopologySelectorTerm {
  std::vector<TopologySelectorLabelRequirement> match_label_expressions;
};

struct StorageClass {  // storage.k8s.io/v1, cluster-scoped
  ObjectMeta metadata;
  std::string provisioner;
  std::string volume_binding_mode;  // Immediate (the default) or WaitForFirstConsumer
  std::vector<TopologySelectorTerm> allowed_topologies;  // ORed; empty = anywhere
  Source source;
};

struct CSINodeDriver {
  std::string name;  // the CSI driver, e.g. ebs.csi.aws.com
  std::string node_id;
  // allocatable.count: the most unique volumes of this driver the node can use; nullopt when
  // absent (unbounded).
  std::optional<int32_t> allocatable_count;
  std::vector<std::string> topology_keys;
};

struct CSINode {  // storage.k8s.io/v1, cluster-scoped; metadata.name is the node's name
  ObjectMeta metadata;
  std::vector<CSINodeDriver> drivers;  // spec.drivers
  Source source;
};

// ---- Workloads (apps/v1, batch/v1) ----

struct Deployment {
  ObjectMeta metadata;
  int32_t replicas = 1;
  std::optional<LabelSelector> selector;
  PodTemplateSpec template_;
  Source source;
};

struct ReplicaSet {
  ObjectMeta metadata;
  int32_t replicas = 1;
  std::optional<LabelSelector> selector;
  PodTemplateSpec template_;
  Source source;
};

struct StatefulSet {
  ObjectMeta metadata;
  int32_t replicas = 1;
  std::optional<LabelSelector> selector;
  std::string service_name;
  PodTemplateSpec template_;
  // spec.volumeClaimTemplates: the StatefulSet controller gives the pod of ordinal i, for each
  // template t, the claim <t name>-<StatefulSet name>-<i>, mounted as volume <t name>. Only each
  // template's metadata and spec are read.
  std::vector<PersistentVolumeClaim> volume_claim_templates;
  Source source;
};

struct Job {
  ObjectMeta metadata;
  int32_t parallelism = 1;
  std::optional<int32_t> completions;
  PodTemplateSpec template_;
  Source source;
};

struct DaemonSet {
  ObjectMeta metadata;
  std::optional<LabelSelector> selector;
  PodTemplateSpec template_;
  Source source;
};

struct PodDisruptionBudget {
  ObjectMeta metadata;
  std::optional<std::string> min_available;    // int or percent, as written
  std::optional<std::string> max_unavailable;  // int or percent, as written
  std::optional<LabelSelector> selector;
  Source source;
};

// ---- karpenter.sh/v1 ----

struct NodeClassReference {
  std::string group;
  std::string kind;
  std::string name;
};

struct Budget {
  std::vector<std::string> reasons;  // Underutilized, Empty, Drifted; empty = all
  std::string nodes = "10%";
  std::optional<std::string> schedule;
  std::optional<std::string> duration;
};

struct Disruption {
  std::string consolidation_policy = "WhenEmptyOrUnderutilized";
  Duration consolidate_after{0, "0s"};
  std::vector<Budget> budgets;  // defaulted to [{nodes: 10%}] when absent
};

struct NodeClaimTemplateSpec {
  std::vector<Taint> taints;
  std::vector<Taint> startup_taints;
  std::vector<NodeSelectorRequirement> requirements;
  NodeClassReference node_class_ref;
  Duration expire_after{720 * 3600, "720h"};
  std::optional<Duration> termination_grace_period;
};

struct NodeClaimTemplate {
  StringMap labels;
  StringMap annotations;
  NodeClaimTemplateSpec spec;
};

struct Condition {
  std::string type;
  std::string status;  // True, False, Unknown
  std::string reason;
  std::string message;
  std::string last_transition_time;
  int64_t observed_generation = 0;
};

struct NodePool {
  ObjectMeta metadata;
  NodeClaimTemplate template_;
  Disruption disruption;
  ResourceList limits;
  std::optional<int32_t> weight;
  std::optional<int64_t> replicas;  // static NodePools (alpha)
  // status.conditions as read (Ready, ValidationSucceeded, NodeClassReady, ...); Joinery's
  // controller writes status, it never plans from it.
  std::vector<Condition> status_conditions;
  Source source;
  // Karpenter's effective weight: unset is 0.
  int32_t EffectiveWeight() const { return weight.value_or(0); }
};

struct NodeClaimSpec {
  std::vector<Taint> taints;
  std::vector<Taint> startup_taints;
  std::vector<NodeSelectorRequirement> requirements;
  ResourceList resource_requests;  // spec.resources.requests
  NodeClassReference node_class_ref;
  Duration expire_after{720 * 3600, "720h"};
  std::optional<Duration> termination_grace_period;
};


struct NodeClaimStatus {
  std::string node_name;
  std::string provider_id;
  std::string image_id;
  ResourceList capacity;
  ResourceList allocatable;
  std::vector<Condition> conditions;
};

struct NodeClaim {
  ObjectMeta metadata;
  NodeClaimSpec spec;
  NodeClaimStatus status;
  Source source;
};

// ---- karpenter.k8s.aws/v1 EC2NodeClass ----

struct SelectorTerm {  // subnet / security group / capacity reservation selector terms
  StringMap tags;
  std::string id;
  std::string name;                     // security groups only
  std::string owner_id;                 // capacity reservations only
  std::string instance_match_criteria;  // capacity reservations only
};

struct AMISelectorTerm {
  std::string alias;
  StringMap tags;
  std::string id;
  std::string name;
  std::string owner;
  std::string ssm_parameter;
};

struct BlockDevice {
  std::optional<bool> delete_on_termination;
  std::optional<bool> encrypted;
  std::optional<int64_t> iops;
  std::string kms_key_id;
  std::string snapshot_id;
  std::optional<int64_t> throughput;
  std::optional<int64_t> volume_initialization_rate;
  std::optional<Quantity> volume_size;
  std::string volume_type;
};

struct BlockDeviceMapping {
  std::string device_name;
  bool root_volume = false;
  std::optional<BlockDevice> ebs;
};

struct MetadataOptions {
  std::string http_endpoint = "enabled";
  std::string http_protocol_ipv6 = "disabled";
  int64_t http_put_response_hop_limit = 1;
  std::string http_tokens = "required";
};

struct KubeletConfiguration {
  std::vector<std::string> cluster_dns;
  std::optional<int32_t> max_pods;
  std::optional<int32_t> pods_per_core;
  StringMap system_reserved;
  StringMap kube_reserved;
  StringMap eviction_hard;
  StringMap eviction_soft;
  StringMap eviction_soft_grace_period;
  std::optional<int32_t> eviction_max_pod_grace_period;
  std::optional<int32_t> image_gc_high_threshold_percent;
  std::optional<int32_t> image_gc_low_threshold_percent;
  std::optional<bool> cpu_cfs_quota;
};

struct NetworkInterface {
  int32_t network_card_index = 0;
  int32_t device_index = 0;
  std::string interface_type;  // interface, efa-only
};

struct ConnectionTracking {
  std::optional<int32_t> tcp_established_timeout;
  std::optional<int32_t> udp_stream_timeout;
  std::optional<int32_t> udp_timeout;
};

struct EC2NodeClass {
  ObjectMeta metadata;
  std::vector<SelectorTerm> subnet_selector_terms;
  std::vector<SelectorTerm> security_group_selector_terms;
  std::vector<SelectorTerm> capacity_reservation_selector_terms;
  std::optional<SelectorTerm> placement_group_selector;  // name or id
  std::vector<AMISelectorTerm> ami_selector_terms;
  std::string ami_family;  // inferred from the alias when empty
  std::optional<std::string> user_data;
  std::string role;
  std::string instance_profile;
  StringMap tags;
  std::optional<KubeletConfiguration> kubelet;
  std::vector<BlockDeviceMapping> block_device_mappings;
  std::string instance_store_policy;  // "" or RAID0
  std::vector<NetworkInterface> network_interfaces;
  std::optional<bool> detailed_monitoring;
  std::optional<bool> associate_public_ip_address;
  std::optional<int32_t> ip_prefix_count;
  MetadataOptions metadata_options;
  std::optional<ConnectionTracking> connection_tracking;
  std::string nested_virtualization;  // cpuOptions.nestedVirtualization
  std::string context;
  Source source;
};

// Everything read from a set of manifests, in file order within each kind.
struct Manifests {
  std::vector<NodePool> node_pools;
  std::vector<EC2NodeClass> node_classes;
  std::vector<NodeClaim> node_claims;
  std::vector<Pod> pods;
  std::vector<Node> nodes;
  std::vector<Deployment> deployments;
  std::vector<ReplicaSet> replica_sets;
  std::vector<StatefulSet> stateful_sets;
  std::vector<Job> jobs;
  std::vector<DaemonSet> daemon_sets;
  std::vector<PodDisruptionBudget> pod_disruption_budgets;
  std::vector<PersistentVolumeClaim> persistent_volume_claims;
  std::vector<PersistentVolume> persistent_volumes;
  std::vector<StorageClass> storage_classes;
  std::vector<CSINode> csi_nodes;
  // Kinds Joinery does not model (Service, ConfigMap, ...) are counted, not rejected.
  std::map<std::string, int> ignored_kinds;
};

}  // namespace joinery::api
