#include "joinery/api/labels.h"


namespace joinery::api {

const absl::flat_hash_set<std::string_view>& WellKnownLabels() {
  static const auto* const kSet = new absl::flat_hash_set<std::string_view>{
      kLabelNodePool, kLabelZone, kLabelRegion, kLabelInstanceType, kLabelArch, kLabelOS,
      kLabelCapacityType, kLabelWindowsBuild,
      // AWS provider
      kLabelEC2NodeClass, kLabelInstanceCategory, kLabelInstanceFamily, kLabelInstanceGeneration,
      kLabelInstanceSize, kLabelInstanceCPU, kLabelInstanceCPUManufacturer,
      kLabelInstanceCPUSustainedClockSpeedMhz, kLabelInstanceMemory, kLabelInstanceEBSBandwidth,
      kLabelInstanceNetworkBandwidth, kLabelInstanceGPUName, kLabelInstanceGPUManufacturer,
      kLabelInstanceGPUCount, kLabelInstanceGPUMemory, kLabelInstanceAcceleratorName,
      kLabelInstanceAcceleratorManufacturer, kLabelInstanceAcceleratorCount,
      kLabelInstanceLocalNVMe, kLabelInstanceHypervisor,
      kLabelInstanceEncryptionInTransitSupported, kLabelInstanceCapabilityFlex,
      kLabelInstanceTenancy, kLabelNitroSandbox, kLabelZoneID};
  return *kSet;
}

namespace {
bool InDomain(std::string_view key, std::string_view domain) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view prefix = key.substr(0, slash);
  return prefix == domain ||
         (prefix.size() > domain.size() && prefix.ends_with(domain) &&
          prefix[prefix.size() - domain.size() - 1] == '.');
}
}  // namespace

bool IsRestrictedLabel(std::string_view key, bool allow_nodepool_label) {
  key = NormalizeLabelKey(key);
  if (key == kLabelHostname) return true;
  if (key == kLabelNodePool) return !allow_nodepool_label;
  if (WellKnownLabels().contains(key)) return false;
  return InDomain(key, kKarpenterGroup) || InDomain(key, kAWSGroup);
}

std::string_view NormalizeLabelKey(std::string_view key) {
  if (key == "failure-domain.beta.kubernetes.io/zone") return kLabelZone;
  if (key == "failure-domain.beta.kubernetes.io/region") return kLabelRegion;
  if (key == "beta.kubernetes.io/arch") return kLabelArch;
  if (key == "beta.kubernetes.io/os") return kLabelOS;
  if (key == "beta.kubernetes.io/instance-type") return kLabelInstanceType;
  // The EBS CSI driver's zone key (its PVs' node affinity); Karpenter's AWS provider adds it.
  if (key == "topology.ebs.csi.aws.com/zone") return kLabelZone;
  return key;
}

}  // namespace joinery::api
