#include "joinery/controllers/provisioning/provisioner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <mutex>
#include <regex>

#include "joinery/api/json.h"
#include "joinery/common/log.h"
#include "joinery/controllers/testing_cloud_provider.h"

namespace joinery::controllers {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Json;
using ::testing::SizeIs;
using testing::TestWorld;
using testing::TrainiumNodeClass;
using testing::TrainiumNodePool;
using testing::VllmPod;

class ProvisionerTest : public ::testing::Test {
 protected:
  // Seeds the objects, starts the cluster view and waits until it has them.
  void Seed(std::vector<std::pair<const kube::Resource*, Json>> objects) {
    for (auto& [r, obj] : objects) {
      std::string ns = obj["metadata"].value("namespace", "");
      ASSERT_TRUE(w_.client.Add(*r, ns, obj).ok());
    }
    ASSERT_TRUE(w_.Start());
    ASSERT_TRUE(w_.CaughtUp());
  }
  void SeedTrainium(Json pool = TrainiumNodePool(), Json node_class = TrainiumNodeClass(),
                    Json pod = VllmPod()) {
    Seed({{&kube::resources::NodePools(), std::move(pool)},
          {&kube::resources::EC2NodeClasses(), std::move(node_class)},
          {&kube::resources::Pods(), std::move(pod)}});
  }

  std::vector<Json> NodeClaims() {
    auto list = w_.client.List(kube::resources::NodeClaims(), "");
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? (*list)["items"].get<std::vector<Json>>() : std::vector<Json>{};
  }

  std::vector<kube::RecordingEventSink::Event> EventsFor(std::string_view pod,
                                                         std::string_view reason) {
    std::vector<kube::RecordingEventSink::Event> out;
    for (auto& e : w_.events.EventsWithReason(reason)) {
      if (e.obj.name == pod) out.push_back(e);
    }
    return out;
  }

  TestWorld w_;
  Provisioner provisioner_{w_.cluster, w_.client, w_.cloud, w_.events, nullptr, {}};
};

TEST_F(ProvisionerTest, NotSyncedIsUnavailable) {
  auto r = provisioner_.Schedule();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(ProvisionerTest, CreatesOneNodeClaimForAPendingNeuronPod) {
  SeedTrainium();
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pending_pods, 1);
  ASSERT_THAT(r->created, SizeIs(1));
  const std::string name = r->created[0];
  EXPECT_TRUE(std::regex_match(name, std::regex("trainium-trn1-[bcdfghjklmnpqrstvwxz2456789]{5}")))
      << name;

  std::vector<Json> claims = NodeClaims();
  ASSERT_THAT(claims, SizeIs(1));
  const Json& nc = claims[0];
  EXPECT_EQ(nc["metadata"]["name"], name);
  EXPECT_EQ(nc["metadata"]["generateName"], "trainium-trn1-");

  // Owned by its NodePool.
  Json pool = w_.NodePool("trainium-trn1");
  const Json& owners = nc["metadata"]["ownerReferences"];
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners[0]["kind"], "NodePool");
  EXPECT_EQ(owners[0]["apiVersion"], "karpenter.sh/v1");
  EXPECT_EQ(owners[0]["name"], "trainium-trn1");
  EXPECT_EQ(owners[0]["uid"], pool["metadata"]["uid"]);

  // The pool's label and the template labels.
  const Json& labels = nc["metadata"]["labels"];
  EXPECT_EQ(labels["karpenter.sh/nodepool"], "trainium-trn1");
  EXPECT_EQ(labels["karpenter.k8s.aws/ec2nodeclass"], "trainium-trn1");
  EXPECT_EQ(labels["instanceType"], "trn1.2xlarge");
  EXPECT_EQ(labels["provisionerType"], "Karpenter");
  EXPECT_EQ(labels["neuron.amazonaws.com/neuron-device"], "true");
  EXPECT_EQ(labels["vpc.amazonaws.com/has-trunk-attached"], "true");

  // Requirements: the instance type the pool allows, the zones of the node class's subnets.
  bool found_type = false;
  for (const auto& req : nc["spec"]["requirements"]) {
    if (req["key"] == "node.kubernetes.io/instance-type") {
      found_type = true;
      EXPECT_EQ(req["operator"], "In");
      EXPECT_EQ(req["values"], Json({"trn1.2xlarge"}));
    }
    if (req["key"] == "topology.kubernetes.io/zone") {
      for (const auto& z : req["values"]) EXPECT_THAT(z.get<std::string>(), HasSubstr("us-east-1"));
      EXPECT_THAT(req["values"].get<std::vector<std::string>>(),
                  ::testing::Not(Contains("us-east-1c")));  // no subnet there
    }
  }
  EXPECT_TRUE(found_type) << nc["spec"]["requirements"].dump();

  // The pod's requests (plus its pod slot).
  const Json& requests = nc["spec"]["resources"]["requests"];
  EXPECT_EQ(requests["aws.amazon.com/neuron"], "1");
  EXPECT_EQ(requests["cpu"], "4");
  EXPECT_EQ(requests["memory"], "24Gi");

  // The taint and node class of the template.
  EXPECT_EQ(nc["spec"]["taints"][0]["key"], "aws.amazon.com/neuron");
  EXPECT_EQ(nc["spec"]["nodeClassRef"]["name"], "trainium-trn1");

  // The NodePool hash.
  auto typed_pool = api::NodePoolFromJson(pool);
  ASSERT_TRUE(typed_pool.ok()) << typed_pool.status();
  EXPECT_EQ(nc["metadata"]["annotations"]["karpenter.sh/nodepool-hash"], NodePoolHash(*typed_pool));
  EXPECT_EQ(nc["metadata"]["annotations"]["karpenter.sh/nodepool-hash-version"], "v3");

  // The pod is told where it goes.
  auto nominated = EventsFor("mistral-0", "Nominated");
  ASSERT_THAT(nominated, SizeIs(1));
  EXPECT_EQ(nominated[0].type, kube::EventType::kNormal);
  EXPECT_EQ(nominated[0].message, "Pod should schedule on: nodeclaim/" + name);
  EXPECT_EQ(nominated[0].obj.kind, "Pod");
  EXPECT_EQ(nominated[0].obj.ns, "vllm");
  EXPECT_THAT(w_.events.EventsWithReason("FailedScheduling"), IsEmpty());
}

TEST_F(ProvisionerTest, SecondPassWithTheNodeClaimInFlightCreatesNone) {
  SeedTrainium();
  auto first = provisioner_.Schedule();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_THAT(first->created, SizeIs(1));
  // No waiting for the watch: the provisioner records what it created in the cluster view itself.
  auto second = provisioner_.Schedule();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->pending_pods, 1);
  EXPECT_THAT(second->created, IsEmpty());
  EXPECT_THAT(NodeClaims(), SizeIs(1));
  // The pod is nominated to the in-flight NodeClaim again.
  auto nominated = EventsFor("mistral-0", "Nominated");
  ASSERT_THAT(nominated, SizeIs(2));
  EXPECT_EQ(nominated[1].message, "Pod should schedule on: nodeclaim/" + first->created[0]);

  // Also once the watch has delivered it.
  ASSERT_TRUE(w_.CaughtUp());
  auto third = provisioner_.Schedule();
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_THAT(third->created, IsEmpty());
  EXPECT_THAT(NodeClaims(), SizeIs(1));
  // The provider returned one list throughout: the solver's view of it was built once.
  EXPECT_EQ(provisioner_.catalog_preparations(), 1);
}

TEST_F(ProvisionerTest, PodsOfADeletingNodeGetCapacityAheadOfTheirEviction) {
  // A node being deleted (no NodeClaim manages it) still runs the vLLM pod: no pod is pending, but
  // the pod will need a home, so a NodeClaim is planned for it now, as Karpenter does.
  Json node = testing::RegisteringNode("old-node", "aws:///us-east-1a/i-0ld");
  node["metadata"]["deletionTimestamp"] = "2026-12-01T00:00:00Z";
  node["metadata"]["finalizers"] = {"karpenter.sh/termination"};
  Json pod = VllmPod();
  pod["spec"]["nodeName"] = "old-node";
  pod["status"] = {{"phase", "Running"}};
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()},
        {&kube::resources::Nodes(), node},
        {&kube::resources::Pods(), pod}});
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pending_pods, 0);
  ASSERT_THAT(r->created, SizeIs(1));
  auto nominated = EventsFor("mistral-0", "Nominated");
  ASSERT_THAT(nominated, SizeIs(1));
  EXPECT_EQ(nominated[0].message, "Pod should schedule on: nodeclaim/" + r->created[0]);
}

TEST_F(ProvisionerTest, NothingToDoWithoutPendingPodsOrDeletingNodes) {
  Json pod = testing::RunningPod("web", "node-1");
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()},
        {&kube::resources::Nodes(), testing::RegisteringNode("node-1", "aws:///us-east-1a/i-1")},
        {&kube::resources::Pods(), pod}});
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pending_pods, 0);
  EXPECT_THAT(r->created, IsEmpty());
  EXPECT_THAT(r->plan.node_claims, IsEmpty());
}

TEST_F(ProvisionerTest, ANewInstanceTypeListIsPreparedAgainAndUsed) {
  // First the provider's list has trn1.2xlarge on-demand out of capacity everywhere: the pool
  // (trn1.2xlarge on-demand only) cannot launch anything.
  auto exhausted = std::make_shared<cloudprovider::InstanceTypes>(*testing::Catalog());
  for (auto& it : *exhausted) {
    if (it.name != "trn1.2xlarge") continue;
    for (auto& o : it.offerings) {
      if (o.capacity_type == "on-demand") o.available = false;
    }
  }
  w_.cloud.SetInstanceTypes(exhausted);
  SeedTrainium();
  auto first = provisioner_.Schedule();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->created, IsEmpty());
  EXPECT_THAT(first->plan.unschedulable, SizeIs(1));
  EXPECT_EQ(provisioner_.catalog_preparations(), 1);

  // Capacity is back: the provider hands out a new list, which the next pass prepares and uses.
  w_.cloud.SetInstanceTypes(nullptr);
  auto second = provisioner_.Schedule();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(provisioner_.catalog_preparations(), 2);
  EXPECT_THAT(second->created, SizeIs(1));
  ASSERT_TRUE(provisioner_.Schedule().ok());
  EXPECT_EQ(provisioner_.catalog_preparations(), 2);
}

TEST_F(ProvisionerTest, TwoPodsNeedingTwoDevicesGetTwoNodeClaims) {
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()},
        {&kube::resources::Pods(), VllmPod("mistral-0")},
        {&kube::resources::Pods(), VllmPod("mistral-1")}});
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->created, SizeIs(2));  // trn1.2xlarge has one Neuron device
  EXPECT_THAT(NodeClaims(), SizeIs(2));
}

TEST_F(ProvisionerTest, PodExceedingTheNodePoolLimitsGetsFailedScheduling) {
  Json pool = TrainiumNodePool();
  pool["spec"]["limits"]["cpu"] = "4";  // trn1.2xlarge has 8 vCPUs
  SeedTrainium(pool);
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->created, IsEmpty());
  EXPECT_THAT(NodeClaims(), IsEmpty());
  auto failed = EventsFor("mistral-0", "FailedScheduling");
  ASSERT_THAT(failed, SizeIs(1));
  EXPECT_EQ(failed[0].type, kube::EventType::kWarning);
  EXPECT_THAT(failed[0].message, HasSubstr("Failed to schedule pod"));
  EXPECT_THAT(failed[0].message,
              HasSubstr("all available instance types exceed limits for nodepool: "
                        "\"trainium-trn1\""));
  EXPECT_THAT(w_.events.EventsWithReason("Nominated"), IsEmpty());
}

TEST_F(ProvisionerTest, NeuronLimitCapsTheNodeClaimsOfAPass) {
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()},
        {&kube::resources::Pods(), VllmPod("mistral-0")},
        {&kube::resources::Pods(), VllmPod("mistral-1")},
        {&kube::resources::Pods(), VllmPod("mistral-2")}});
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->created, SizeIs(2));  // limits: aws.amazon.com/neuron: 2
  ASSERT_THAT(r->plan.unschedulable, SizeIs(1));
  EXPECT_THAT(r->plan.unschedulable[0].reason, HasSubstr("trainium-trn1"));
  EXPECT_THAT(w_.events.EventsWithReason("FailedScheduling"), SizeIs(1));
}

TEST_F(ProvisionerTest, PodsNotMarkedUnschedulableAreIgnored) {
  Json pod = VllmPod();
  pod["status"].erase("conditions");  // kube-scheduler has not looked at it yet
  Json bound = VllmPod("bound");
  bound["spec"]["nodeName"] = "some-node";
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()},
        {&kube::resources::Pods(), pod},
        {&kube::resources::Pods(), bound}});
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pending_pods, 0);
  EXPECT_THAT(r->created, IsEmpty());
  EXPECT_THAT(NodeClaims(), IsEmpty());
  EXPECT_THAT(w_.events.Events(), IsEmpty());
}

TEST_F(ProvisionerTest, NodePoolWhoseNodeClassIsNotReadyIsNotUsed) {
  SeedTrainium(TrainiumNodePool(), TrainiumNodeClass(/*ready=*/false));
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pending_pods, 1);
  EXPECT_THAT(r->created, IsEmpty());
  EXPECT_THAT(NodeClaims(), IsEmpty());
  EXPECT_THAT(EventsFor("mistral-0", "FailedScheduling"), SizeIs(1));

  std::vector<std::string> why;
  EXPECT_THAT(UsableNodePools(w_.cluster, &why), IsEmpty());
  ASSERT_THAT(why, SizeIs(1));
  EXPECT_THAT(why[0], HasSubstr("node class trainium-trn1 is not ready"));
}

TEST_F(ProvisionerTest, NodePoolWhoseNodeClassIsMissingIsNotUsed) {
  Seed(
      {{&kube::resources::NodePools(), TrainiumNodePool()}, {&kube::resources::Pods(), VllmPod()}});
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->created, IsEmpty());
  std::vector<std::string> why;
  EXPECT_THAT(UsableNodePools(w_.cluster, &why), IsEmpty());
  ASSERT_THAT(why, SizeIs(1));
  EXPECT_THAT(why[0], HasSubstr("not found"));
}

TEST_F(ProvisionerTest, UsableNodePoolsAreLimitedToTheNodeClassZones) {
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()}});
  auto pools = UsableNodePools(w_.cluster);
  ASSERT_THAT(pools, SizeIs(1));
  const auto& reqs = pools[0].template_.spec.requirements;
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().key, "topology.kubernetes.io/zone");
  EXPECT_EQ(reqs.back().values, (std::vector<std::string>{"us-east-1a", "us-east-1b"}));
}

TEST_F(ProvisionerTest, InvalidNodePoolIsNotUsed) {
  Json pool = TrainiumNodePool();
  pool["spec"]["template"]["spec"]["requirements"].push_back(
      {{"key", "kubernetes.io/arch"}, {"operator", "In"}, {"values", Json::array()}});
  SeedTrainium(pool);
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->created, IsEmpty());
  EXPECT_THAT(EventsFor("mistral-0", "FailedScheduling"), SizeIs(1));
}

TEST_F(ProvisionerTest, PodAskingForAnUnknownResourceGetsFailedScheduling) {
  Json pod = VllmPod();
  pod["spec"]["containers"][0]["resources"]["requests"]["example.com/widget"] = "1";
  pod["spec"]["containers"][0]["resources"]["limits"]["example.com/widget"] = "1";
  SeedTrainium(TrainiumNodePool(), TrainiumNodeClass(), pod);
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->created, IsEmpty());
  EXPECT_THAT(NodeClaims(), IsEmpty());
  auto failed = EventsFor("mistral-0", "FailedScheduling");
  ASSERT_THAT(failed, SizeIs(1));
  EXPECT_EQ(failed[0].type, kube::EventType::kWarning);
  EXPECT_THAT(failed[0].message, HasSubstr("Failed to schedule pod"));
}

TEST_F(ProvisionerTest, NodeClaimCreateFailureGetsFailedScheduling) {
  SeedTrainium();
  w_.client.InjectError("create", "nodeclaims", kube::FakeClient::Unavailable("etcd is down"));
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->created, IsEmpty());
  auto failed = EventsFor("mistral-0", "FailedScheduling");
  ASSERT_THAT(failed, SizeIs(1));
  EXPECT_THAT(failed[0].message, HasSubstr("etcd is down"));
  EXPECT_THAT(w_.events.EventsWithReason("Nominated"), IsEmpty());
  // The next pass retries.
  auto again = provisioner_.Schedule();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(again->created, SizeIs(1));
}

TEST_F(ProvisionerTest, NodePoolWhoseInstanceTypesFailToLoadIsSkipped) {
  SeedTrainium();
  w_.cloud.FailGetInstanceTypes(absl::UnavailableError("describe instance types: throttled"));
  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->created, IsEmpty());
  EXPECT_THAT(EventsFor("mistral-0", "FailedScheduling"), SizeIs(1));
}

TEST_F(ProvisionerTest, TriggerRunsABatchedPass) {
  SeedTrainium();
  Provisioner batched(w_.cluster, w_.client, w_.cloud, w_.events, nullptr,
                      {.batch_idle = absl::Milliseconds(10),
                       .batch_max = absl::Milliseconds(100),
                       .requeue = absl::Seconds(60)});
  batched.Start();
  batched.Trigger();
  EXPECT_TRUE(testing::Eventually([&] { return NodeClaims().size() == 1; }));
  batched.Stop();
}

TEST_F(ProvisionerTest, APodRetriggeringDoesNotHoldTheBatchOpen) {
  SeedTrainium();
  // A batch closes after 200 ms without a new trigger, or 30 s after it opened.
  Provisioner batched(w_.cluster, w_.client, w_.cloud, w_.events, nullptr,
                      {.batch_idle = absl::Milliseconds(200),
                       .batch_max = absl::Seconds(30),
                       .requeue = absl::Seconds(60)});
  batched.Start();
  // The same pending pod keeps changing (kube-scheduler retrying it) every 20 ms: only its first
  // trigger counts, so the pass runs after the idle time, not after the 30 s maximum.
  bool planned = false;
  for (int i = 0; i < 500 && !planned; ++i) {  // at most 10 s
    batched.Trigger("vllm/mistral-0");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    planned = !NodeClaims().empty();
  }
  batched.Stop();
  EXPECT_TRUE(planned);
}

// Captures the log lines written while it lives (as parsed JSON objects).
class LogCapture {
 public:
  LogCapture() {
    log::SetSink([this](std::string_view line) {
      std::lock_guard lock(mu_);
      lines_.push_back(Json::parse(line));
    });
  }
  ~LogCapture() { log::SetSink(nullptr); }
  // The lines with this message.
  std::vector<Json> With(std::string_view message) const {
    std::lock_guard lock(mu_);
    std::vector<Json> out;
    for (const auto& l : lines_) {
      if (l.value("message", "") == message) out.push_back(l);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Json> lines_;
};

TEST_F(ProvisionerTest, PodWhoseRequestsOverflowTheQuantityRangeGetsAnEventAndOneLogLine) {
  LogCapture logs;
  Json huge_cpu = VllmPod("huge-cpu");
  huge_cpu["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "99999999999999999999999";
  Json huge_memory = VllmPod("huge-memory");
  huge_memory["spec"]["containers"][0]["resources"]["limits"]["memory"] = "100Ei";
  huge_memory["spec"]["containers"][0]["resources"]["requests"]["memory"] = "100Ei";
  // Not marked Unschedulable by kube-scheduler: not the provisioner's to report.
  Json unseen = huge_cpu;
  unseen["metadata"]["name"] = "unseen";
  unseen["status"].erase("conditions");
  Seed({{&kube::resources::NodePools(), TrainiumNodePool()},
        {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()},
        {&kube::resources::Pods(), VllmPod("mistral-0")},
        {&kube::resources::Pods(), huge_cpu},
        {&kube::resources::Pods(), huge_memory},
        {&kube::resources::Pods(), unseen}});
  ASSERT_FALSE(w_.cluster.Pod("vllm/huge-cpu")->typed) << "the fixture must not decode";

  auto r = provisioner_.Schedule();
  ASSERT_TRUE(r.ok()) << r.status();
  // The pod that decodes is provisioned for as usual.
  EXPECT_EQ(r->pending_pods, 1);
  EXPECT_THAT(r->created, SizeIs(1));
  EXPECT_THAT(EventsFor("mistral-0", "Nominated"), SizeIs(1));

  auto cpu = EventsFor("huge-cpu", "FailedScheduling");
  ASSERT_THAT(cpu, SizeIs(1));
  EXPECT_EQ(cpu[0].type, kube::EventType::kWarning);
  EXPECT_EQ(cpu[0].obj.kind, "Pod");
  EXPECT_EQ(cpu[0].obj.ns, "vllm");
  EXPECT_FALSE(cpu[0].obj.uid.empty());
  EXPECT_EQ(cpu[0].message,
            "Failed to schedule pod, ignoring pod, Pod/vllm/huge-cpu: "
            "spec.containers[0].resources.requests[cpu]: quantity \"99999999999999999999999\": "
            "is too large");
  auto memory = EventsFor("huge-memory", "FailedScheduling");
  ASSERT_THAT(memory, SizeIs(1));
  EXPECT_EQ(memory[0].message,
            "Failed to schedule pod, ignoring pod, Pod/vllm/huge-memory: "
            "spec.containers[0].resources.requests[memory]: quantity \"100Ei\": is too large");
  EXPECT_THAT(w_.events.EventsWithReason("Nominated"), SizeIs(1));
  EXPECT_THAT(EventsFor("unseen", "FailedScheduling"), IsEmpty());

  std::vector<Json> lines = logs.With("ignoring pod");
  ASSERT_THAT(lines, SizeIs(2));
  std::map<std::string, Json> by_pod;
  for (const auto& l : lines) by_pod[l["Pod"]["name"].get<std::string>()] = l;
  ASSERT_TRUE(by_pod.contains("huge-cpu"));
  const Json& line = by_pod["huge-cpu"];
  EXPECT_EQ(line["level"], "WARN");
  EXPECT_EQ(line["logger"], "controller");
  EXPECT_EQ(line["controller"], "provisioner");
  EXPECT_EQ(line["Pod"]["namespace"], "vllm");
  EXPECT_THAT(line["error"].get<std::string>(), HasSubstr("99999999999999999999999"));
  EXPECT_EQ("Failed to schedule pod, " + line["error"].get<std::string>(), cpu[0].message);
  EXPECT_TRUE(by_pod.contains("huge-memory"));

  // The next passes publish the event again (the recorder suppresses repeats) but log nothing new.
  ASSERT_TRUE(provisioner_.Schedule().ok());
  ASSERT_TRUE(provisioner_.Schedule().ok());
  EXPECT_THAT(EventsFor("huge-cpu", "FailedScheduling"), SizeIs(3));
  EXPECT_THAT(logs.With("ignoring pod"), SizeIs(2));

  // A pass without the pod forgets it (the memory is pruned of pods that are gone), so the same
  // pod coming back is logged again.
  ASSERT_TRUE(w_.client.Delete(kube::resources::Pods(), "vllm", "huge-cpu").ok());
  ASSERT_TRUE(w_.CaughtUp());
  ASSERT_TRUE(provisioner_.Schedule().ok());
  EXPECT_THAT(logs.With("ignoring pod"), SizeIs(2));
  huge_cpu["metadata"]["uid"] = cpu[0].obj.uid;
  ASSERT_TRUE(w_.client.Add(kube::resources::Pods(), "vllm", huge_cpu).ok());
  ASSERT_TRUE(w_.CaughtUp());
  ASSERT_TRUE(provisioner_.Schedule().ok());
  lines = logs.With("ignoring pod");
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_EQ(lines[2]["Pod"]["name"], "huge-cpu");
}

TEST_F(ProvisionerTest, UnschedulablePodIsLoggedOncePerReason) {
  LogCapture logs;
  Json pool = TrainiumNodePool();
  pool["spec"]["limits"]["cpu"] = "4";  // trn1.2xlarge has 8 vCPUs
  SeedTrainium(pool);
  ASSERT_TRUE(provisioner_.Schedule().ok());
  ASSERT_TRUE(provisioner_.Schedule().ok());
  auto failed = EventsFor("mistral-0", "FailedScheduling");
  ASSERT_THAT(failed, SizeIs(2));
  std::vector<Json> lines = logs.With("could not schedule pod");
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_EQ(lines[0]["level"], "WARN");
  EXPECT_EQ(lines[0]["controller"], "provisioner");
  EXPECT_EQ(lines[0]["Pod"], Json({{"name", "mistral-0"}, {"namespace", "vllm"}}));
  EXPECT_EQ("Failed to schedule pod, " + lines[0]["error"].get<std::string>(), failed[0].message);

  // A different reason is logged again.
  Json node_class = TrainiumNodeClass(/*ready=*/false);
  ASSERT_TRUE(w_.client.Add(kube::resources::EC2NodeClasses(), "", node_class).ok());
  ASSERT_TRUE(w_.CaughtUp());
  ASSERT_TRUE(provisioner_.Schedule().ok());
  lines = logs.With("could not schedule pod");
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_NE(lines[1]["error"], lines[0]["error"]);
}

// The in-flight NodeClaim of a first pass, with its Launched condition set to `status`/`reason`
// as the lifecycle controller would.
void SetLaunched(testing::TestWorld& w, const std::string& name, std::string_view status,
                 std::string_view reason) {
  Json nc = w.NodeClaim(name);
  ASSERT_FALSE(nc.is_null()) << name;
  nc["status"]["conditions"] = Json::array(
      {{{"type", "Launched"}, {"status", status}, {"reason", reason}, {"message", "it failed"},
        {"lastTransitionTime", "2026-12-01T00:00:00Z"}}});
  ASSERT_TRUE(w.client.Add(kube::resources::NodeClaims(), "", nc).ok());
  ASSERT_TRUE(w.CaughtUp());
}

TEST_F(ProvisionerTest, NoNominationOntoANodeClaimThatCannotLaunch) {
  struct Case {
    std::string_view status, reason;
  };
  for (Case c : {Case{"False", "LaunchFailed"}, Case{"False", "NodePoolNotFound"}}) {
    SCOPED_TRACE(::testing::Message() << c.status << "/" << c.reason);
    testing::TestWorld w;
    Provisioner provisioner{w.cluster, w.client, w.cloud, w.events, nullptr, {}};
    for (const auto& [r, obj] : std::vector<std::pair<const kube::Resource*, Json>>{
             {&kube::resources::NodePools(), TrainiumNodePool()},
             {&kube::resources::EC2NodeClasses(), TrainiumNodeClass()},
             {&kube::resources::Pods(), VllmPod()}}) {
      ASSERT_TRUE(w.client.Add(*r, obj["metadata"].value("namespace", ""), obj).ok());
    }
    ASSERT_TRUE(w.Start());
    ASSERT_TRUE(w.CaughtUp());
    auto first = provisioner.Schedule();
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_THAT(first->created, SizeIs(1));
    const std::string failing = first->created[0];
    SetLaunched(w, failing, c.status, c.reason);
    w.events.Clear();

    // The failing NodeClaim is no capacity: the pod is planned onto a new one and nominated there.
    auto second = provisioner.Schedule();
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_THAT(second->plan.existing_nodes, IsEmpty());
    ASSERT_THAT(second->created, SizeIs(1));
    EXPECT_NE(second->created[0], failing);
    auto nominated = w.events.EventsWithReason("Nominated");
    ASSERT_THAT(nominated, SizeIs(1));
    EXPECT_EQ(nominated[0].message, "Pod should schedule on: nodeclaim/" + second->created[0]);

    // While that one is merely launching, or its launch failed for a transient reason
    // (Launched=Unknown, LaunchFailed: throttled), it is capacity.
    SetLaunched(w, second->created[0], "Unknown", "LaunchFailed");
    auto third = provisioner.Schedule();
    ASSERT_TRUE(third.ok()) << third.status();
    EXPECT_THAT(third->created, IsEmpty());
    ASSERT_THAT(third->plan.existing_nodes, SizeIs(1));
    EXPECT_EQ(third->plan.existing_nodes[0].name, second->created[0]);
  }
}

TEST(NodePoolHashTest, ChangesWithTheTemplateButNotTheRequirements) {
  auto pool = api::NodePoolFromJson(TrainiumNodePool());
  ASSERT_TRUE(pool.ok()) << pool.status();
  const std::string hash = NodePoolHash(*pool);
  EXPECT_EQ(NodePoolHash(*pool), hash);  // stable
  api::NodePool reqs = *pool;
  reqs.template_.spec.requirements.pop_back();
  EXPECT_EQ(NodePoolHash(reqs), hash);
  api::NodePool labels = *pool;
  labels.template_.labels["team"] = "ml";
  EXPECT_NE(NodePoolHash(labels), hash);
  api::NodePool taints = *pool;
  taints.template_.spec.taints.clear();
  EXPECT_NE(NodePoolHash(taints), hash);
}

}  // namespace
}  // namespace joinery::controllers
