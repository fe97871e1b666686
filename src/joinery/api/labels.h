// Well-known label keys, taint keys, annotation keys and resource names, as Karpenter and its AWS
// provider define them. Constants only; thread-safe.
#pragma once

#include <string_view>

#include "absl/container/flat_hash_set.h"

namespace joinery::api {

// Kubernetes
inline constexpr std::string_view kLabelHostname = "kubernetes.io/hostname";
inline constexpr std::string_view kLabelZone = "topology.kubernetes.io/zone";
inline constexpr std::string_view kLabelRegion = "topology.kubernetes.io/region";
inline constexpr std::string_view kLabelInstanceType = "node.kubernetes.io/instance-type";
inline constexpr std::string_view kLabelArch = "kubernetes.io/arch";
inline constexpr std::string_view kLabelOS = "kubernetes.io/os";
inline constexpr std::string_view kLabelWindowsBuild = "node.kubernetes.io/windows-build";

// karpenter.sh
inline constexpr std::string_view kKarpenterGroup = "karpenter.sh";
inline constexpr std::string_view kLabelNodePool = "karpenter.sh/nodepool";
inline constexpr std::string_view kLabelCapacityType = "karpenter.sh/capacity-type";
inline constexpr std::string_view kLabelRegistered = "karpenter.sh/registered";
inline constexpr std::string_view kLabelInitialized = "karpenter.sh/initialized";
inline constexpr std::string_view kLabelDoNotSyncTaints = "karpenter.sh/do-not-sync-taints";
inline constexpr std::string_view kCapacityTypeOnDemand = "on-demand";
inline constexpr std::string_view kCapacityTypeSpot = "spot";
inline constexpr std::string_view kCapacityTypeReserved = "reserved";

inline constexpr std::string_view kAnnotationNodePoolHash = "karpenter.sh/nodepool-hash";
inline constexpr std::string_view kAnnotationNodePoolHashVersion = "karpenter.sh/nodepool-hash-version";
inline constexpr std::string_view kAnnotationDoNotDisrupt = "karpenter.sh/do-not-disrupt";
inline constexpr std::string_view kTaintDisrupted = "karpenter.sh/disrupted";
inline constexpr std::string_view kTaintUnregistered = "karpenter.sh/unregistered";

// karpenter.k8s.aws
inline constexpr std::string_view kAWSGroup = "karpenter.k8s.aws";
inline constexpr std::string_view kLabelEC2NodeClass = "karpenter.k8s.aws/ec2nodeclass";
inline constexpr std::string_view kLabelInstanceCategory = "karpenter.k8s.aws/instance-category";
inline constexpr std::string_view kLabelInstanceFamily = "karpenter.k8s.aws/instance-family";
inline constexpr std::string_view kLabelInstanceGeneration = "karpenter.k8s.aws/instance-generation";
inline constexpr std::string_view kLabelInstanceSize = "karpenter.k8s.aws/instance-size";
inline constexpr std::string_view kLabelInstanceCPU = "karpenter.k8s.aws/instance-cpu";
inline constexpr std::string_view kLabelInstanceCPUManufacturer =
    "karpenter.k8s.aws/instance-cpu-manufacturer";
inline constexpr std::string_view kLabelInstanceCPUSustainedClockSpeedMhz =
    "karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz";
inline constexpr std::string_view kLabelInstanceMemory = "karpenter.k8s.aws/instance-memory";
inline constexpr std::string_view kLabelInstanceEBSBandwidth = "karpenter.k8s.aws/instance-ebs-bandwidth";
inline constexpr std::string_view kLabelInstanceNetworkBandwidth =
    "karpenter.k8s.aws/instance-network-bandwidth";
inline constexpr std::string_view kLabelInstanceGPUName = "karpenter.k8s.aws/instance-gpu-name";
inline constexpr std::string_view kLabelInstanceGPUManufacturer =
    "karpenter.k8s.aws/instance-gpu-manufacturer";
inline constexpr std::string_view kLabelInstanceGPUCount = "karpenter.k8s.aws/instance-gpu-count";
inline constexpr std::string_view kLabelInstanceGPUMemory = "karpenter.k8s.aws/instance-gpu-memory";
inline constexpr std::string_view kLabelInstanceAcceleratorName =
    "karpenter.k8s.aws/instance-accelerator-name";
inline constexpr std::string_view kLabelInstanceAcceleratorManufacturer =
    "karpenter.k8s.aws/instance-accelerator-manufacturer";
inline constexpr std::string_view kLabelInstanceAcceleratorCount =
    "karpenter.k8s.aws/instance-accelerator-count";
inline constexpr std::string_view kLabelInstanceLocalNVMe = "karpenter.k8s.aws/instance-local-nvme";
inline constexpr std::string_view kLabelInstanceHypervisor = "karpenter.k8s.aws/instance-hypervisor";
inline constexpr std::string_view kLabelInstanceEncryptionInTransitSupported =
    "karpenter.k8s.aws/instance-encryption-in-transit-supported";
inline constexpr std::string_view kLabelInstanceCapabilityFlex =
    "karpenter.k8s.aws/instance-capability-flex";
inline constexpr std::string_view kLabelInstanceTenancy = "karpenter.k8s.aws/instance-tenancy";
inline constexpr std::string_view kLabelNitroSandbox = "karpenter.k8s.aws/nitro-sandbox";
inline constexpr std::string_view kLabelZoneID = "topology.k8s.aws/zone-id";

// Resource names
inline constexpr std::string_view kResourceCPU = "cpu";
inline constexpr std::string_view kResourceMemory = "memory";
inline constexpr std::string_view kResourceEphemeralStorage = "ephemeral-storage";
inline constexpr std::string_view kResourcePods = "pods";
inline constexpr std::string_view kResourceNodes = "nodes";  // NodePool limits only
inline constexpr std::string_view kResourceNvidiaGPU = "nvidia.com/gpu";
inline constexpr std::string_view kResourceAMDGPU = "amd.com/gpu";
inline constexpr std::string_view kResourceNeuron = "aws.amazon.com/neuron";
inline constexpr std::string_view kResourceNeuronCore = "aws.amazon.com/neuroncore";
inline constexpr std::string_view kResourceEFA = "vpc.amazonaws.com/efa";
inline constexpr std::string_view kResourcePodENI = "vpc.amazonaws.com/pod-eni";

// The AWS EBS CSI driver: the CSI name of in-tree awsElasticBlockStore volumes and of the
// kubernetes.io/aws-ebs provisioner, and the driver whose attach limit the catalog estimates.
inline constexpr std::string_view kEBSCSIDriver = "ebs.csi.aws.com";

// Labels whose values instance types and offerings resolve, so a NodePool need not list them
// (Karpenter's WellKnownLabels: core set plus the AWS provider's).
const absl::flat_hash_set<std::string_view>& WellKnownLabels();

// True if `key` may not be used in NodePool template labels or requirements: any key in the
// karpenter.sh or karpenter.k8s.aws domains (or their subdomains) that is not well-known, and
// kubernetes.io/hostname. karpenter.sh/nodepool is also restricted for NodePools (allowed on
// NodeClaims): pass allow_nodepool_label=true for NodeClaims.
bool IsRestrictedLabel(std::string_view key, bool allow_nodepool_label = false);

// Maps deprecated aliases to their current key (failure-domain.beta.kubernetes.io/zone →
// topology.kubernetes.io/zone, beta.kubernetes.io/arch → kubernetes.io/arch, ...) and, as
// Karpenter's AWS provider does, the EBS CSI driver's topology.ebs.csi.aws.com/zone to
// topology.kubernetes.io/zone. Returns `key` unchanged otherwise.
std::string_view NormalizeLabelKey(std::string_view key);

}  // namespace joinery::api
