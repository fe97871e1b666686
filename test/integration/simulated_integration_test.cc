// The simulated cloud provider, its kubelet and the EC2NodeClass status controller against the real
// API server, scheduler and controller manager of the local cluster: the EC2NodeClass CRD accepts
// the status the reconciler writes, a launched instance registers as a Node the API server accepts,
// kube-scheduler binds a pod to it, the kubelet renews the node Lease and marks the pod Running,
// and deleting the instance deletes the Node. The instance is a ConfigMap in kube-system.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "joinery/cloudprovider/catalog.h"
#include "joinery/cloudprovider/simulated/kubelet.h"
#include "joinery/cloudprovider/simulated/nodeclass_reconciler.h"
#include "joinery/cloudprovider/simulated/simulated_cloud_provider.h"
#include "cluster_env.h"

namespace joinery::cloudprovider::simulated {
namespace {

using integration::ClusterTest;
using integration::PollUntil;
using Json = nlohmann::json;

constexpr char kCluster[] = "it-cluster";

class SimulatedIntegrationTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    if (IsSkipped()) return;
    // The CRDs (idempotent; another test may have applied them already).
    auto applied = env().Kubectl({"apply", "--validate=false", "-f",
                                  std::string(std::getenv("JOINERY_SOURCE_DIR")) + "/deploy/crds"});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    ASSERT_TRUE(PollUntil([&] {
      return client().List(kube::resources::EC2NodeClasses(), "").ok();
    })) << "the EC2NodeClass CRD is not served";
    vpc_ = std::make_shared<const VpcInventory>(VpcInventory::Default(kCluster));
  }

  Json NodeClass(const std::string& name, const std::string& discovery) {
    return {{"apiVersion", "karpenter.k8s.aws/v1"},
            {"kind", "EC2NodeClass"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"amiSelectorTerms", Json::array({{{"alias", "al2023@latest"}}})},
              {"role", "KarpenterNodeRole"},
              {"subnetSelectorTerms",
               Json::array({{{"tags", {{"karpenter.sh/discovery", discovery}}}}})},
              {"securityGroupSelectorTerms",
               Json::array({{{"tags", {{"karpenter.sh/discovery", kCluster}}}}})}}}};
  }

  const Json* Condition(const Json& obj, std::string_view type) {
    for (const Json& c : obj["status"]["conditions"]) {
      if (c["type"] == type) return &c;
    }
    return nullptr;
  }

  std::shared_ptr<const VpcInventory> vpc_;
};

TEST_F(SimulatedIntegrationTest, NodeClassStatusIsAcceptedByTheCrd) {
  const std::string good = integration::ClusterEnv::UniqueName("sim-good");
  const std::string bad = integration::ClusterEnv::UniqueName("sim-bad");
  ASSERT_TRUE(client().Create(kube::resources::EC2NodeClasses(), "", NodeClass(good, kCluster)).ok());
  ASSERT_TRUE(client().Create(kube::resources::EC2NodeClasses(), "", NodeClass(bad, "nope")).ok());
  NodeClassReconciler reconciler(client(), RealClock(), vpc_, {.cluster_name = kCluster});
  auto r = reconciler.Reconcile(good);
  ASSERT_TRUE(r.ok()) << r.status();
  r = reconciler.Reconcile(bad);
  ASSERT_TRUE(r.ok()) << r.status();

  Json g = *client().Get(kube::resources::EC2NodeClasses(), "", good);
  EXPECT_EQ(g["status"]["subnets"].size(), 3u) << g.dump();
  EXPECT_EQ(g["status"]["amis"].size(), 2u);
  ASSERT_NE(Condition(g, "Ready"), nullptr) << g.dump();
  EXPECT_EQ((*Condition(g, "Ready"))["status"], "True");
  Json b = *client().Get(kube::resources::EC2NodeClasses(), "", bad);
  ASSERT_NE(Condition(b, "SubnetsReady"), nullptr) << b.dump();
  EXPECT_EQ((*Condition(b, "SubnetsReady"))["reason"], "SubnetsNotFound");
  EXPECT_EQ((*Condition(b, "Ready"))["status"], "False");

  // `kubectl get ec2nodeclasses` shows READY from the root condition.
  auto out = env().Kubectl({"get", "ec2nodeclass", good, "--no-headers"});
  EXPECT_NE(out.out.find("True"), std::string::npos) << out.out << out.err;

  (void)client().Delete(kube::resources::EC2NodeClasses(), "", good);
  (void)client().Delete(kube::resources::EC2NodeClasses(), "", bad);
}

TEST_F(SimulatedIntegrationTest, LaunchedInstanceRunsPodsScheduledByKubeScheduler) {
  const std::string nc_name = integration::ClusterEnv::UniqueName("sim-nc");
  ASSERT_TRUE(client().Create(kube::resources::EC2NodeClasses(), "", NodeClass(nc_name, kCluster)).ok());
  NodeClassReconciler reconciler(client(), RealClock(), vpc_, {.cluster_name = kCluster});
  ASSERT_TRUE(reconciler.Reconcile(nc_name).ok());

  auto catalog = EmbeddedCatalog(CatalogOptions{});
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  SimulatedCloudProvider provider(
      client(), RealClock(), std::make_shared<const InstanceTypes>(std::move(*catalog)), *vpc_,
      {.cluster_name = kCluster, .registration_delay = absl::Milliseconds(100),
       .seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()))});
  SimulatedKubelet kubelet(client(), RealClock(),
                           {.sync_interval = absl::Milliseconds(200)});
  kubelet.Start();

  api::NodeClaim claim;
  claim.metadata.name = integration::ClusterEnv::UniqueName("sim-claim");
  claim.metadata.labels = {{"karpenter.sh/nodepool", "it"}};
  claim.spec.node_class_ref.name = nc_name;
  claim.spec.requirements = {
      {.key = "node.kubernetes.io/instance-type", .operator_ = "In", .values = {"m5.large"}},
      {.key = "karpenter.sh/capacity-type", .operator_ = "In", .values = {"on-demand"}}};
  auto launched = provider.Create(claim);
  ASSERT_TRUE(launched.ok()) << launched.status();
  EXPECT_EQ(launched->metadata.labels.at("node.kubernetes.io/instance-type"), "m5.large");

  // The instance exists at once (an object in kube-system); the kubelet registers its Node.
  auto got = provider.Get(launched->status.provider_id);
  ASSERT_TRUE(got.ok()) << got.status();
  const std::string node_name = got->status.node_name;
  ASSERT_FALSE(node_name.empty());
  ASSERT_TRUE(PollUntil([&] {
    return client().Get(kube::resources::Nodes(), "", node_name).ok();
  })) << "the Node never registered";

  // Karpenter's registration removes the unregistered taint; do it here so the pod can land. As the
  // lifecycle controller does, strip it again if it comes back: kube-controller-manager 1.20 can put
  // it back when it lifts node.kubernetes.io/not-ready from a stale copy right after the Node joins.
  auto strip_unregistered = [&] {
    auto node = client().Get(kube::resources::Nodes(), "", node_name);
    if (!node.ok() || !(*node)["spec"].contains("taints")) return;
    (void)client().Patch(kube::resources::Nodes(), "", node_name, kube::PatchType::kMerge,
                         {{"spec", {{"taints", nullptr}}}});
  };
  ASSERT_TRUE(client()
                  .Patch(kube::resources::Nodes(), "", node_name, kube::PatchType::kMerge,
                         {{"spec", {{"taints", nullptr}}}})
                  .ok());

  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "web"}, {"namespace", ns()}}},
              {"spec",
               {{"nodeSelector", {{"kubernetes.io/hostname", node_name}}},
                {"containers",
                 Json::array({{{"name", "web"},
                               {"image", "nginx"},
                               {"resources", {{"requests", {{"cpu", "100m"}}}}}}})}}}};
  ASSERT_TRUE(client().Create(kube::resources::Pods(), ns(), pod).ok());
  Json running;
  EXPECT_TRUE(PollUntil([&] {
    auto p = client().Get(kube::resources::Pods(), ns(), "web");
    if (!p.ok()) return false;
    running = *p;
    if (!(*p)["spec"].contains("nodeName")) strip_unregistered();
    return (*p)["status"].value("phase", "") == "Running";
  }, absl::Seconds(90)))
      << running.dump();
  EXPECT_EQ(running["spec"].value("nodeName", ""), node_name);
  EXPECT_TRUE(running["status"].contains("podIP")) << running.dump();

  auto lease = client().Get(kube::resources::Leases(), "kube-node-lease", node_name);
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], node_name);

  // Graceful pod deletion finishes because the kubelet confirms it.
  ASSERT_TRUE(client().Delete(kube::resources::Pods(), ns(), "web").ok());
  EXPECT_TRUE(PollUntil([&] {
    return kube::IsNotFound(client().Get(kube::resources::Pods(), ns(), "web").status());
  }, absl::Seconds(60)));

  api::NodeClaim hydrated = *launched;
  EXPECT_TRUE(provider.Delete(hydrated).ok());
  EXPECT_TRUE(PollUntil([&] {
    return kube::IsNotFound(client().Get(kube::resources::Nodes(), "", node_name).status());
  }));
  EXPECT_EQ(provider.Delete(hydrated).code(), absl::StatusCode::kNotFound);
  kubelet.Stop();
  (void)client().Delete(kube::resources::EC2NodeClasses(), "", nc_name);
}

}  // namespace
}  // namespace joinery::cloudprovider::simulated
