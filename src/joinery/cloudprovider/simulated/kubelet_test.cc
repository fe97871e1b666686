#include "joinery/cloudprovider/simulated/kubelet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "joinery/cloudprovider/simulated/simulated_cloud_provider.h"
#include "joinery/common/strings.h"
#include "joinery/kube/fake_client.h"

namespace joinery::cloudprovider::simulated {
namespace {

using Json = nlohmann::json;

Json SimNode(std::string name, bool simulated = true) {
  Json n = {{"apiVersion", "v1"},
            {"kind", "Node"},
            {"metadata", {{"name", name}, {"labels", Json::object()}}},
            {"spec", {{"providerID", StrCat("aws:///us-east-1a/i-0", name, "0000")}}},
            {"status",
             {{"addresses", Json::array({{{"type", "InternalIP"}, {"address", "10.1.2.3"}}})},
              {"conditions",
               Json::array({{{"type", "Ready"},
                             {"status", "True"},
                             {"reason", "KubeletReady"},
                             {"lastHeartbeatTime", "2026-01-01T00:00:00Z"},
                             {"lastTransitionTime", "2026-01-01T00:00:00Z"}}})}}}};
  if (simulated) n["metadata"]["labels"]["joinery.dev/simulated"] = "true";
  return n;
}

Json PodOn(std::string name, std::string node) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec",
           {{"nodeName", node},
            {"initContainers", Json::array({{{"name", "init"}, {"image", "busybox"}}})},
            {"containers", Json::array({{{"name", "app"}, {"image", "nginx"}},
                                        {{"name", "side"}, {"image", "envoy"}}})}}}};
}

class SimulatedKubeletTest : public ::testing::Test {
 protected:
  SimulatedKubeletTest()
      : client_(clock_, {.pod_graceful_deletion = true}), kubelet_(client_, clock_) {}

  Json Lease(const std::string& name) {
    auto l = client_.Get(kube::resources::Leases(), "kube-node-lease", name);
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? *l : Json();
  }
  Json Get(const kube::Resource& r, std::string ns, std::string name) {
    auto o = client_.Get(r, ns, name);
    EXPECT_TRUE(o.ok()) << o.status();
    return o.ok() ? *o : Json();
  }

  // The instance object of a machine whose kubelet registers `node`, booting at `boot`.
  absl::Status AddInstance(const Json& node, absl::Time boot) {
    std::string id = InstanceIdOf(node["spec"]["providerID"].get<std::string>());
    Json record = {{"instanceID", id},
                   {"providerID", node["spec"]["providerID"]},
                   {"nodeClaim", "pool-abcde"},
                   {"registerAfterUnixMillis", absl::ToUnixMillis(boot)}};
    Json obj = {{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata",
                 {{"name", InstanceObjectName(id)},
                  {"namespace", "kube-system"},
                  {"labels", {{"joinery.dev/simulated-instance", "true"}}}}},
                {"data", {{"instance", record.dump()}, {"node", node.dump()}}}};
    return client_.Add(kube::resources::ConfigMaps(), "kube-system", obj).status();
  }
  // A running machine: its instance object (booted) and its registered Node.
  absl::Status AddMachine(const Json& node) {
    absl::Status added = AddInstance(node, absl::UnixEpoch());
    if (!added.ok()) return added;
    return client_.Add(kube::resources::Nodes(), "", node).status();
  }

  FakeClock clock_;
  kube::FakeClient client_;
  SimulatedKubelet kubelet_;
};

TEST_F(SimulatedKubeletTest, RenewsTheNodeLeaseEveryTenSeconds) {
  ASSERT_TRUE(AddMachine(SimNode("n1")).ok());
  ASSERT_TRUE(AddMachine(SimNode("other", false)).ok());
  ASSERT_TRUE(kubelet_.Sync().ok());
  Json lease = Lease("n1");
  EXPECT_EQ(lease["spec"]["holderIdentity"], "n1");
  EXPECT_EQ(lease["spec"]["leaseDurationSeconds"], 40);
  EXPECT_EQ(lease["spec"]["renewTime"], "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(lease["metadata"]["ownerReferences"][0]["kind"], "Node");
  EXPECT_EQ(lease["metadata"]["ownerReferences"][0]["name"], "n1");
  EXPECT_EQ(lease["metadata"]["ownerReferences"][0]["uid"],
            Get(kube::resources::Nodes(), "", "n1")["metadata"]["uid"]);
  EXPECT_EQ(client_.Get(kube::resources::Leases(), "kube-node-lease", "other").status().code(),
            absl::StatusCode::kNotFound);

  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(kubelet_.Sync().ok());
  EXPECT_EQ(Lease("n1")["spec"]["renewTime"], "2026-01-01T00:00:00.000000Z");
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(kubelet_.Sync().ok());
  EXPECT_EQ(Lease("n1")["spec"]["renewTime"], "2026-01-01T00:00:10.000000Z");
}

TEST_F(SimulatedKubeletTest, RefreshesTheNodeHeartbeat) {
  ASSERT_TRUE(AddMachine(SimNode("n1")).ok());
  ASSERT_TRUE(kubelet_.Sync().ok());
  Json node = Get(kube::resources::Nodes(), "", "n1");
  ASSERT_EQ(node["status"]["conditions"].size(), 4u);  // the pressure conditions were added
  clock_.Advance(absl::Seconds(39));
  ASSERT_TRUE(kubelet_.Sync().ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(kubelet_.Sync().ok());
  node = Get(kube::resources::Nodes(), "", "n1");
  for (const Json& c : node["status"]["conditions"]) {
    EXPECT_EQ(c["lastHeartbeatTime"], "2026-01-01T00:00:40Z") << c.dump();
    if (c["type"] == "Ready") {
      EXPECT_EQ(c["status"], "True");
      EXPECT_EQ(c["lastTransitionTime"], "2026-01-01T00:00:00Z");
    } else {
      EXPECT_EQ(c["status"], "False");
    }
  }
  EXPECT_EQ(node["status"]["addresses"][0]["address"], "10.1.2.3");  // rest of status kept
}

TEST_F(SimulatedKubeletTest, ComesBackReadyAfterTheNodeControllerMarkedItUnknown) {
  Json n = SimNode("n1");
  n["status"]["conditions"][0]["status"] = "Unknown";
  n["status"]["conditions"][0]["reason"] = "NodeStatusUnknown";
  ASSERT_TRUE(AddMachine(n).ok());
  clock_.Advance(absl::Seconds(100));
  ASSERT_TRUE(kubelet_.Sync().ok());
  Json node = Get(kube::resources::Nodes(), "", "n1");
  const Json& ready = node["status"]["conditions"][0];
  EXPECT_EQ(ready["status"], "True");
  EXPECT_EQ(ready["reason"], "KubeletReady");
  EXPECT_EQ(ready["lastTransitionTime"], "2026-01-01T00:01:40Z");
}

TEST_F(SimulatedKubeletTest, MarksBoundPodsRunning) {
  ASSERT_TRUE(AddMachine(SimNode("n1")).ok());
  ASSERT_TRUE(AddMachine(SimNode("other", false)).ok());
  ASSERT_TRUE(client_.Create(kube::resources::Pods(), "default", PodOn("p1", "n1")).ok());
  ASSERT_TRUE(client_.Create(kube::resources::Pods(), "default", PodOn("p2", "other")).ok());
  Json pending = PodOn("p3", "");
  pending["spec"].erase("nodeName");
  ASSERT_TRUE(client_.Create(kube::resources::Pods(), "default", pending).ok());
  ASSERT_TRUE(kubelet_.Sync().ok());

  Json p1 = Get(kube::resources::Pods(), "default", "p1");
  const Json& st = p1["status"];
  EXPECT_EQ(st["phase"], "Running");
  EXPECT_EQ(st["hostIP"], "10.1.2.3");
  EXPECT_TRUE(st["podIP"].get<std::string>().starts_with("10.")) << st["podIP"];
  EXPECT_EQ(st["podIPs"][0]["ip"], st["podIP"]);
  EXPECT_EQ(st["startTime"], "2026-01-01T00:00:00Z");
  std::set<std::string> types;
  for (const Json& c : st["conditions"]) {
    EXPECT_EQ(c["status"], "True");
    types.insert(c["type"]);
  }
  EXPECT_EQ(types, (std::set<std::string>{"Initialized", "Ready", "ContainersReady", "PodScheduled"}));
  ASSERT_EQ(st["containerStatuses"].size(), 2u);
  EXPECT_EQ(st["containerStatuses"][0]["name"], "app");
  EXPECT_EQ(st["containerStatuses"][0]["ready"], true);
  EXPECT_TRUE(st["containerStatuses"][0]["state"].contains("running"));
  EXPECT_EQ(st["initContainerStatuses"][0]["state"]["terminated"]["reason"], "Completed");

  EXPECT_EQ(Get(kube::resources::Pods(), "default", "p2")["status"]["phase"], "Pending");
  EXPECT_EQ(Get(kube::resources::Pods(), "default", "p3")["status"]["phase"], "Pending");

  // Running pods are left alone.
  client_.ClearCalls();
  ASSERT_TRUE(kubelet_.Sync().ok());
  EXPECT_TRUE(client_.CallsOf("patch", "pods").empty());
}

TEST_F(SimulatedKubeletTest, FinishesTerminatingPods) {
  ASSERT_TRUE(AddMachine(SimNode("n1")).ok());
  ASSERT_TRUE(client_.Create(kube::resources::Pods(), "default", PodOn("p1", "n1")).ok());
  ASSERT_TRUE(kubelet_.Sync().ok());
  ASSERT_TRUE(client_.Delete(kube::resources::Pods(), "default", "p1").ok());
  Json p1 = Get(kube::resources::Pods(), "default", "p1");
  ASSERT_TRUE(p1["metadata"].contains("deletionTimestamp")) << "graceful deletion in progress";
  ASSERT_TRUE(kubelet_.Sync().ok());
  EXPECT_EQ(client_.Get(kube::resources::Pods(), "default", "p1").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SimulatedKubeletTest, LeavesTerminatedInstancesAlone) {
  // A Node whose instance is gone: no kubelet runs on it any more.
  ASSERT_TRUE(client_.Add(kube::resources::Nodes(), "", SimNode("n1")).ok());
  ASSERT_TRUE(client_.Create(kube::resources::Pods(), "default", PodOn("p1", "n1")).ok());
  ASSERT_TRUE(kubelet_.Sync().ok());
  EXPECT_EQ(client_.Get(kube::resources::Leases(), "kube-node-lease", "n1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Get(kube::resources::Pods(), "default", "p1")["status"]["phase"], "Pending");
}

TEST_F(SimulatedKubeletTest, RegistersTheNodeOfABootedInstanceOnce) {
  Json node = SimNode("n9");
  node["status"].erase("conditions");
  ASSERT_TRUE(AddInstance(node, clock_.Now() + absl::Seconds(3)).ok());
  ASSERT_TRUE(kubelet_.Sync().ok());
  EXPECT_EQ(client_.Get(kube::resources::Nodes(), "", "n9").status().code(),
            absl::StatusCode::kNotFound)
      << "still booting";
  clock_.Advance(absl::Seconds(3));
  ASSERT_TRUE(kubelet_.Sync().ok());
  Json n9 = Get(kube::resources::Nodes(), "", "n9");
  bool ready = false;
  for (const Json& c : n9["status"]["conditions"]) {
    ready |= c["type"] == "Ready" && c["status"] == "True" && c["reason"] == "KubeletReady";
  }
  EXPECT_TRUE(ready) << n9.dump();
  client_.ClearCalls();
  ASSERT_TRUE(kubelet_.Sync().ok());
  EXPECT_TRUE(client_.CallsOf("create", "nodes").empty()) << "registered once";
}

TEST_F(SimulatedKubeletTest, ReportsErrorsAndKeepsGoing) {
  ASSERT_TRUE(AddMachine(SimNode("n1")).ok());
  ASSERT_TRUE(AddMachine(SimNode("n2")).ok());
  client_.InjectError("create", "leases", absl::UnavailableError("boom"), 1);
  absl::Status s = kubelet_.Sync();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(client_.Get(kube::resources::Leases(), "kube-node-lease", "n2").ok());
  ASSERT_TRUE(kubelet_.Sync().ok());  // n1's lease is retried at once
  EXPECT_TRUE(client_.Get(kube::resources::Leases(), "kube-node-lease", "n1").ok());
}

TEST_F(SimulatedKubeletTest, BackgroundWorkerMarksPodsRunning) {
  ASSERT_TRUE(AddMachine(SimNode("n1")).ok());
  kubelet_.Start();
  ASSERT_TRUE(client_.Create(kube::resources::Pods(), "default", PodOn("p1", "n1")).ok());
  bool running = false;
  for (int i = 0; i < 300 && !running; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto p = client_.Get(kube::resources::Pods(), "default", "p1");
    running = p.ok() && (*p)["status"]["phase"] == "Running";
  }
  bool leased = client_.Get(kube::resources::Leases(), "kube-node-lease", "n1").ok();
  kubelet_.Stop();
  EXPECT_TRUE(running);
  EXPECT_TRUE(leased);
}

}  // namespace
}  // namespace joinery::cloudprovider::simulated
