#include "joinery/cloudprovider/simulated/simulated_cloud_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <regex>
#include <thread>

#include "joinery/api/labels.h"
#include "joinery/cloudprovider/catalog.h"
#include "joinery/cloudprovider/simulated/kubelet.h"
#include "joinery/cloudprovider/simulated/nodeclass_reconciler.h"
#include "joinery/cloudprovider/simulated/test_util.h"
#include "joinery/kube/fake_client.h"

namespace joinery::cloudprovider::simulated {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;
using Json = nlohmann::json;
using testing::kCluster;
using testing::Req;
using testing::TrainiumNodeClaim;
using testing::TrainiumNodeClass;

std::shared_ptr<const InstanceTypes> Catalog() {
  static const auto* catalog = [] {
    auto c = EmbeddedCatalog(CatalogOptions{});
    EXPECT_TRUE(c.ok()) << c.status();
    return new std::shared_ptr<const InstanceTypes>(
        std::make_shared<const InstanceTypes>(std::move(*c)));
  }();
  return *catalog;
}

const InstanceType* FindType(std::string_view name) {
  for (const auto& it : *Catalog()) {
    if (it.name == name) return &it;
  }
  return nullptr;
}

class SimulatedCloudProviderTest : public ::testing::Test {
 protected:
  SimulatedCloudProviderTest()
      : client_(clock_),
        vpc_(std::make_shared<const VpcInventory>(VpcInventory::Default(kCluster))),
        reconciler_(client_, clock_, vpc_, {.cluster_name = kCluster}),
        provider_(client_, clock_, Catalog(), *vpc_,
                  {.cluster_name = kCluster, .registration_delay = absl::Seconds(2), .seed = 7}),
        kubelet_(client_, clock_) {}

  void SetUp() override { AddNodeClass(TrainiumNodeClass()); }

  void AddNodeClass(Json nc) {
    std::string name = nc["metadata"]["name"];
    ASSERT_TRUE(client_.Create(kube::resources::EC2NodeClasses(), "", nc).ok());
    ASSERT_TRUE(reconciler_.Reconcile(name).ok());
  }

  api::NodePool Pool(std::string node_class = "trainium-trn1") {
    api::NodePool np;
    np.metadata.name = "pool";
    np.template_.spec.node_class_ref.name = std::move(node_class);
    return np;
  }

  size_t Count(const kube::Resource& r, std::string_view ns = "") {
    auto list = client_.List(r, ns);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? (*list)["items"].size() : 0;
  }
  size_t Instances() { return Count(kube::resources::ConfigMaps(), "kube-system"); }
  size_t Nodes() { return Count(kube::resources::Nodes()); }

  FakeClock clock_;
  kube::FakeClient client_;
  std::shared_ptr<const VpcInventory> vpc_;
  NodeClassReconciler reconciler_;
  SimulatedCloudProvider provider_;
  SimulatedKubelet kubelet_;  // the machines: registers the Nodes (Sync() only, no threads)
};

TEST_F(SimulatedCloudProviderTest, TrainiumRequirementsLaunchTrn1OnDemand) {
  auto nc = provider_.Create(TrainiumNodeClaim());
  ASSERT_TRUE(nc.ok()) << nc.status();
  const auto& labels = nc->metadata.labels;
  EXPECT_THAT(labels, Contains(Pair("node.kubernetes.io/instance-type", "trn1.2xlarge")));
  EXPECT_THAT(labels, Contains(Pair("karpenter.sh/capacity-type", "on-demand")));
  // Same price in every zone: the first zone wins.
  EXPECT_THAT(labels, Contains(Pair("topology.kubernetes.io/zone", "us-east-1a")));
  EXPECT_THAT(labels, Contains(Pair("topology.kubernetes.io/region", "us-east-1")));
  EXPECT_THAT(labels, Contains(Pair("topology.k8s.aws/zone-id", "use1-az1")));
  EXPECT_THAT(labels, Contains(Pair("kubernetes.io/arch", "amd64")));
  EXPECT_THAT(labels, Contains(Pair("kubernetes.io/os", "linux")));
  EXPECT_THAT(labels, Contains(Pair("karpenter.k8s.aws/instance-family", "trn1")));
  EXPECT_THAT(labels, Contains(Pair("instanceType", "trn1.2xlarge")));  // the NodeClaim's own
  EXPECT_TRUE(std::regex_match(nc->status.provider_id,
                               std::regex("aws:///us-east-1a/i-[0-9a-f]{17}")))
      << nc->status.provider_id;
  EXPECT_EQ(nc->status.image_id, vpc_->images[2].id);  // al2023 v20250115 amd64
  EXPECT_EQ(nc->status.allocatable.at("aws.amazon.com/neuron"), Quantity::FromUnits(1));
  EXPECT_EQ(nc->status.capacity.at("aws.amazon.com/neuron"), Quantity::FromUnits(1));
  EXPECT_EQ(nc->status.allocatable, FindType("trn1.2xlarge")->Allocatable());
  EXPECT_EQ(nc->spec.requirements.size(), TrainiumNodeClaim().spec.requirements.size());
}

TEST_F(SimulatedCloudProviderTest, NodeClaimLabelsWin) {
  api::NodeClaim claim = TrainiumNodeClaim();
  claim.metadata.labels["karpenter.k8s.aws/instance-family"] = "mine";
  auto nc = provider_.Create(claim);
  ASSERT_TRUE(nc.ok()) << nc.status();
  EXPECT_EQ(nc->metadata.labels.at("karpenter.k8s.aws/instance-family"), "mine");
}

TEST_F(SimulatedCloudProviderTest, SpotAllowedSmallPodGetsTheCheapestSpotOffering) {
  api::NodeClaim claim = TrainiumNodeClaim("small");
  claim.spec.requirements = {Req("karpenter.sh/capacity-type", "In", {"spot", "on-demand"}),
                             Req("kubernetes.io/arch", "In", {"amd64"})};
  claim.spec.resource_requests = {{"cpu", Quantity::FromMilli(100)},
                                  {"memory", *Quantity::Parse("128Mi")},
                                  {"pods", Quantity::FromUnits(1)}};
  auto nc = provider_.Create(claim);
  ASSERT_TRUE(nc.ok()) << nc.status();
  EXPECT_EQ(nc->metadata.labels.at("karpenter.sh/capacity-type"), "spot");
  // The cheapest spot offering of any amd64, non-exotic type that fits.
  double best = std::numeric_limits<double>::infinity();
  for (const auto& it : *Catalog()) {
    if (it.labels.at("kubernetes.io/arch") != "amd64") continue;
    if (!Fits(claim.spec.resource_requests, it.Allocatable())) continue;
    if (it.capacity.contains("nvidia.com/gpu") || it.capacity.contains("aws.amazon.com/neuron")) {
      continue;
    }
    for (const auto& o : it.offerings) {
      if (o.capacity_type == "spot" && o.available) best = std::min(best, o.price);
    }
  }
  const InstanceType* chosen = FindType(nc->metadata.labels.at("node.kubernetes.io/instance-type"));
  ASSERT_NE(chosen, nullptr);
  double price = -1;
  for (const auto& o : chosen->offerings) {
    if (o.capacity_type == "spot" && o.zone == nc->metadata.labels.at("topology.kubernetes.io/zone")) {
      price = o.price;
    }
  }
  EXPECT_EQ(price, best) << chosen->name;
}

TEST_F(SimulatedCloudProviderTest, IsDeterministicForASeed) {
  FakeClock clock2;
  kube::FakeClient client2(clock2);
  NodeClassReconciler r2(client2, clock2, vpc_, {.cluster_name = kCluster});
  ASSERT_TRUE(client2.Create(kube::resources::EC2NodeClasses(), "", TrainiumNodeClass()).ok());
  ASSERT_TRUE(r2.Reconcile("trainium-trn1").ok());
  SimulatedCloudProvider p2(client2, clock2, Catalog(), *vpc_, {.cluster_name = kCluster, .seed = 7});
  auto a = provider_.Create(TrainiumNodeClaim());
  auto b = p2.Create(TrainiumNodeClaim());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->status.provider_id, b->status.provider_id);
  auto c = provider_.Create(TrainiumNodeClaim("second"));
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->status.provider_id, c->status.provider_id);
}

TEST_F(SimulatedCloudProviderTest, NodeClassMissingOrNotReadyIsFailedPrecondition) {
  api::NodeClaim claim = TrainiumNodeClaim();
  claim.spec.node_class_ref.name = "missing";
  auto r = provider_.Create(claim);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("\"missing\" not found"));

  Json broken = TrainiumNodeClass("broken");
  broken["spec"]["subnetSelectorTerms"] = Json::parse(R"([{"id": "subnet-0nope"}])");
  AddNodeClass(broken);
  claim.spec.node_class_ref.name = "broken";
  r = provider_.Create(claim);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("EC2NodeClass \"broken\" is not ready"));
  EXPECT_THAT(r.status().message(), HasSubstr("SubnetsReady=False"));
  EXPECT_EQ(provider_.GetInstanceTypes(Pool("broken")).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Never reconciled: Ready is absent (Unknown).
  ASSERT_TRUE(client_.Create(kube::resources::EC2NodeClasses(), "", TrainiumNodeClass("new")).ok());
  claim.spec.node_class_ref.name = "new";
  r = provider_.Create(claim);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("Ready=Unknown"));
  EXPECT_EQ(Instances(), 0u);
}

TEST_F(SimulatedCloudProviderTest, NoCompatibleInstanceTypeIsInvalidArgument) {
  api::NodeClaim claim = TrainiumNodeClaim();
  claim.spec.requirements = {Req("node.kubernetes.io/instance-type", "In", {"z9.nonexistent"})};
  EXPECT_EQ(provider_.Create(claim).status().code(), absl::StatusCode::kInvalidArgument);
  claim = TrainiumNodeClaim();
  claim.spec.resource_requests["cpu"] = Quantity::FromUnits(64);  // trn1.2xlarge has 8
  EXPECT_EQ(provider_.Create(claim).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SimulatedCloudProviderTest, InsufficientCapacityIsResourceExhaustedAndRemembered) {
  provider_.InjectInsufficientCapacity("trn1.2xlarge", "*", "on-demand");
  auto r = provider_.Create(TrainiumNodeClaim());
  ASSERT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_TRUE(IsInsufficientCapacity(r.status()));
  EXPECT_THAT(r.status().message(), HasSubstr("trn1.2xlarge/us-east-1a/on-demand"));
  EXPECT_THAT(r.status().message(), HasSubstr("trn1.2xlarge/us-east-1c/on-demand"));
  EXPECT_EQ(provider_.UnavailableOfferings().size(), 3u);

  auto types = provider_.GetInstanceTypes(Pool());
  ASSERT_TRUE(types.ok()) << types.status();
  int unavailable = 0;
  for (const auto& it : **types) {
    for (const auto& o : it.offerings) {
      if (!o.available) {
        ++unavailable;
        EXPECT_EQ(it.name, "trn1.2xlarge");
        EXPECT_EQ(o.capacity_type, "on-demand");
      }
    }
  }
  EXPECT_EQ(unavailable, 3);
  // Retrying within 3 minutes: every offering is cached as unavailable.
  r = provider_.Create(TrainiumNodeClaim());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);

  // After 3 minutes the cache forgets them; capacity is back once the injection is cleared.
  clock_.Advance(absl::Minutes(3) + absl::Seconds(1));
  provider_.ClearInsufficientCapacity();
  EXPECT_TRUE(provider_.UnavailableOfferings().empty());
  types = provider_.GetInstanceTypes(Pool());
  for (const auto& it : **types) {
    for (const auto& o : it.offerings) EXPECT_TRUE(o.available) << it.name;
  }
  EXPECT_TRUE(provider_.Create(TrainiumNodeClaim()).ok());
}

TEST_F(SimulatedCloudProviderTest, GetInstanceTypesHandsOutTheSameListUntilItsInputsChange) {
  auto first = provider_.GetInstanceTypes(Pool());
  auto again = provider_.GetInstanceTypes(Pool());
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->get(), again->get());  // the same list, not an equal copy

  // A failed launch marks offerings unavailable: a new list, which is then the cached one.
  provider_.InjectInsufficientCapacity("trn1.2xlarge", "us-east-1a", "on-demand");
  ASSERT_TRUE(provider_.Create(TrainiumNodeClaim()).ok());  // launched in the next zone
  ASSERT_EQ(provider_.UnavailableOfferings().size(), 1u);
  auto marked = provider_.GetInstanceTypes(Pool());
  ASSERT_TRUE(marked.ok());
  EXPECT_NE(marked->get(), first->get());
  EXPECT_EQ(provider_.GetInstanceTypes(Pool())->get(), marked->get());
  bool trn1_1a_unavailable = false;
  for (const auto& it : **marked) {
    for (const auto& o : it.offerings) {
      if (it.name == "trn1.2xlarge" && o.zone == "us-east-1a" && o.capacity_type == "on-demand") {
        trn1_1a_unavailable = !o.available;
      }
    }
  }
  EXPECT_TRUE(trn1_1a_unavailable);
  // The first list the caller still holds is unchanged.
  for (const auto& it : **first) {
    for (const auto& o : it.offerings) EXPECT_TRUE(o.available) << it.name << " " << o.zone;
  }

  // The entry expires after 3 minutes: a fresh list again, all available.
  clock_.Advance(absl::Minutes(3) + absl::Seconds(1));
  auto expired = provider_.GetInstanceTypes(Pool());
  ASSERT_TRUE(expired.ok());
  EXPECT_NE(expired->get(), marked->get());
  for (const auto& it : **expired) {
    for (const auto& o : it.offerings) EXPECT_TRUE(o.available) << it.name << " " << o.zone;
  }

  // Each node class has its own list.
  Json one = TrainiumNodeClass("one-zone");
  one["spec"]["subnetSelectorTerms"] = Json::array({{{"id", vpc_->subnets[1].id}}});
  AddNodeClass(one);
  auto other = provider_.GetInstanceTypes(Pool("one-zone"));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->get(), expired->get());
  EXPECT_EQ(provider_.GetInstanceTypes(Pool())->get(), expired->get());
}

TEST_F(SimulatedCloudProviderTest, InsufficientCapacityInOneZoneFallsBackToTheNext) {
  SimulatedCloudProvider p(client_, clock_, Catalog(), *vpc_,
                           {.cluster_name = kCluster,
                            .insufficient_capacity = *ParseInsufficientCapacity(
                                "trn1.2xlarge:us-east-1a:on-demand")});
  auto nc = p.Create(TrainiumNodeClaim());
  ASSERT_TRUE(nc.ok()) << nc.status();
  EXPECT_EQ(nc->metadata.labels.at("topology.kubernetes.io/zone"), "us-east-1b");
  ASSERT_EQ(p.UnavailableOfferings().size(), 1u);
  EXPECT_EQ(p.UnavailableOfferings()[0].zone, "us-east-1a");
}

TEST_F(SimulatedCloudProviderTest, GetInstanceTypesRestrictsZonesToTheNodeClassSubnets) {
  Json one = TrainiumNodeClass("one-zone");
  one["spec"]["subnetSelectorTerms"] = Json::array({{{"id", vpc_->subnets[1].id}}});
  AddNodeClass(one);
  auto types = provider_.GetInstanceTypes(Pool("one-zone"));
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_EQ(types->get()->size(), Catalog()->size());  // both architectures have an AMI
  for (const auto& it : **types) {
    for (const auto& o : it.offerings) EXPECT_EQ(o.zone, "us-east-1b");
  }
  api::NodeClaim claim = TrainiumNodeClaim();
  claim.spec.node_class_ref.name = "one-zone";
  auto nc = provider_.Create(claim);
  ASSERT_TRUE(nc.ok());
  EXPECT_EQ(nc->metadata.labels.at("topology.kubernetes.io/zone"), "us-east-1b");

  // Only amd64 AMIs: arm64 types are not offered.
  Json amd = TrainiumNodeClass("amd-only");
  amd["spec"]["amiSelectorTerms"] = Json::parse(R"([{"name": "*x86_64*"}])");
  AddNodeClass(amd);
  types = provider_.GetInstanceTypes(Pool("amd-only"));
  ASSERT_TRUE(types.ok()) << types.status();
  for (const auto& it : **types) EXPECT_EQ(it.labels.at("kubernetes.io/arch"), "amd64");
}

TEST_F(SimulatedCloudProviderTest, NodeRegistersAfterTheDelayAsTheKubeletWould) {
  api::NodeClaim claim = TrainiumNodeClaim();
  claim.spec.startup_taints = {{.key = "node.cilium.io/agent-not-ready", .value = "true",
                                .effect = "NoExecute"}};
  auto nc = provider_.Create(claim);
  ASSERT_TRUE(nc.ok()) << nc.status();
  EXPECT_EQ(Instances(), 1u);
  ASSERT_TRUE(kubelet_.Sync().ok());
  EXPECT_EQ(Nodes(), 0u) << "still booting";
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(kubelet_.Sync().ok());
  EXPECT_EQ(Nodes(), 1u);

  std::string instance_id = nc->status.provider_id.substr(nc->status.provider_id.rfind('/') + 1);
  std::string name = provider_.NodeNameFor(instance_id);
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(ip-10-\d+-\d+-\d+\.ec2\.internal)"))) << name;
  auto node = client_.Get(kube::resources::Nodes(), "", name);
  ASSERT_TRUE(node.ok()) << node.status();
  const Json& n = *node;
  EXPECT_EQ(n["spec"]["providerID"], nc->status.provider_id);
  const Json& labels = n["metadata"]["labels"];
  EXPECT_EQ(labels["kubernetes.io/hostname"], name);
  EXPECT_EQ(labels["joinery.dev/simulated"], "true");
  EXPECT_EQ(labels["node.kubernetes.io/instance-type"], "trn1.2xlarge");
  EXPECT_EQ(labels["karpenter.sh/nodepool"], "trainium-trn1");
  EXPECT_EQ(labels["karpenter.sh/capacity-type"], "on-demand");
  EXPECT_EQ(n["spec"]["taints"],
            Json::parse(R"([{"key":"aws.amazon.com/neuron","value":"true","effect":"NoSchedule"},
                            {"key":"node.cilium.io/agent-not-ready","value":"true","effect":"NoExecute"},
                            {"key":"karpenter.sh/unregistered","effect":"NoExecute"}])"));
  EXPECT_EQ(n["status"]["capacity"]["aws.amazon.com/neuron"], "1");
  EXPECT_EQ(n["status"]["allocatable"]["aws.amazon.com/neuron"], "1");
  EXPECT_EQ(n["status"]["capacity"]["cpu"], "8");
  EXPECT_EQ(n["status"]["nodeInfo"]["kubeletVersion"], "v1.20.2");
  EXPECT_EQ(n["status"]["nodeInfo"]["architecture"], "amd64");
  EXPECT_EQ(n["status"]["nodeInfo"]["operatingSystem"], "linux");
  EXPECT_EQ(n["status"]["addresses"][0]["type"], "InternalIP");
  EXPECT_TRUE(n["status"]["addresses"][0]["address"].get<std::string>().starts_with("10."));
  bool ready = false;
  for (const Json& c : n["status"]["conditions"]) {
    if (c["type"] == "Ready") {
      ready = c["status"] == "True" && c["reason"] == "KubeletReady" &&
              c["message"] == "kubelet is posting ready status";
    } else {
      EXPECT_EQ(c["status"], "False") << c.dump();
    }
  }
  EXPECT_TRUE(ready);
  Json record = Json::parse(n["metadata"]["annotations"]["joinery.dev/simulated-instance"].get<std::string>());
  EXPECT_EQ(record["instanceType"], "trn1.2xlarge");
  EXPECT_EQ(record["nodeClaim"], "trainium-trn1-abcde");
  EXPECT_EQ(record["imageID"], nc->status.image_id);
  EXPECT_EQ(record["subnetID"], vpc_->subnets[0].id);
}

TEST_F(SimulatedCloudProviderTest, GetListAndDelete) {
  auto nc = provider_.Create(TrainiumNodeClaim());
  ASSERT_TRUE(nc.ok()) << nc.status();
  const std::string& pid = nc->status.provider_id;
  // Before the Node registers the instance exists all the same.
  auto got = provider_.Get(pid);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->metadata.name, "trainium-trn1-abcde");
  ASSERT_EQ(provider_.List()->size(), 1u);

  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(kubelet_.Sync().ok());
  ASSERT_EQ(Nodes(), 1u);
  got = provider_.Get(pid);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->metadata.name, "trainium-trn1-abcde");
  EXPECT_EQ(got->status.provider_id, pid);
  EXPECT_EQ(got->status.image_id, nc->status.image_id);
  EXPECT_EQ(got->status.capacity.at("aws.amazon.com/neuron"), Quantity::FromUnits(1));
  EXPECT_EQ(got->metadata.labels.at("node.kubernetes.io/instance-type"), "trn1.2xlarge");
  auto list = provider_.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].metadata.name, "trainium-trn1-abcde");
  EXPECT_EQ((*list)[0].status.provider_id, pid);

  EXPECT_TRUE(provider_.Delete(*nc).ok());
  EXPECT_EQ(provider_.Get(pid).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(provider_.Delete(*nc).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(provider_.List()->empty());
  EXPECT_EQ(Instances(), 0u);
  EXPECT_EQ(Nodes(), 0u) << "a terminated instance's Node goes with it";
  EXPECT_EQ(provider_.Get("aws:///us-east-1a/i-0000000000000000a").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(provider_.Get("kwok://x").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SimulatedCloudProviderTest, DeleteOfANodeWithFinalizersIsTerminatedAtOnce) {
  auto nc = provider_.Create(TrainiumNodeClaim());
  ASSERT_TRUE(nc.ok());
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(kubelet_.Sync().ok());
  ASSERT_EQ(Nodes(), 1u);
  std::string name = provider_.List()->at(0).status.node_name;
  ASSERT_TRUE(client_.Patch(kube::resources::Nodes(), "", name, kube::PatchType::kMerge,
                            {{"metadata", {{"finalizers", {"karpenter.sh/termination"}}}}})
                  .ok());
  EXPECT_TRUE(provider_.Delete(*nc).ok());
  auto node = client_.Get(kube::resources::Nodes(), "", name);
  ASSERT_TRUE(node.ok()) << "the finalizer keeps the Node";
  EXPECT_TRUE((*node)["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(provider_.Get(nc->status.provider_id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(provider_.Delete(*nc).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(provider_.List()->empty());
}

TEST_F(SimulatedCloudProviderTest, DeleteBeforeRegistrationCancelsIt) {
  auto nc = provider_.Create(TrainiumNodeClaim());
  ASSERT_TRUE(nc.ok());
  EXPECT_TRUE(provider_.Delete(*nc).ok());
  EXPECT_EQ(Instances(), 0u);
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(kubelet_.Sync().ok());
  EXPECT_EQ(Nodes(), 0u);
  EXPECT_EQ(provider_.Get(nc->status.provider_id).status().code(), absl::StatusCode::kNotFound);
  api::NodeClaim no_id;
  EXPECT_EQ(provider_.Delete(no_id).code(), absl::StatusCode::kNotFound);
}

TEST_F(SimulatedCloudProviderTest, RegistrationFailureIsRetried) {
  auto nc = provider_.Create(TrainiumNodeClaim());
  ASSERT_TRUE(nc.ok());
  clock_.Advance(absl::Seconds(2));
  client_.InjectError("create", "nodes", absl::UnavailableError("connection refused"), 1);
  absl::Status failed = kubelet_.Sync();
  EXPECT_THAT(failed.message(), HasSubstr("connection refused"));
  EXPECT_EQ(Nodes(), 0u);
  ASSERT_TRUE(kubelet_.Sync().ok());
  EXPECT_EQ(Nodes(), 1u);
}

TEST_F(SimulatedCloudProviderTest, InstancesOutliveTheProviderThatLaunchedThem) {
  std::string pid;
  {
    SimulatedCloudProvider launcher(client_, clock_, Catalog(), *vpc_,
                                    {.cluster_name = kCluster, .seed = 11});
    auto nc = launcher.Create(TrainiumNodeClaim());
    ASSERT_TRUE(nc.ok()) << nc.status();
    pid = nc->status.provider_id;
  }  // the launching controller is gone before the instance boots
  auto got = provider_.Get(pid);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->metadata.name, "trainium-trn1-abcde");
  ASSERT_EQ(provider_.List()->size(), 1u);
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(kubelet_.Sync().ok());
  auto nodes = client_.List(kube::resources::Nodes(), "");
  ASSERT_EQ((*nodes)["items"].size(), 1u);
  EXPECT_EQ((*nodes)["items"][0]["spec"]["providerID"], pid);
}

TEST_F(SimulatedCloudProviderTest, CreateIsIdempotentPerNodeClaim) {
  api::NodeClaim claim = TrainiumNodeClaim();
  claim.metadata.uid = "uid-1";
  auto first = provider_.Create(claim);
  ASSERT_TRUE(first.ok()) << first.status();
  // Another replica (a provider with another seed) launching for the same NodeClaim gets the same
  // instance back.
  SimulatedCloudProvider other(client_, clock_, Catalog(), *vpc_,
                               {.cluster_name = kCluster, .seed = 99});
  auto again = other.Create(claim);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status.provider_id, first->status.provider_id);
  EXPECT_EQ(again->status.image_id, first->status.image_id);
  EXPECT_EQ(again->metadata.labels.at("node.kubernetes.io/instance-type"), "trn1.2xlarge");
  EXPECT_EQ(again->metadata.labels.at("topology.kubernetes.io/zone"),
            first->metadata.labels.at("topology.kubernetes.io/zone"));
  EXPECT_FALSE(again->metadata.labels.contains("joinery.dev/simulated"));
  EXPECT_EQ(again->status.allocatable, first->status.allocatable);
  EXPECT_EQ(Instances(), 1u);

  // The instance carries the NodeClaim's identity.
  auto objs = client_.List(kube::resources::ConfigMaps(), "kube-system");
  const Json& obj = (*objs)["items"][0];
  EXPECT_EQ(obj["metadata"]["labels"]["karpenter.sh/nodeclaim"], "trainium-trn1-abcde");
  EXPECT_EQ(obj["metadata"]["labels"]["joinery.dev/simulated-instance"], "true");
  Json record = InstanceRecord(obj);
  EXPECT_EQ(record["nodeClaimUID"], "uid-1");
  EXPECT_EQ(record["providerID"], first->status.provider_id);

  // A NodeClaim of the same name but another uid (deleted and created again) is another launch.
  claim.metadata.uid = "uid-2";
  auto second = provider_.Create(claim);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->status.provider_id, first->status.provider_id);
  EXPECT_EQ(Instances(), 2u);
  // Once terminated, a launch for it is a new instance.
  ASSERT_TRUE(provider_.Delete(*second).ok());
  auto third = provider_.Create(claim);
  ASSERT_TRUE(third.ok());
  EXPECT_NE(third->status.provider_id, second->status.provider_id);
}

TEST_F(SimulatedCloudProviderTest, KubeletLeavesNodesOfTerminatedInstancesAlone) {
  auto nc = provider_.Create(TrainiumNodeClaim());
  ASSERT_TRUE(nc.ok());
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(kubelet_.Sync().ok());
  ASSERT_EQ(Nodes(), 1u);
  ASSERT_TRUE(kubelet_.Sync().ok());  // the registered Node's first lease
  // The instance object goes but its Node stays (a finalizer): no more heartbeats.
  const std::string name = provider_.List()->at(0).status.node_name;
  ASSERT_TRUE(client_.Patch(kube::resources::Nodes(), "", name, kube::PatchType::kMerge,
                            {{"metadata", {{"finalizers", {"karpenter.sh/termination"}}}}})
                  .ok());
  ASSERT_TRUE(provider_.Delete(*nc).ok());
  std::string before = client_.Get(kube::resources::Nodes(), "", name)->dump();
  clock_.Advance(absl::Minutes(2));
  ASSERT_TRUE(kubelet_.Sync().ok());
  auto after = client_.Get(kube::resources::Nodes(), "", name);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->dump(), before) << "no status update for a machine that is gone";
  EXPECT_EQ(Count(kube::resources::Leases(), "kube-node-lease"), 1u)
      << "the lease of the first pass, not renewed";
}

TEST(InsufficientCapacityListTest, ParsesEntriesWithWildcards) {
  auto l = ParseInsufficientCapacity(" trn1.2xlarge:us-east-1a:on-demand, *:*:spot,,");
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].instance_type, "trn1.2xlarge");
  EXPECT_EQ((*l)[0].zone, "us-east-1a");
  EXPECT_EQ((*l)[0].capacity_type, "on-demand");
  EXPECT_EQ((*l)[1].instance_type, "*");
  EXPECT_THAT(ParseInsufficientCapacity("a:b").status().message(), HasSubstr("\"a:b\""));
  EXPECT_FALSE(ParseInsufficientCapacity("a::c").ok());
  EXPECT_FALSE(ParseInsufficientCapacity("a:b:c:d").ok());
  EXPECT_EQ(LoadInsufficientCapacityFile("/nonexistent").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace joinery::cloudprovider::simulated
