#include "joinery/cloudprovider/simulated/vpc_inventory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace joinery::cloudprovider::simulated {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::Contains;

TEST(VpcInventoryTest, DefaultHasOneDiscoverySubnetPerZoneAndASecurityGroup) {
  VpcInventory inv = VpcInventory::Default("my-cluster", "us-east-1");
  ASSERT_EQ(inv.subnets.size(), 3u);
  EXPECT_EQ(inv.subnets[0].zone, "us-east-1a");
  EXPECT_EQ(inv.subnets[1].zone, "us-east-1b");
  EXPECT_EQ(inv.subnets[2].zone, "us-east-1c");
  EXPECT_EQ(inv.subnets[0].zone_id, "use1-az1");
  for (const Subnet& s : inv.subnets) {
    EXPECT_THAT(s.tags, Contains(Pair("karpenter.sh/discovery", "my-cluster")));
    EXPECT_TRUE(s.id.starts_with("subnet-")) << s.id;
    EXPECT_EQ(s.id.size(), std::string("subnet-").size() + 17);
  }
  ASSERT_EQ(inv.security_groups.size(), 1u);
  EXPECT_THAT(inv.security_groups[0].tags, Contains(Pair("karpenter.sh/discovery", "my-cluster")));
  int al2023 = 0;
  for (const Image& im : inv.images) al2023 += im.family == "al2023";
  EXPECT_EQ(al2023, 4);  // two versions × two architectures
}

TEST(VpcInventoryTest, DefaultIdsDependOnTheRegionOnly) {
  EXPECT_EQ(VpcInventory::Default("a").subnets[0].id, VpcInventory::Default("b").subnets[0].id);
  EXPECT_NE(VpcInventory::Default("a", "us-west-2").subnets[0].id,
            VpcInventory::Default("a").subnets[0].id);
  EXPECT_EQ(VpcInventory::Default("a", "us-west-2").subnets[0].zone, "us-west-2a");
}

TEST(VpcInventoryTest, YamlRoundTripsAndSubstitutesTheClusterName) {
  VpcInventory tmpl = VpcInventory::Default("${CLUSTER_NAME}");
  auto parsed = VpcInventory::Parse(tmpl.ToYaml(), "prod");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ToYaml(), VpcInventory::Default("prod").ToYaml());
}

TEST(VpcInventoryTest, DataFileIsTheBuiltInDefault) {
  const char* root = std::getenv("JOINERY_SOURCE_DIR");
  if (root == nullptr) GTEST_SKIP() << "JOINERY_SOURCE_DIR is not set";
  const std::string path = std::string(root) + "/data/simulated-vpc.yaml";
  if (std::getenv("JOINERY_REGENERATE_GOLDEN") != nullptr) {  // rewrite the file from Default()
    std::ofstream out(path);
    out << "# The simulated VPC that Joinery's simulated cloud provider resolves EC2NodeClass selector\n"
           "# terms against (the built-in default; copy and edit, then pass the file with\n"
           "# --simulated-vpc). ${CLUSTER_NAME} is replaced by the cluster name.\n"
           "# Regenerate: JOINERY_REGENERATE_GOLDEN=1 joinery_simulated_test\n"
        << VpcInventory::Default("${CLUSTER_NAME}").ToYaml();
  }
  auto inv = VpcInventory::Load(path, "c1");
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->ToYaml(), VpcInventory::Default("c1").ToYaml());
}

TEST(VpcInventoryTest, ParseErrorsNameTheField) {
  auto r = VpcInventory::Parse("subnets:\n  - id: subnet-1\n", "c");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("subnets[0].zone: required"));

  r = VpcInventory::Parse("amis:\n  - {id: ami-1, arch: sparc}\n", "c");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("amis[0].arch"));

  r = VpcInventory::Parse("subnets: {a: b}\n", "c");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("subnets: must be a list"));

  r = VpcInventory::Parse("subnets: [\n", "c");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(VpcInventoryTest, LoadOfAMissingFileIsNotFound) {
  EXPECT_EQ(VpcInventory::Load("/nonexistent/vpc.yaml", "c").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(VpcInventoryTest, ZoneIdPrefixes) {
  EXPECT_EQ(ZoneIdPrefix("us-east-1"), "use1");
  EXPECT_EQ(ZoneIdPrefix("us-west-2"), "usw2");
  EXPECT_EQ(ZoneIdPrefix("ap-southeast-2"), "apse2");
  EXPECT_EQ(ZoneIdPrefix("eu-central-1"), "euc1");
}

}  // namespace
}  // namespace joinery::cloudprovider::simulated
