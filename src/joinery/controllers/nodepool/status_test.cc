#include "joinery/controllers/nodepool/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "joinery/api/json.h"
#include "joinery/controllers/provisioning/provisioner.h"
#include "joinery/controllers/testing_cloud_provider.h"

namespace joinery::controllers {
namespace {

using testing::Condition;
using ::testing::HasSubstr;
using testing::Json;
using testing::TestWorld;
using testing::TrainiumNodeClass;
using testing::TrainiumNodePool;

constexpr char kPool[] = "trainium-trn1";

class NodePoolStatusTest : public ::testing::Test {
 protected:
  void Seed(std::vector<std::pair<const kube::Resource*, Json>> objects) {
    for (auto& [r, obj] : objects) ASSERT_TRUE(w_.client.Add(*r, "", obj).ok());
    ASSERT_TRUE(w_.Start());
    ASSERT_TRUE(w_.CaughtUp());
  }

  Json Reconciled() {
    auto r = status_.Reconcile(kPool);
    EXPECT_TRUE(r.ok()) << r.status();
    return w_.NodePool(kPool);
  }

  // A NodeClaim of `pool` with status.capacity (and a providerID when `provider_id` is set).
  static Json Claim(std::string_view name, std::string_view pool, std::string_view cpu,
                    std::string_view provider_id = "") {
    Json j = {
        {"apiVersion", "karpenter.sh/v1"},
        {"kind", "NodeClaim"},
        {"metadata",
         {{"name", std::string(name)}, {"labels", {{"karpenter.sh/nodepool", std::string(pool)}}}}},
        {"spec",
         {{"requirements", Json::array()},
          {"nodeClassRef",
           {{"group", "karpenter.k8s.aws"}, {"kind", "EC2NodeClass"}, {"name", "trainium-trn1"}}}}},
        {"status",
         {{"capacity",
           {{"cpu", std::string(cpu)}, {"memory", "32Gi"}, {"aws.amazon.com/neuron", "1"}}}}}};
    if (!provider_id.empty()) j["status"]["providerID"] = std::string(provider_id);
    return j;
  }

  TestWorld w_;
  NodePoolStatus status_{w_.cluster, w_.client, nullptr, w_.clock};
};

TEST_F(NodePoolStatusTest, ReadyWhenValidAndTheNodeClassIsReady) {
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()}});
  Json np = Reconciled();
  EXPECT_EQ(Condition(np, "ValidationSucceeded")["status"], "True");
  EXPECT_EQ(Condition(np, "NodeClassReady")["status"], "True");
  EXPECT_EQ(Condition(np, "Ready")["status"], "True");
  EXPECT_EQ(Condition(np, "Ready")["lastTransitionTime"], FormatRfc3339(w_.clock.Now()));
  EXPECT_EQ(np["status"]["nodes"], 0);
  EXPECT_EQ(np["status"]["resources"]["nodes"], "0");
}

TEST_F(NodePoolStatusTest, WritesTheNodePoolHashAnnotation) {
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()}});
  Json np = Reconciled();
  auto typed = api::NodePoolFromJson(np);
  ASSERT_TRUE(typed.ok()) << typed.status();
  const Json& ann = np["metadata"]["annotations"];
  EXPECT_EQ(ann["karpenter.sh/nodepool-hash"], NodePoolHash(*typed));
  EXPECT_EQ(ann["karpenter.sh/nodepool-hash-version"], "v3");
}

TEST_F(NodePoolStatusTest, UnchangedNodePoolIsNotWrittenAgain) {
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()}});
  Reconciled();
  ASSERT_TRUE(w_.CaughtUp());
  w_.client.ClearCalls();
  w_.clock.Advance(absl::Minutes(1));
  Reconciled();
  EXPECT_TRUE(w_.client.CallsOf("update", "nodepools").empty());
  EXPECT_TRUE(w_.client.CallsOf("patch", "nodepools").empty());
}

TEST_F(NodePoolStatusTest, NodeClassNotFound) {
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()}});
  Json np = Reconciled();
  EXPECT_EQ(Condition(np, "ValidationSucceeded")["status"], "True");
  Json cls = Condition(np, "NodeClassReady");
  EXPECT_EQ(cls["status"], "False");
  EXPECT_EQ(cls["reason"], "NodeClassNotFound");
  Json ready = Condition(np, "Ready");
  EXPECT_EQ(ready["status"], "False");
  EXPECT_THAT(ready.value("message", ""), HasSubstr("NodeClassReady=False"));
}

TEST_F(NodePoolStatusTest, NodeClassNotReadyMirrorsItsReason) {
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass(/*ready=*/false)}});
  Json np = Reconciled();
  Json cls = Condition(np, "NodeClassReady");
  EXPECT_EQ(cls["status"], "False");
  EXPECT_EQ(cls["reason"], "SubnetsNotFound");
  EXPECT_THAT(cls.value("message", ""), HasSubstr("SubnetSelector"));
  EXPECT_EQ(Condition(np, "Ready")["status"], "False");
}

TEST_F(NodePoolStatusTest, RequirementInWithoutValuesFailsValidation) {
  Json pool = TrainiumNodePool();
  pool["spec"]["template"]["spec"]["requirements"].push_back(
      {{"key", "kubernetes.io/os"}, {"operator", "In"}, {"values", Json::array()}});
  Seed({{&kube::resources::NodePools(), pool},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()}});
  Json np = Reconciled();
  Json valid = Condition(np, "ValidationSucceeded");
  EXPECT_EQ(valid["status"], "False");
  EXPECT_EQ(valid["reason"], "NodePoolValidationFailed");
  EXPECT_THAT(valid.value("message", ""),
              HasSubstr("requirements with operator 'In' must have a value defined"));
  EXPECT_EQ(Condition(np, "NodeClassReady")["status"], "True");
  Json ready = Condition(np, "Ready");
  EXPECT_EQ(ready["status"], "False");
  EXPECT_THAT(ready.value("message", ""), HasSubstr("ValidationSucceeded=False"));
}

TEST_F(NodePoolStatusTest, RestrictedTemplateLabelFailsValidation) {
  Json pool = TrainiumNodePool();
  pool["spec"]["template"]["metadata"]["labels"]["karpenter.sh/custom"] = "x";
  Seed({{&kube::resources::NodePools(), pool},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()}});
  Json np = Reconciled();
  Json valid = Condition(np, "ValidationSucceeded");
  EXPECT_EQ(valid["status"], "False");
  EXPECT_EQ(valid["reason"], "NodePoolValidationFailed");
  EXPECT_THAT(valid.value("message", ""), HasSubstr("karpenter.sh"));
  EXPECT_THAT(valid.value("message", ""), HasSubstr("restricted"));
  EXPECT_EQ(Condition(np, "Ready")["status"], "False");
}

TEST_F(NodePoolStatusTest, CountsThePoolsNodeClaimsAndTheirResources) {
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()},
        {&kube::resources::NodeClaims(), Claim("trainium-trn1-aaaaa", kPool, "8")},
        {&kube::resources::NodeClaims(), Claim("trainium-trn1-bbbbb", kPool, "8")},
        {&kube::resources::NodeClaims(), Claim("other-ccccc", "other", "96")}});
  Json np = Reconciled();
  EXPECT_EQ(np["status"]["nodes"], 2);
  const Json& res = np["status"]["resources"];
  EXPECT_EQ(res["cpu"], "16");
  EXPECT_EQ(res["memory"], "64Gi");
  EXPECT_EQ(res["aws.amazon.com/neuron"], "2");
  EXPECT_EQ(res["nodes"], "2");
}

TEST_F(NodePoolStatusTest, RegisteredNodeClaimsCountTheirNodesCapacity) {
  Json node = testing::RegisteringNode("ip-10-0-0-1.ec2.internal", "aws:///us-east-1a/i-1");
  node["status"]["capacity"] = {{"cpu", "7"}, {"memory", "31Gi"}};
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()},
        {&kube::resources::NodeClaims(),
         Claim("trainium-trn1-aaaaa", kPool, "8", "aws:///us-east-1a/i-1")},
        {&kube::resources::Nodes(), node}});
  Json np = Reconciled();
  EXPECT_EQ(np["status"]["nodes"], 1);
  EXPECT_EQ(np["status"]["resources"]["cpu"], "7");
  EXPECT_EQ(np["status"]["resources"]["memory"], "31Gi");
}

TEST_F(NodePoolStatusTest, CountFollowsNodeClaimsGoingAway) {
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()},
        {&kube::resources::NodeClaims(), Claim("trainium-trn1-aaaaa", kPool, "8")}});
  EXPECT_EQ(Reconciled()["status"]["nodes"], 1);
  ASSERT_TRUE(w_.client.Delete(kube::resources::NodeClaims(), "", "trainium-trn1-aaaaa").ok());
  ASSERT_TRUE(w_.CaughtUp());
  Json np = Reconciled();
  EXPECT_EQ(np["status"]["nodes"], 0);
  EXPECT_FALSE(np["status"]["resources"].contains("cpu"));
}

TEST_F(NodePoolStatusTest, MissingNodePoolIsANoOp) {
  Seed({});
  auto r = status_.Reconcile("gone");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(w_.client.CallsOf("update").empty());
}

}  // namespace
}  // namespace joinery::controllers
