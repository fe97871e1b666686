// Tests of the instance catalog: the embedded data against figures from Karpenter's generated
// instance-type docs (karpenter-reference.md §5.4, §6.3), labels, offerings and options, and the
// CSV reader's handling of well-formed, malformed and mutated input.
#include "joinery/cloudprovider/catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "joinery/api/labels.h"
#include "joinery/common/strings.h"

namespace joinery::cloudprovider {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;
using ::testing::SizeIs;

constexpr int64_t kMi = int64_t{1} << 20;
constexpr int64_t kGi = int64_t{1} << 30;

Quantity Mi(int64_t n) { return Quantity::FromUnits(n * kMi, Quantity::Format::kBinarySI); }
Quantity Milli(int64_t n) { return Quantity::FromMilli(n); }
Quantity Units(int64_t n) { return Quantity::FromUnits(n); }
std::string S(std::string_view v) { return std::string(v); }

// The embedded catalog with default options, built once for the whole test binary.
const InstanceTypes& Catalog() {
  static const InstanceTypes* const kCatalog = [] {
    auto c = EmbeddedCatalog({});
    EXPECT_TRUE(c.ok()) << c.status();
    return new InstanceTypes(c.ok() ? *std::move(c) : InstanceTypes{});
  }();
  return *kCatalog;
}

const InstanceType* Find(const InstanceTypes& types, std::string_view name) {
  for (const InstanceType& it : types) {
    if (it.name == name) return &it;
  }
  return nullptr;
}

const InstanceType& Get(std::string_view name) {
  static const InstanceType kMissing;
  const InstanceType* it = Find(Catalog(), name);
  EXPECT_NE(it, nullptr) << name << " is not in the catalog";
  return it ? *it : kMissing;
}

// A small catalog in the shape of data/, used by the reader tests.
constexpr std::string_view kTypes =
    "name,family,generation,arch,vcpu,memory_mib,gpu_count,gpu_manufacturer,gpu_name,"
    "gpu_memory_mib,neuron_device_count,neuron_core_count,neuron_name,max_enis,ipv4_per_eni,"
    "max_pods_eni,network_gbps,local_nvme_gib,hypervisor,bare_metal\n"
    "m5.large,m5,current,amd64,2,8192,,,,,,,,3,10,29,0.75,,nitro,false\n"
    "m7g.large,m7g,current,arm64,2,8192,,,,,,,,3,10,29,0.937,,nitro,false\n"
    "g5.xlarge,g5,current,amd64,4,16384,1,nvidia,a10g,22888,,,,4,15,58,2.5,250,nitro,false\n"
    "inf2.xlarge,inf2,current,amd64,4,16384,,,,,1,2,inferentia2,4,15,58,2.083,,nitro,false\n";
constexpr std::string_view kExtra =
    "name,category,size,family_generation_number,cpu_manufacturer,cpu_sustained_clock_mhz,"
    "ebs_bandwidth_mbps,encryption_in_transit,capability_flex,accelerator_name,"
    "accelerator_manufacturer,accelerator_count,max_enis_all_cards,network_cards,branch_enis,"
    "trunking_compatible,efa_count,karpenter_pods,karpenter_pod_eni\n"
    "m5.large,m,large,5,intel,3100,4750,false,false,,,,3,1,9,true,,29,9\n"
    "inf2.xlarge,inf,xlarge,2,amd,3600,10000,true,false,inferentia2,aws,1,4,1,18,true,,58,18\n";
constexpr std::string_view kPrices =
    "name,on_demand_usd_per_hour\nm5.large,0.096\ng5.xlarge,1.006\nnot-in-catalog.large,9\n";

// Invariants every successfully built catalog satisfies, whatever its input.
void ExpectWellFormed(const InstanceTypes& types) {
  for (size_t i = 0; i < types.size(); ++i) {
    const InstanceType& it = types[i];
    if (i > 0) {
      EXPECT_LT(types[i - 1].name, it.name);
    }
    EXPECT_THAT(it.labels, Contains(Pair(S(api::kLabelInstanceType), it.name)));
    for (const auto& [name, q] : it.Allocatable()) {
      EXPECT_GE(q.milli(), 0) << it.name << " " << name;
      EXPECT_TRUE(it.capacity.contains(name));
    }
    for (const Offering& o : it.offerings) {
      EXPECT_TRUE(std::isfinite(o.price) && o.price >= 0) << it.name;
    }
  }
}

// ---- The embedded catalog ----------------------------------------------------------------------

TEST(EmbeddedCatalog, HasEveryTypeOfTheDataFilesSortedByName) {
  const InstanceTypes& types = Catalog();
  EXPECT_THAT(types, SizeIs(1366));
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end(),
                             [](const auto& a, const auto& b) { return a.name < b.name; }));
  ExpectWellFormed(types);
}

TEST(EmbeddedCatalog, M5LargeMatchesKarpentersAllocatable) {
  const InstanceType& it = Get("m5.large");
  EXPECT_EQ(it.capacity.at("cpu"), Units(2));
  EXPECT_EQ(it.capacity.at("memory"), Mi(7577));  // 8192 − ceil(8192 × 0.075)
  EXPECT_EQ(it.capacity.at("pods"), Units(29));
  EXPECT_EQ(it.capacity.at("ephemeral-storage"), Mi(20 * 1024));
  EXPECT_EQ(it.overhead.kube_reserved.at("cpu"), Milli(70));
  EXPECT_EQ(it.overhead.kube_reserved.at("memory"), Mi(574));
  const ResourceList alloc = it.Allocatable();
  EXPECT_EQ(alloc.at("cpu"), Milli(1930));
  EXPECT_EQ(alloc.at("memory"), Mi(6903));
  EXPECT_EQ(alloc.at("pods"), Units(29));
  EXPECT_EQ(alloc.at("ephemeral-storage"), Mi(17 * 1024));  // 20Gi − 1Gi − 2Gi
  EXPECT_EQ(alloc.at("vpc.amazonaws.com/pod-eni"), Units(9));
  EXPECT_FALSE(it.capacity.contains("nvidia.com/gpu"));
  EXPECT_FALSE(it.capacity.contains("aws.amazon.com/neuron"));
}

TEST(EmbeddedCatalog, M5LargeHasKarpentersLabels) {
  EXPECT_THAT(
      Get("m5.large").labels,
      ElementsAre(Pair("karpenter.k8s.aws/instance-capability-flex", "false"),
                  Pair("karpenter.k8s.aws/instance-category", "m"),
                  Pair("karpenter.k8s.aws/instance-cpu", "2"),
                  Pair("karpenter.k8s.aws/instance-cpu-manufacturer", "intel"),
                  Pair("karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz", "3100"),
                  Pair("karpenter.k8s.aws/instance-ebs-bandwidth", "4750"),
                  Pair("karpenter.k8s.aws/instance-encryption-in-transit-supported", "false"),
                  Pair("karpenter.k8s.aws/instance-family", "m5"),
                  Pair("karpenter.k8s.aws/instance-generation", "5"),
                  Pair("karpenter.k8s.aws/instance-hypervisor", "nitro"),
                  Pair("karpenter.k8s.aws/instance-memory", "8192"),
                  Pair("karpenter.k8s.aws/instance-network-bandwidth", "750"),
                  Pair("karpenter.k8s.aws/instance-size", "large"),
                  Pair("kubernetes.io/arch", "amd64"), Pair("kubernetes.io/os", "linux"),
                  Pair("node.kubernetes.io/instance-type", "m5.large"),
                  Pair("topology.kubernetes.io/region", "us-east-1")));
}

TEST(EmbeddedCatalog, Inf2XlargeAdvertisesNeuronDevicesAndCores) {
  const InstanceType& it = Get("inf2.xlarge");
  const ResourceList alloc = it.Allocatable();
  EXPECT_EQ(alloc.at("cpu"), Milli(3920));
  EXPECT_EQ(alloc.at("memory"), Mi(14162));
  EXPECT_EQ(alloc.at("pods"), Units(58));
  EXPECT_EQ(alloc.at("aws.amazon.com/neuron"), Units(1));
  EXPECT_EQ(alloc.at("aws.amazon.com/neuroncore"), Units(2));
  EXPECT_THAT(it.labels, AllOf(Contains(Pair(S(api::kLabelInstanceAcceleratorName), "inferentia2")),
                               Contains(Pair(S(api::kLabelInstanceAcceleratorManufacturer), "aws")),
                               Contains(Pair(S(api::kLabelInstanceAcceleratorCount), "1")),
                               Not(Contains(Key(S(api::kLabelInstanceGPUCount))))));
  EXPECT_DOUBLE_EQ(it.offerings.at(0).price, 0.7582);
}

TEST(EmbeddedCatalog, Trn1TwoXlargeHasOneNeuronDeviceWithTwoCores) {
  const InstanceType& it = Get("trn1.2xlarge");
  EXPECT_EQ(it.capacity.at("cpu"), Units(8));
  EXPECT_EQ(it.capacity.at("aws.amazon.com/neuron"), Units(1));
  EXPECT_EQ(it.capacity.at("aws.amazon.com/neuroncore"), Units(2));
  EXPECT_THAT(it.labels, AllOf(Contains(Pair(S(api::kLabelInstanceMemory), "32768")),
                               Contains(Pair(S(api::kLabelInstanceCPU), "8")),
                               Contains(Pair(S(api::kLabelInstanceAcceleratorName), "trainium")),
                               Contains(Pair(S(api::kLabelInstanceLocalNVMe), "474")),
                               Contains(Pair(S(api::kLabelInstanceCategory), "trn")),
                               Contains(Pair(S(api::kLabelInstanceGeneration), "1"))));
  const ResourceList alloc = it.Allocatable();
  EXPECT_EQ(alloc.at("cpu"), Milli(7910));   // 8000 − (60 + 10 + 10 + 10)
  EXPECT_EQ(alloc.at("memory"), Mi(29317));  // 32768 − 2458 − (11 × 58 + 255) − 100
  EXPECT_DOUBLE_EQ(it.offerings.at(0).price, 1.34375);
}

TEST(EmbeddedCatalog, LargeAcceleratedTypesMatchKarpentersDocs) {
  const InstanceType& trn1 = Get("trn1.32xlarge");
  EXPECT_EQ(trn1.capacity.at("aws.amazon.com/neuron"), Units(16));
  EXPECT_EQ(trn1.capacity.at("aws.amazon.com/neuroncore"), Units(32));
  EXPECT_EQ(trn1.capacity.at("vpc.amazonaws.com/efa"), Units(8));
  const InstanceType& trn2 = Get("trn2.48xlarge");
  EXPECT_EQ(trn2.capacity.at("aws.amazon.com/neuron"), Units(16));
  EXPECT_EQ(trn2.capacity.at("aws.amazon.com/neuroncore"), Units(128));
  EXPECT_EQ(trn2.capacity.at("vpc.amazonaws.com/efa"), Units(16));
  EXPECT_EQ(trn2.capacity.at("pods"), Units(100));
  const InstanceType& p5 = Get("p5.48xlarge");
  EXPECT_EQ(p5.capacity.at("nvidia.com/gpu"), Units(8));
  EXPECT_EQ(p5.capacity.at("vpc.amazonaws.com/efa"), Units(32));
  EXPECT_EQ(p5.capacity.at("pods"), Units(100));
  EXPECT_THAT(p5.labels, Contains(Pair(S(api::kLabelInstanceGPUMemory), "81920")));  // per GPU
}

TEST(EmbeddedCatalog, G5XlargeHasGpuResourceAndLabels) {
  const InstanceType& it = Get("g5.xlarge");
  EXPECT_EQ(it.capacity.at("nvidia.com/gpu"), Units(1));
  EXPECT_FALSE(it.capacity.contains("amd.com/gpu"));
  EXPECT_THAT(it.labels, AllOf(Contains(Pair(S(api::kLabelInstanceGPUName), "a10g")),
                               Contains(Pair(S(api::kLabelInstanceGPUManufacturer), "nvidia")),
                               Contains(Pair(S(api::kLabelInstanceGPUCount), "1")),
                               Contains(Pair(S(api::kLabelInstanceGPUMemory), "22888")),
                               Not(Contains(Key(S(api::kLabelInstanceAcceleratorName))))));
}

TEST(EmbeddedCatalog, AmdGpuTypeAdvertisesAmdGpu) {
  const InstanceType& it = Get("g4ad.xlarge");
  EXPECT_EQ(it.capacity.at("amd.com/gpu"), Units(1));
  EXPECT_FALSE(it.capacity.contains("nvidia.com/gpu"));
  EXPECT_THAT(it.labels, Contains(Pair(S(api::kLabelInstanceGPUManufacturer), "amd")));
}

TEST(EmbeddedCatalog, CpuOnlyTypesHaveNoGpuOrAcceleratorLabels) {
  for (const InstanceType& it : Catalog()) {
    if (it.capacity.contains("nvidia.com/gpu") || it.capacity.contains("amd.com/gpu")) continue;
    EXPECT_FALSE(it.labels.contains(S(api::kLabelInstanceGPUName))) << it.name;
    EXPECT_FALSE(it.labels.contains(S(api::kLabelInstanceGPUCount))) << it.name;
  }
  EXPECT_FALSE(Get("c5.xlarge").labels.contains(S(api::kLabelInstanceAcceleratorName)));
}

TEST(EmbeddedCatalog, Arm64SubtractsCmaReservationBeforeVmOverhead) {
  const InstanceType& it = Get("m7g.large");
  EXPECT_THAT(it.labels, Contains(Pair(S(api::kLabelArch), "arm64")));
  EXPECT_THAT(it.labels, Contains(Pair(S(api::kLabelInstanceCPUManufacturer), "aws")));
  EXPECT_EQ(it.capacity.at("memory"), Mi(7518));       // (8192 − 64) − ceil(8128 × 0.075)
  EXPECT_EQ(it.Allocatable().at("memory"), Mi(6844));  // 7518 − 574 − 100
}

TEST(EmbeddedCatalog, FlexTypesCarryCapabilityFlex) {
  EXPECT_THAT(Get("m7i-flex.large").labels,
              Contains(Pair(S(api::kLabelInstanceCapabilityFlex), "true")));
}

TEST(EmbeddedCatalog, PodEniFallsBackToBranchInterfacesForTrunkingTypes) {
  // c9g.12xlarge has no pod-ENI figure in the docs table; VPC limits give 50 branch interfaces.
  EXPECT_EQ(Get("c9g.12xlarge").capacity.at("vpc.amazonaws.com/pod-eni"), Units(50));
}

TEST(EmbeddedCatalog, BareMetalTypesHaveNoHypervisorLabel) {
  const InstanceType& it = Get("m5.metal");
  EXPECT_FALSE(it.labels.contains(S(api::kLabelInstanceHypervisor)));
  EXPECT_THAT(it.labels, Contains(Pair(S(api::kLabelInstanceSize), "metal")));
}

// The EBS CSI driver's figures for these types (its EC2-derived table less the root volume, one
// network interface attached when the driver starts); docs/catalog.md has the estimate.
TEST(EmbeddedCatalog, EbsVolumeLimitFollowsTheEbsCsiDriver) {
  struct Case {
    std::string_view type;
    int limit;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"m5.large", 26},        // Nitro: 28 shared − 1 ENI − 1 root
           {"m6i.32xlarge", 26},    // the shared limit does not grow with size
           {"c5d.large", 25},       // − 1 instance-store NVMe device
           {"g4dn.12xlarge", 21},   // − 1 NVMe − 4 GPUs
           {"inf1.6xlarge", 22},    // − 4 Neuron devices
           {"d3.8xlarge", 2},       // − 24 HDDs (47520 GB / 1980 GB)
           {"d3en.xlarge", 24},     // − 2 HDDs (27960 GB / 13980 GB)
           {"c4.large", 38},        // Xen: 39 for EBS alone
           {"m5.metal", 30},        // bare metal: 31
           {"m7i.large", 31},       // dedicated: 32 up to 12xlarge
           {"m7i.16xlarge", 47},    // 48
           {"c7a.24xlarge", 63},    // 64
           {"c7a.32xlarge", 87},    // 88
           {"c7a.48xlarge", 127},   // 128
           {"m7i.metal-24xl", 38},  // 39
           {"c7a.metal-48xl", 78},  // 79
           {"c8g.medium", 31},      // every generation-8 family is dedicated
           {"p5.48xlarge", 63},     // 64
           {"p4d.24xlarge", 27},    // 28
       }) {
    EXPECT_EQ(Get(c.type).ebs_volume_limit, c.limit) << c.type;
    EXPECT_EQ(Get(c.type).VolumeLimit("ebs.csi.aws.com"), c.limit) << c.type;
  }
  EXPECT_EQ(Get("m5.large").VolumeLimit("efs.csi.aws.com"), std::nullopt);
}

TEST(EmbeddedCatalog, EveryTypeHasAPositiveEbsVolumeLimit) {
  for (const InstanceType& it : Catalog()) {
    ASSERT_TRUE(it.ebs_volume_limit.has_value()) << it.name;
    EXPECT_GE(*it.ebs_volume_limit, 1) << it.name;
    EXPECT_LE(*it.ebs_volume_limit, 127) << it.name;
  }
}

TEST(BuildCatalog, EbsVolumeLimitIsUnknownWithoutTheHypervisorColumn) {
  auto types = BuildCatalog("name,arch,vcpu,memory_mib\nx1.large,amd64,2,4096\n", "", "", {});
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_EQ((*types)[0].ebs_volume_limit, std::nullopt);
  types = BuildCatalog(kTypes, "", "", {});
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_EQ(Find(*types, "g5.xlarge")->ebs_volume_limit, 24);  // 28 − 1 − 1 NVMe − 1 GPU − 1
}

// ---- Offerings ---------------------------------------------------------------------------------

TEST(Offerings, DefaultZonesGetOnDemandAtListPriceAndSimulatedSpot) {
  const InstanceType& it = Get("m5.large");
  ASSERT_THAT(it.offerings, SizeIs(6));
  int on_demand = 0, spot = 0;
  std::vector<std::string> zones;
  for (const Offering& o : it.offerings) {
    EXPECT_TRUE(o.available);
    if (o.capacity_type == "on-demand") {
      ++on_demand;
      zones.push_back(o.zone);
      EXPECT_DOUBLE_EQ(o.price, 0.096);
      EXPECT_FALSE(o.price_simulated);
    } else {
      ++spot;
      EXPECT_EQ(o.capacity_type, "spot");
      EXPECT_DOUBLE_EQ(o.price, 0.096 * 0.4);
      EXPECT_TRUE(o.price_simulated);
    }
  }
  EXPECT_EQ(on_demand, 3);
  EXPECT_EQ(spot, 3);
  EXPECT_THAT(zones, ElementsAre("us-east-1a", "us-east-1b", "us-east-1c"));
  EXPECT_DOUBLE_EQ(it.CheapestAvailablePrice(), 0.096 * 0.4);
}

TEST(Offerings, EveryPricedTypeHasSixAndUnpricedTypesNone) {
  int unpriced = 0;
  for (const InstanceType& it : Catalog()) {
    if (it.offerings.empty()) {
      ++unpriced;
      EXPECT_EQ(it.CheapestAvailablePrice(), std::numeric_limits<double>::infinity());
    } else {
      EXPECT_THAT(it.offerings, SizeIs(6)) << it.name;
    }
  }
  EXPECT_EQ(unpriced, 18);  // data/README.md: 18 catalog types have no us-east-1 price
  EXPECT_THAT(Get("trn2.48xlarge").offerings, IsEmpty());
  EXPECT_THAT(Get("dl2q.24xlarge").offerings, IsEmpty());
}

TEST(Offerings, CustomZonesReplaceTheDefaults) {
  auto types = EmbeddedCatalog({.zones = {"us-east-1d", "us-east-1f"}});
  ASSERT_TRUE(types.ok()) << types.status();
  const InstanceType* it = Find(*types, "m5.large");
  ASSERT_NE(it, nullptr);
  ASSERT_THAT(it->offerings, SizeIs(4));
  EXPECT_EQ(it->offerings[0].zone, "us-east-1d");
  EXPECT_EQ(it->offerings[3].zone, "us-east-1f");
}

TEST(Offerings, RegionOptionSetsRegionLabelAndDefaultZones) {
  auto types = EmbeddedCatalog({.region = "us-west-2", .spot_discount = 0.7});
  ASSERT_TRUE(types.ok()) << types.status();
  const InstanceType* it = Find(*types, "m5.large");
  ASSERT_NE(it, nullptr);
  EXPECT_THAT(it->labels, Contains(Pair(S(api::kLabelRegion), "us-west-2")));
  EXPECT_EQ(it->offerings.front().zone, "us-west-2a");
  EXPECT_EQ(it->offerings.back().zone, "us-west-2c");
  EXPECT_NEAR(it->offerings.back().price, 0.096 * 0.3, 1e-12);
}

TEST(Offerings, CheapestAvailablePriceSkipsUnavailableOfferings) {
  InstanceType it = Get("m5.large");
  for (Offering& o : it.offerings) o.available = o.capacity_type == "on-demand";
  EXPECT_DOUBLE_EQ(it.CheapestAvailablePrice(), 0.096);
  for (Offering& o : it.offerings) o.available = false;
  EXPECT_EQ(it.CheapestAvailablePrice(), std::numeric_limits<double>::infinity());
}

TEST(DefaultZones, AreTheRegionsFirstThreeZones) {
  EXPECT_THAT(DefaultZones("eu-west-1"), ElementsAre("eu-west-1a", "eu-west-1b", "eu-west-1c"));
  EXPECT_THAT(DefaultZones(""), IsEmpty());
}

TEST(CatalogOptions, RejectsInvalidValues) {
  EXPECT_THAT(EmbeddedCatalog({.zones = {"bad zone"}}).status().message(), HasSubstr("zone"));
  EXPECT_THAT(EmbeddedCatalog({.zones = {"z1", "z1"}}).status().message(), HasSubstr("twice"));
  EXPECT_THAT(EmbeddedCatalog({.region = ""}).status().message(), HasSubstr("region"));
  EXPECT_THAT(EmbeddedCatalog({.spot_discount = 1.5}).status().message(), HasSubstr("spot"));
  EXPECT_THAT(EmbeddedCatalog({.spot_discount = std::nan("")}).status().message(),
              HasSubstr("spot"));
  EXPECT_THAT(EmbeddedCatalog({.vm_memory_overhead_percent = -1}).status().message(),
              HasSubstr("vm_memory_overhead_percent"));
}

// ---- Overhead and allocatable -----------------------------------------------------------------

TEST(InstanceType, AllocatableSubtractsAllOverheadAndClampsAtZero) {
  InstanceType it;
  it.capacity = {{"cpu", Units(1)}, {"memory", Mi(100)}, {"pods", Units(10)}};
  it.overhead.kube_reserved = {
      {"cpu", Milli(100)}, {"memory", Mi(80)}, {"ephemeral-storage", Mi(1)}};
  it.overhead.system_reserved = {{"cpu", Milli(50)}};
  it.overhead.eviction_threshold = {{"memory", Mi(100)}};
  EXPECT_THAT(it.overhead.Total(),
              ElementsAre(Pair("cpu", Milli(150)), Pair("ephemeral-storage", Mi(1)),
                          Pair("memory", Mi(180))));
  EXPECT_THAT(it.Allocatable(),
              ElementsAre(Pair("cpu", Milli(850)), Pair("memory", Mi(0)), Pair("pods", Units(10))));
}

TEST(InstanceType, KubeReservedCpuFollowsKarpentersBands) {
  EXPECT_EQ(Get("c5.large").overhead.kube_reserved.at("cpu"), Milli(70));      // 60 + 10
  EXPECT_EQ(Get("c5.xlarge").overhead.kube_reserved.at("cpu"), Milli(80));     // + 2 × 5
  EXPECT_EQ(Get("c5.2xlarge").overhead.kube_reserved.at("cpu"), Milli(90));    // + 4 × 2.5
  EXPECT_EQ(Get("c5.24xlarge").overhead.kube_reserved.at("cpu"), Milli(310));  // 80 + 92 × 2.5
  EXPECT_THAT(Get("c5.large").overhead.system_reserved, IsEmpty());
}

// ---- BuildCatalog from CSV text -----------------------------------------------------------------

TEST(BuildCatalog, JoinsExtraFactsAndPricesByName) {
  auto types = BuildCatalog(kTypes, kExtra, kPrices, {});
  ASSERT_TRUE(types.ok()) << types.status();
  ASSERT_THAT(*types, SizeIs(4));  // the price for not-in-catalog.large is ignored
  ExpectWellFormed(*types);
  EXPECT_EQ((*types)[0].name, "g5.xlarge");
  const InstanceType* m5 = Find(*types, "m5.large");
  EXPECT_EQ(m5->Allocatable().at("memory"), Mi(6903));
  EXPECT_THAT(m5->labels, Contains(Pair(S(api::kLabelInstanceCPUManufacturer), "intel")));
  EXPECT_THAT(m5->offerings, SizeIs(6));
  EXPECT_THAT(Find(*types, "inf2.xlarge")->offerings, IsEmpty());  // no price
}

TEST(BuildCatalog, DerivesNameLabelsWithoutTheExtraFile) {
  auto types = BuildCatalog(kTypes, "", "", {});
  ASSERT_TRUE(types.ok()) << types.status();
  const InstanceType* inf2 = Find(*types, "inf2.xlarge");
  EXPECT_THAT(inf2->labels,
              AllOf(Contains(Pair(S(api::kLabelInstanceCategory), "inf")),
                    Contains(Pair(S(api::kLabelInstanceGeneration), "2")),
                    Contains(Pair(S(api::kLabelInstanceSize), "xlarge")),
                    Contains(Pair(S(api::kLabelInstanceAcceleratorName), "inferentia2")),
                    Contains(Pair(S(api::kLabelInstanceAcceleratorManufacturer), "aws")),
                    Not(Contains(Key(S(api::kLabelInstanceCPUManufacturer))))));
  EXPECT_FALSE(inf2->capacity.contains("vpc.amazonaws.com/pod-eni"));
}

TEST(BuildCatalog, ToleratesQuotesCrlfBlanksAndBlankLines) {
  constexpr std::string_view kText =
      "\xEF\xBB\xBF"
      "name , \"arch\",vcpu,memory_mib,gpu_name\r\n"
      "\r\n"
      "\"x1.large\", amd64 ,\"2\",4096,\"quoted \"\"name\"\"\"\r\n"
      "u-6tb1.metal,amd64,448,6291456,\n";
  auto types = BuildCatalog(kText, "", "", {});
  // gpu_name "quoted "name"" is not a valid label value; the error names line and column.
  ASSERT_FALSE(types.ok());
  EXPECT_THAT(types.status().message(), HasSubstr(":3: column \"gpu_name\""));

  constexpr std::string_view kGood =
      "name,arch,vcpu,memory_mib,max_pods_eni,gpu_name\r\n"
      "\"x1.large\", amd64 ,\"2\",4096,,\"Radeon Pro V520\"\r\n"
      "\n"
      "u-6tb1.metal,amd64,448,6291456,,\n";
  types = BuildCatalog(kGood, "", "", {});
  ASSERT_TRUE(types.ok()) << types.status();
  ASSERT_THAT(*types, SizeIs(2));
  const InstanceType& u = (*types)[0];
  EXPECT_EQ(u.name, "u-6tb1.metal");
  EXPECT_THAT(u.labels, AllOf(Contains(Pair(S(api::kLabelInstanceCategory), "u")),
                              Contains(Pair(S(api::kLabelInstanceGeneration), "1")),
                              Contains(Pair(S(api::kLabelInstanceFamily), "u-6tb1"))));
  EXPECT_EQ(u.capacity.at("pods"), Units(110));  // no ENI-limited figure
  const InstanceType& x = (*types)[1];
  EXPECT_EQ(x.capacity.at("cpu"), Units(2));
  // gpu_name is lowercased with spaces as dashes, but without a GPU count no GPU labels are set.
  EXPECT_FALSE(x.labels.contains(S(api::kLabelInstanceGPUName)));
}

TEST(BuildCatalog, PodsFallBackToKarpenterPodsThenTo110) {
  constexpr std::string_view kText =
      "name,arch,vcpu,memory_mib,max_pods_eni,karpenter_pods\n"
      "a.large,amd64,2,4096,,17\n"
      "b.large,amd64,2,4096,,\n"
      "c.large,amd64,2,4096,29,17\n";
  auto types = BuildCatalog(kText, "", "", {});
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_EQ((*types)[0].capacity.at("pods"), Units(17));
  EXPECT_EQ((*types)[1].capacity.at("pods"), Units(110));
  EXPECT_EQ((*types)[2].capacity.at("pods"), Units(29));
  EXPECT_EQ((*types)[1].overhead.kube_reserved.at("memory"), Mi(11 * 110 + 255));
}

struct MalformedCase {
  std::string name;
  std::string types;
  std::string extra;
  std::string prices;
  std::string message;  // expected substring
};

class MalformedCsv : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedCsv, IsRejectedWithLineAndColumn) {
  const MalformedCase& c = GetParam();
  auto types = BuildCatalog(c.types, c.extra, c.prices, {});
  ASSERT_FALSE(types.ok());
  EXPECT_EQ(types.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(types.status().message(), HasSubstr(c.message));
}

constexpr std::string_view kHeader = "name,arch,vcpu,memory_mib\n";

INSTANTIATE_TEST_SUITE_P(
    BuildCatalog, MalformedCsv,
    ::testing::Values(
        MalformedCase{"Empty", "", "", "", "instance types CSV: no header row"},
        MalformedCase{"HeaderOnly", S(kHeader), "", "", "no instance types"},
        MalformedCase{"MissingColumn", "name,arch,vcpu\na.large,amd64,2\n", "", "",
                      "no \"memory_mib\" column"},
        MalformedCase{"BadInteger", S(kHeader) + "a.large,amd64,two,4096\n", "", "",
                      "instance types CSV:2: column \"vcpu\": expected an integer"},
        MalformedCase{"NegativeMemory", S(kHeader) + "a.large,amd64,2,-4096\n", "", "",
                      ":2: column \"memory_mib\""},
        MalformedCase{"ZeroVcpu", S(kHeader) + "a.large,amd64,0,4096\n", "", "",
                      ":2: column \"vcpu\""},
        MalformedCase{"HugeMemory", S(kHeader) + "a.large,amd64,2,99999999999999999999\n", "", "",
                      "column \"memory_mib\""},
        MalformedCase{"BlankRequiredCell", S(kHeader) + "a.large,amd64,,4096\n", "", "",
                      ":2: column \"vcpu\": blank"},
        MalformedCase{"UnknownArch", S(kHeader) + "a.large,x86_64,2,4096\n", "", "",
                      "column \"arch\": \"x86_64\" is not a supported architecture"},
        MalformedCase{"TooFewFields", S(kHeader) + "a.large,amd64,2\n", "", "",
                      ":2: expected 4 fields (as in the header), found 3"},
        MalformedCase{"UnterminatedQuote", S(kHeader) + "a.large,\"amd64,2,4096\n", "", "",
                      ":2: field 2: unterminated quoted field"},
        MalformedCase{"TextAfterQuote", S(kHeader) + "a.large,\"amd64\"x,2,4096\n", "", "",
                      ":2: field 2: unexpected text after a closing quote"},
        MalformedCase{"DuplicateType", S(kHeader) + "a.large,amd64,2,4096\na.large,amd64,2,4096\n",
                      "", "",
                      ":3: instance type a.large is already defined at instance types CSV:2"},
        MalformedCase{"DuplicateHeader", "name,arch,vcpu,vcpu,memory_mib\n", "", "",
                      "names column \"vcpu\" twice"},
        MalformedCase{"EmptyHeaderField", "name,,vcpu,memory_mib\n", "", "",
                      "header field 2 is empty"},
        MalformedCase{"InvalidName", S(kHeader) + "a large,amd64,2,4096\n", "", "",
                      ":2: column \"name\": \"a large\" is not a valid instance-type name"},
        MalformedCase{"BadPrice", S(kHeader) + "a.large,amd64,2,4096\n", "",
                      "name,on_demand_usd_per_hour\na.large,-1\n",
                      "prices CSV:2: column \"on_demand_usd_per_hour\""},
        MalformedCase{"NanPrice", S(kHeader) + "a.large,amd64,2,4096\n", "",
                      "name,on_demand_usd_per_hour\na.large,nan\n", "expected a number"},
        MalformedCase{"PricesWithoutPriceColumn", S(kHeader) + "a.large,amd64,2,4096\n", "",
                      "name,price\na.large,1\n", "no \"on_demand_usd_per_hour\" column"},
        MalformedCase{"DuplicatePrice", S(kHeader) + "a.large,amd64,2,4096\n", "",
                      "name,on_demand_usd_per_hour\na.large,1\na.large,2\n",
                      "prices CSV:3: instance type \"a.large\" is already listed on line 2"},
        MalformedCase{"BadFlagInExtra", S(kHeader) + "a.large,amd64,2,4096\n",
                      "name,trunking_compatible\na.large,yes\n", "",
                      "extra CSV:2: column \"trunking_compatible\": expected true or false"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

// Truncations and random byte mutations of a valid catalog must never crash (ASan/UBSan are on in
// the test build); whatever parses must satisfy the catalog invariants. The seed is fixed.
TEST(BuildCatalog, SurvivesTruncatedAndMutatedInput) {
  const std::string types(kTypes), extra(kExtra), prices(kPrices);
  for (size_t cut = 0; cut <= types.size(); ++cut) {
    auto r = BuildCatalog(types.substr(0, cut), extra.substr(0, cut % (extra.size() + 1)),
                          prices.substr(0, cut % (prices.size() + 1)), {});
    if (r.ok()) ExpectWellFormed(*r);
  }
  std::mt19937 rng(20261129);
  constexpr std::string_view kAlphabet = ",\"\r\n \t0123456789-.eE+xabc\xff";
  int ok = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string t = types, e = extra, p = prices;
    std::string* targets[] = {&t, &t, &t, &e, &p};
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      std::string& s = *targets[rng() % 5];
      if (s.empty()) continue;
      const size_t pos = rng() % s.size();
      const char c = kAlphabet[rng() % kAlphabet.size()];
      switch (rng() % 4) {
        case 0:
          s[pos] = c;
          break;
        case 1:
          s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), c);
          break;
        case 2:
          s.erase(pos, 1 + rng() % 8);
          break;
        default:
          s.insert(pos, s.substr(rng() % s.size(), rng() % 32));
          break;
      }
    }
    auto r = BuildCatalog(t, e, p, {});
    if (r.ok()) {
      ++ok;
      ExpectWellFormed(*r);
    } else {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    }
  }
  EXPECT_GT(ok, 0);  // some mutations are harmless (e.g. inside a label value's digits)
}

// ---- LoadCatalogFile ---------------------------------------------------------------------------

class LoadCatalogFileTest : public ::testing::Test {
 protected:
  std::string Write(std::string_view name, std::string_view text) {
    const std::filesystem::path p = std::filesystem::path(::testing::TempDir()) / name;
    std::ofstream(p, std::ios::binary) << text;
    paths_.push_back(p);
    return p.string();
  }
  ~LoadCatalogFileTest() override {
    for (const auto& p : paths_) std::filesystem::remove(p);
  }
  std::vector<std::filesystem::path> paths_;
};

TEST_F(LoadCatalogFileTest, ReadsASingleCsvWithOptionalColumnsAndPrices) {
  const std::string path = Write("joinery_catalog_ok.csv",
                                 "name,arch,vcpu,memory_mib,max_pods_eni,category,"
                                 "on_demand_usd_per_hour,gpu_count,gpu_manufacturer\n"
                                 "m5.large,amd64,2,8192,29,m,0.096,,\n"
                                 "gx.xlarge,amd64,4,16384,58,,,1,nvidia\n");
  auto types = LoadCatalogFile(path, {.zones = {"zone-a"}});
  ASSERT_TRUE(types.ok()) << types.status();
  ASSERT_THAT(*types, SizeIs(2));
  const InstanceType* m5 = Find(*types, "m5.large");
  EXPECT_EQ(m5->Allocatable().at("memory"), Mi(6903));
  ASSERT_THAT(m5->offerings, SizeIs(2));
  EXPECT_EQ(m5->offerings[0].zone, "zone-a");
  const InstanceType* gx = Find(*types, "gx.xlarge");
  EXPECT_EQ(gx->capacity.at("nvidia.com/gpu"), Units(1));
  EXPECT_THAT(gx->offerings, IsEmpty());
}

TEST_F(LoadCatalogFileTest, MissingFileIsNotFound) {
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "joinery_no_such_catalog.csv").string();
  auto types = LoadCatalogFile(path, {});
  EXPECT_EQ(types.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(types.status().message(), StrCat(path, ": no such file"));
}

TEST_F(LoadCatalogFileTest, ErrorsNameTheFileAndLine) {
  const std::string path = Write("joinery_catalog_bad.csv",
                                 "name,arch,vcpu,memory_mib\nm5.large,amd64,2,8192\n"
                                 "m5.xlarge,amd64,4,lots\n");
  auto types = LoadCatalogFile(path, {});
  ASSERT_FALSE(types.ok());
  EXPECT_THAT(types.status().message(), HasSubstr(StrCat(path, ":3: column \"memory_mib\"")));
}

TEST_F(LoadCatalogFileTest, RequiresTheCoreColumns) {
  const std::string path =
      Write("joinery_catalog_cols.csv", "name,vcpu,memory_mib\nm5.large,2,8192\n");
  auto types = LoadCatalogFile(path, {});
  ASSERT_FALSE(types.ok());
  EXPECT_THAT(types.status().message(), HasSubstr(StrCat(path, ": the header has no \"arch\"")));
}

TEST_F(LoadCatalogFileTest, DirectoryIsRejected) {
  EXPECT_FALSE(LoadCatalogFile(::testing::TempDir(), {}).ok());
}


// ---- The YAML instance-type list ----

constexpr std::string_view kFakeList = R"(apiVersion: joinery.dev/v1alpha1
kind: InstanceTypeList
items:
  - name: default-instance-type
    labels: {kubernetes.io/arch: amd64, size: small}
    requirements:
      - {key: kubernetes.io/os, operator: In, values: [darwin, linux, windows]}
      - {key: special, operator: DoesNotExist}
    capacity: {cpu: "4", memory: 4Gi, pods: "5"}
    overhead: {kubeReserved: {cpu: 100m, memory: 10Mi}}
    offerings:
      - {zone: test-zone-1, capacityType: spot, price: 0.83, available: true}
      - {zone: test-zone-2, capacityType: on-demand, price: 0.9, available: false}
)";

TEST(ParseInstanceTypeList, ReadsLabelsRequirementsCapacityOverheadAndOfferings) {
  auto types = ParseInstanceTypeList(kFakeList, "fake.yaml");
  ASSERT_TRUE(types.ok()) << types.status();
  ASSERT_THAT(*types, SizeIs(1));
  const InstanceType& it = (*types)[0];
  EXPECT_EQ(it.name, "default-instance-type");
  EXPECT_THAT(it.labels, Contains(Pair("node.kubernetes.io/instance-type", "default-instance-type")));
  EXPECT_THAT(it.labels, Contains(Pair("size", "small")));
  ASSERT_THAT(it.requirements, SizeIs(2));
  EXPECT_EQ(it.requirements[0].values, (std::vector<std::string>{"darwin", "linux", "windows"}));
  EXPECT_EQ(it.requirements[1].operator_, "DoesNotExist");
  EXPECT_EQ(it.Allocatable().at("cpu").ToString(), "3900m");
  EXPECT_EQ(it.Allocatable().at("memory").ToString(), "4086Mi");
  ASSERT_THAT(it.offerings, SizeIs(2));
  EXPECT_EQ(it.offerings[0].zone, "test-zone-1");
  EXPECT_EQ(it.offerings[0].capacity_type, "spot");
  EXPECT_DOUBLE_EQ(it.offerings[0].price, 0.83);
  EXPECT_FALSE(it.offerings[1].available);
}

std::string ListError(std::string text) {
  auto types = ParseInstanceTypeList(text, "bad.yaml");
  EXPECT_FALSE(types.ok()) << text;
  return types.ok() ? "" : std::string(types.status().message());
}

TEST(ParseInstanceTypeList, BadInputIsAnErrorNamingTheFileAndField) {
  std::string base(kFakeList);
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_THAT(ListError(replace("capacity: {cpu", "capacity: {gpu: x, cpu")),
              AllOf(HasSubstr("bad.yaml"), HasSubstr("items[0].capacity.gpu"),
                    HasSubstr("invalid quantity")));
  EXPECT_THAT(ListError(replace("overhead:", "overheads:")),
              AllOf(HasSubstr("items[0].overheads"), HasSubstr("unknown field")));
  EXPECT_THAT(ListError(replace("capacityType: spot", "capacityType: cheap")),
              HasSubstr("must be on-demand, spot or reserved"));
  EXPECT_THAT(ListError(replace("zone: test-zone-2, capacityType: on-demand",
                                "zone: test-zone-1, capacityType: spot")),
              HasSubstr("a second offering for test-zone-1/spot"));
  EXPECT_THAT(ListError(replace("labels: {kubernetes.io/arch: amd64",
                                "labels: {topology.kubernetes.io/zone: a, kubernetes.io/arch: amd64")),
              HasSubstr("comes from the offerings"));
  EXPECT_THAT(ListError(replace("kind: InstanceTypeList", "kind: InstanceTypes")),
              HasSubstr("want apiVersion joinery.dev/v1alpha1, kind InstanceTypeList"));
  std::string twice = base + "  - name: default-instance-type\n    offerings: []\n";
  EXPECT_THAT(ListError(twice), HasSubstr("instance type default-instance-type is listed twice"));
  EXPECT_THAT(ListError("apiVersion: joinery.dev/v1alpha1\nkind: InstanceTypeList\nitems: []\n"),
              HasSubstr("no instance types"));
}

TEST(LoadCatalogFile, YamlFilesAreInstanceTypeLists) {
  const std::string path = (std::filesystem::temp_directory_path() / "joinery-catalog-test.yaml").string();
  {
    std::ofstream out(path);
    out << kFakeList;
  }
  auto types = LoadCatalogFile(path, CatalogOptions{});
  std::filesystem::remove(path);
  ASSERT_TRUE(types.ok()) << types.status();
  ASSERT_THAT(*types, SizeIs(1));
  EXPECT_EQ((*types)[0].name, "default-instance-type");
}

}  // namespace
}  // namespace joinery::cloudprovider
