#include "joinery/cloudprovider/simulated/nodeclass_reconciler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "joinery/cloudprovider/simulated/test_util.h"
#include "joinery/kube/fake_client.h"

namespace joinery::cloudprovider::simulated {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;
using testing::kCluster;
using testing::TrainiumNodeClass;

const Json* Condition(const Json& obj, std::string_view type) {
  for (const Json& c : obj["status"]["conditions"]) {
    if (c["type"] == type) return &c;
  }
  return nullptr;
}

class NodeClassReconcilerTest : public ::testing::Test {
 protected:
  NodeClassReconcilerTest()
      : client_(clock_),
        vpc_(std::make_shared<const VpcInventory>(VpcInventory::Default(kCluster))),
        reconciler_(client_, clock_, vpc_, {.cluster_name = kCluster}) {}

  Json CreateAndReconcile(Json node_class) {
    std::string name = node_class["metadata"]["name"];
    EXPECT_TRUE(client_.Create(kube::resources::EC2NodeClasses(), "", node_class).ok());
    auto r = reconciler_.Reconcile(name);
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) {
      EXPECT_EQ(r->requeue_after, absl::Minutes(5));
    }
    return *client_.Get(kube::resources::EC2NodeClasses(), "", name);
  }

  FakeClock clock_;
  kube::FakeClient client_;
  std::shared_ptr<const VpcInventory> vpc_;
  NodeClassReconciler reconciler_;
};

TEST_F(NodeClassReconcilerTest, ResolvesTheTrainiumNodeClassAndIsReady) {
  Json nc = CreateAndReconcile(TrainiumNodeClass());
  const Json& status = nc["status"];
  ASSERT_EQ(status["subnets"].size(), 3u);
  EXPECT_EQ(status["subnets"][0]["id"], vpc_->subnets[0].id);
  EXPECT_EQ(status["subnets"][0]["zone"], "us-east-1a");
  EXPECT_EQ(status["subnets"][0]["zoneID"], "use1-az1");
  ASSERT_EQ(status["securityGroups"].size(), 1u);
  EXPECT_EQ(status["securityGroups"][0]["id"], vpc_->security_groups[0].id);
  EXPECT_EQ(status["securityGroups"][0]["name"], "eks-cluster-sg-test-cluster");
  // al2023@latest: the newest AL2023 image for each architecture.
  ASSERT_EQ(status["amis"].size(), 2u);
  EXPECT_EQ(status["amis"][0]["name"], "amazon-eks-node-al2023-x86_64-standard-1.31-v20250115");
  EXPECT_EQ(status["amis"][0]["requirements"],
            Json::parse(R"([{"key":"kubernetes.io/arch","operator":"In","values":["amd64"]}])"));
  EXPECT_EQ(status["amis"][1]["name"], "amazon-eks-node-al2023-arm64-standard-1.31-v20250115");
  EXPECT_EQ(status["instanceProfile"], InstanceProfileName(kCluster, "us-east-1", "trainium-trn1"));
  EXPECT_TRUE(status["instanceProfile"].get<std::string>().starts_with("test-cluster_"));
  for (std::string_view type : {"SubnetsReady", "SecurityGroupsReady", "AMIsReady",
                                "InstanceProfileReady", "ValidationSucceeded", "Ready"}) {
    const Json* c = Condition(nc, type);
    ASSERT_NE(c, nullptr) << type;
    EXPECT_EQ((*c)["status"], "True") << type;
    EXPECT_EQ((*c)["reason"], type);
    EXPECT_EQ((*c)["observedGeneration"], 1);
    EXPECT_EQ((*c)["lastTransitionTime"], FormatRfc3339(clock_.Now()));
  }
}

TEST_F(NodeClassReconcilerTest, NonMatchingSubnetSelectorIsNotReadyInKarpentersWords) {
  Json in = TrainiumNodeClass("no-subnets");
  in["spec"]["subnetSelectorTerms"] = Json::parse(R"([{"tags": {"karpenter.sh/discovery": "other"}}])");
  Json nc = CreateAndReconcile(in);
  EXPECT_FALSE(nc["status"].contains("subnets"));
  const Json* subnets = Condition(nc, "SubnetsReady");
  ASSERT_NE(subnets, nullptr);
  EXPECT_EQ((*subnets)["status"], "False");
  EXPECT_EQ((*subnets)["reason"], "SubnetsNotFound");
  EXPECT_EQ((*subnets)["message"], "SubnetSelector did not match any Subnets");
  const Json* validation = Condition(nc, "ValidationSucceeded");
  EXPECT_EQ((*validation)["reason"], "DependenciesNotReady");
  const Json* ready = Condition(nc, "Ready");
  EXPECT_EQ((*ready)["status"], "False");
  EXPECT_EQ((*ready)["reason"], "UnhealthyDependents");
  EXPECT_EQ((*ready)["message"], "SubnetsReady=False, ValidationSucceeded=False");
  EXPECT_EQ((*Condition(nc, "SecurityGroupsReady"))["status"], "True");
}

TEST_F(NodeClassReconcilerTest, NonMatchingSecurityGroupsAndAmis) {
  Json in = TrainiumNodeClass("nothing");
  in["spec"]["securityGroupSelectorTerms"] = Json::parse(R"([{"name": "nope"}])");
  in["spec"]["amiSelectorTerms"] = Json::parse(R"([{"alias": "al2023@v19990101"}])");
  Json nc = CreateAndReconcile(in);
  EXPECT_EQ((*Condition(nc, "SecurityGroupsReady"))["reason"], "SecurityGroupsNotFound");
  EXPECT_EQ((*Condition(nc, "SecurityGroupsReady"))["message"],
            "SecurityGroupSelector did not match any SecurityGroups");
  EXPECT_EQ((*Condition(nc, "AMIsReady"))["reason"], "AMINotFound");
  EXPECT_EQ((*Condition(nc, "AMIsReady"))["message"], "AMISelector did not match any AMIs");
  EXPECT_EQ((*Condition(nc, "Ready"))["message"],
            "SecurityGroupsReady=False, AMIsReady=False, ValidationSucceeded=False");
}

TEST_F(NodeClassReconcilerTest, SelectorTermsAreOredAndFieldsAnded) {
  Json in = TrainiumNodeClass("terms");
  // Term 1: id of subnet a AND a tag it lacks -> nothing; term 2: subnet c by id; term 3: wildcard
  // tag value with a Name that only subnet b has.
  in["spec"]["subnetSelectorTerms"] = Json::array(
      {{{"id", vpc_->subnets[0].id}, {"tags", {{"missing", "*"}}}},
       {{"id", vpc_->subnets[2].id}},
       {{"tags", {{"karpenter.sh/discovery", "*"}, {"Name", "test-cluster-private-us-east-1b"}}}}});
  in["spec"]["securityGroupSelectorTerms"] =
      Json::array({{{"name", "eks-cluster-sg-test-cluster"}}});
  in["spec"]["amiSelectorTerms"] = Json::array({{{"name", "amazon-eks-arm64-node-1.31-*"}}});
  Json nc = CreateAndReconcile(in);
  ASSERT_EQ(nc["status"]["subnets"].size(), 2u);
  std::set<std::string> zones = {nc["status"]["subnets"][0]["zone"],
                                 nc["status"]["subnets"][1]["zone"]};
  EXPECT_EQ(zones, (std::set<std::string>{"us-east-1b", "us-east-1c"}));
  EXPECT_EQ(nc["status"]["securityGroups"].size(), 1u);
  ASSERT_EQ(nc["status"]["amis"].size(), 1u);
  EXPECT_EQ(nc["status"]["amis"][0]["name"], "amazon-eks-arm64-node-1.31-v20250115");
  EXPECT_EQ((*Condition(nc, "Ready"))["status"], "True");
}

TEST_F(NodeClassReconcilerTest, PinnedAliasVersionAndInstanceProfile) {
  Json in = TrainiumNodeClass("pinned");
  in["spec"]["amiSelectorTerms"] = Json::parse(R"([{"alias": "al2023@v20250101"}])");
  in["spec"].erase("role");
  in["spec"]["instanceProfile"] = "my-profile";
  Json nc = CreateAndReconcile(in);
  ASSERT_EQ(nc["status"]["amis"].size(), 2u);
  EXPECT_THAT(nc["status"]["amis"][0]["name"].get<std::string>(), HasSubstr("v20250101"));
  EXPECT_EQ(nc["status"]["instanceProfile"], "my-profile");
}

TEST_F(NodeClassReconcilerTest, TransitionTimeMovesOnlyOnStatusChange) {
  Json nc = CreateAndReconcile(TrainiumNodeClass());
  const std::string t0 = FormatRfc3339(clock_.Now());
  clock_.Advance(absl::Minutes(5));
  client_.ClearCalls();
  ASSERT_TRUE(reconciler_.Reconcile("trainium-trn1").ok());
  EXPECT_TRUE(client_.CallsOf("update", "ec2nodeclasses").empty()) << "nothing changed";

  // Break the subnet selector: SubnetsReady and Ready flip, SecurityGroupsReady keeps its time.
  Json spec_patch = {{"spec", {{"subnetSelectorTerms", Json::parse(R"([{"id": "subnet-0nope"}])")}}}};
  ASSERT_TRUE(client_.Patch(kube::resources::EC2NodeClasses(), "", "trainium-trn1",
                            kube::PatchType::kMerge, spec_patch)
                  .ok());
  ASSERT_TRUE(reconciler_.Reconcile("trainium-trn1").ok());
  nc = *client_.Get(kube::resources::EC2NodeClasses(), "", "trainium-trn1");
  const std::string t1 = FormatRfc3339(clock_.Now());
  EXPECT_EQ((*Condition(nc, "SubnetsReady"))["lastTransitionTime"], t1);
  EXPECT_EQ((*Condition(nc, "Ready"))["lastTransitionTime"], t1);
  EXPECT_EQ((*Condition(nc, "SecurityGroupsReady"))["lastTransitionTime"], t0);
  EXPECT_EQ((*Condition(nc, "SecurityGroupsReady"))["observedGeneration"], 2);
  EXPECT_EQ((*Condition(nc, "Ready"))["status"], "False");
}

TEST_F(NodeClassReconcilerTest, MissingNodeClassIsDone) {
  auto r = reconciler_.Reconcile("gone");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->requeue_after.has_value());
}

TEST_F(NodeClassReconcilerTest, RetriesOnConflictAndReportsOtherErrors) {
  ASSERT_TRUE(client_.Create(kube::resources::EC2NodeClasses(), "", TrainiumNodeClass()).ok());
  client_.InjectError("update", "ec2nodeclasses", absl::AbortedError("conflict"), 1);
  ASSERT_TRUE(reconciler_.Reconcile("trainium-trn1").ok());
  Json nc = *client_.Get(kube::resources::EC2NodeClasses(), "", "trainium-trn1");
  EXPECT_EQ((*Condition(nc, "Ready"))["status"], "True");

  client_.InjectError("get", "ec2nodeclasses", absl::UnavailableError("connection refused"), 1);
  auto r = reconciler_.Reconcile("trainium-trn1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("reconciling EC2NodeClass trainium-trn1"));
}

}  // namespace
}  // namespace joinery::cloudprovider::simulated
