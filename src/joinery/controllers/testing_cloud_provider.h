// Test support for the controllers' unit tests (header-only, not linked into production code):
//  - TestingCloudProvider: a hand-written CloudProvider fake that records every call, keeps its
//    "instances" in memory and can be told to fail;
//  - Eventually(): polls a condition until it holds or a deadline passes (the cluster view is fed
//    by informers, which deliver the FakeClient's writes asynchronously);
//  - JSON fixtures shaped like examples/trainium (the NodePool, a Ready EC2NodeClass, the vLLM
//  pod),
//    as the API server would store them.
// Thread-safety: TestingCloudProvider may be called from any thread; the rest are pure functions.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <utility>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "joinery/api/labels.h"
#include "joinery/cloudprovider/catalog.h"
#include "joinery/cloudprovider/cloud_provider.h"
#include "joinery/cloudprovider/embedded_data.h"
#include "joinery/common/clock.h"
#include "joinery/common/strings.h"
#include "joinery/kube/events.h"
#include "joinery/kube/fake_client.h"
#include "joinery/state/cluster.h"
#include "nlohmann/json.hpp"

namespace joinery::controllers::testing {

using Json = nlohmann::json;

// Polls `pred` every 2 ms until it returns true (true) or `timeout` passes (false).
inline bool Eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// A slice of the embedded instance catalog (the one `simulate` uses), built once: the Trainium
// types and a few general-purpose ones. Small, because building and scheduling over the whole
// catalog costs over a second per test process in the sanitizer build.
inline std::shared_ptr<const cloudprovider::InstanceTypes> Catalog() {
  static const auto* catalog = [] {
    // Keeps the header line and the rows (first column: the type name) of the chosen families.
    auto slice = [](std::string_view csv) {
      std::string out;
      bool header = true;
      while (!csv.empty()) {
        size_t end = csv.find('\n');
        std::string_view line = csv.substr(0, end == std::string_view::npos ? csv.size() : end + 1);
        csv.remove_prefix(line.size());
        if (header || line.starts_with("trn1.") || line.starts_with("m5.") ||
            line.starts_with("c5.")) {
          out.append(line);
        }
        header = false;
      }
      return out;
    };
    auto c = cloudprovider::BuildCatalog(slice(cloudprovider::embedded::InstanceTypesCsv()),
                                         slice(cloudprovider::embedded::InstanceTypesExtraCsv()),
                                         slice(cloudprovider::embedded::PricesUsEast1Csv()),
                                         cloudprovider::CatalogOptions{});
    // The data is compiled in; failing to read it is a build problem, not a test failure.
    if (!c.ok() || c->empty()) std::abort();
    return new std::shared_ptr<const cloudprovider::InstanceTypes>(
        std::make_shared<const cloudprovider::InstanceTypes>(std::move(*c)));
  }();
  return *catalog;
}

class TestingCloudProvider final : public cloudprovider::CloudProvider {
 public:
  explicit TestingCloudProvider(Clock& clock) : clock_(clock) {}

  std::string_view Name() const override { return "testing"; }

  // Launches an "instance": the first instance type the requirements name (trn1.2xlarge when they
  // name none) in us-east-1a, on-demand, with the catalog's capacity and allocatable.
  absl::StatusOr<api::NodeClaim> Create(const api::NodeClaim& nc) override {
    std::function<void()> hook;
    {
      std::lock_guard lock(mu_);
      hook = std::exchange(on_create_, nullptr);
    }
    if (hook) hook();  // e.g. another writer acting while this launch is in flight
    std::lock_guard lock(mu_);
    creates_.push_back(nc);
    if (!create_errors_.empty()) {
      absl::Status st = create_errors_.front();
      create_errors_.pop_front();
      return st;
    }
    std::string type = "trn1.2xlarge";
    for (const auto& r : nc.spec.requirements) {
      if (r.key == api::kLabelInstanceType && r.operator_ == "In" && !r.values.empty()) {
        type = r.values.front();
      }
    }
    api::NodeClaim out = nc;
    out.metadata.creation_timestamp = FormatRfc3339(clock_.Now());
    auto set_label = [&](std::string_view k, std::string v) {
      out.metadata.labels.emplace(std::string(k), std::move(v));  // the NodeClaim's own win
    };
    set_label(api::kLabelInstanceType, type);
    set_label(api::kLabelZone, "us-east-1a");
    set_label(api::kLabelCapacityType, "on-demand");
    set_label(api::kLabelArch, "amd64");
    char id[32];
    std::snprintf(id, sizeof(id), "i-%017d", ++next_id_);
    out.status.provider_id = StrCat("aws:///us-east-1a/", id);
    out.status.image_id = "ami-0123456789abcdef0";
    for (const auto& it : *Catalog()) {
      if (it.name == type) {
        out.status.capacity = it.capacity;
        out.status.allocatable = it.Allocatable();
      }
    }
    instances_[out.status.provider_id] = out;
    return out;
  }

  // OK (and the instance is gone) when it exists; NotFound afterwards.
  absl::Status Delete(const api::NodeClaim& nc) override {
    std::lock_guard lock(mu_);
    deletes_.push_back(nc.status.provider_id);
    if (!delete_errors_.empty()) {
      absl::Status st = delete_errors_.front();
      delete_errors_.pop_front();
      return st;
    }
    if (instances_.erase(nc.status.provider_id) == 0) {
      return absl::NotFoundError(StrCat("instance ", nc.status.provider_id, " not found"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<api::NodeClaim> Get(std::string_view provider_id) override {
    std::lock_guard lock(mu_);
    auto it = instances_.find(std::string(provider_id));
    if (it == instances_.end()) return absl::NotFoundError("instance not found");
    return it->second;
  }

  absl::StatusOr<std::vector<api::NodeClaim>> List() override {
    std::lock_guard lock(mu_);
    ++list_calls_;
    if (!list_errors_.empty()) {
      absl::Status st = list_errors_.front();
      list_errors_.pop_front();
      return st;
    }
    std::vector<api::NodeClaim> out;
    for (const auto& [id, nc] : instances_) out.push_back(nc);
    return out;
  }

  absl::StatusOr<std::shared_ptr<const cloudprovider::InstanceTypes>> GetInstanceTypes(
      const api::NodePool&) override {
    std::lock_guard lock(mu_);
    if (!instance_types_error_.ok()) return instance_types_error_;
    return instance_types_ ? instance_types_ : Catalog();
  }

  // --- Test hooks ---

  // Runs once, inside the next Create, before the instance is made.
  void OnNextCreate(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    on_create_ = std::move(hook);
  }
  // The next Create calls fail with these statuses, in order.
  void FailNextCreate(absl::Status st) {
    std::lock_guard lock(mu_);
    create_errors_.push_back(std::move(st));
  }
  void FailNextDelete(absl::Status st) {
    std::lock_guard lock(mu_);
    delete_errors_.push_back(std::move(st));
  }
  void FailNextList(absl::Status st) {
    std::lock_guard lock(mu_);
    list_errors_.push_back(std::move(st));
  }
  // GetInstanceTypes returns this list from now on (nullptr: the shared Catalog() again).
  void SetInstanceTypes(std::shared_ptr<const cloudprovider::InstanceTypes> types) {
    std::lock_guard lock(mu_);
    instance_types_ = std::move(types);
  }
  void FailGetInstanceTypes(absl::Status st) {
    std::lock_guard lock(mu_);
    instance_types_error_ = std::move(st);
  }
  // Seeds an instance (status.providerID, metadata.name = the NodeClaim it was launched for,
  // metadata.creationTimestamp = its launch time).
  void AddInstance(api::NodeClaim instance) {
    std::lock_guard lock(mu_);
    instances_[instance.status.provider_id] = std::move(instance);
  }
  bool HasInstance(const std::string& provider_id) const {
    std::lock_guard lock(mu_);
    return instances_.count(provider_id) > 0;
  }
  std::vector<api::NodeClaim> Creates() const {
    std::lock_guard lock(mu_);
    return creates_;
  }
  // Provider IDs passed to Delete, in order.
  std::vector<std::string> Deletes() const {
    std::lock_guard lock(mu_);
    return deletes_;
  }
  int ListCalls() const {
    std::lock_guard lock(mu_);
    return list_calls_;
  }

 private:
  Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, api::NodeClaim> instances_;  // by provider ID; guarded by mu_
  std::vector<api::NodeClaim> creates_;              // guarded by mu_
  std::vector<std::string> deletes_;                 // guarded by mu_
  std::deque<absl::Status> create_errors_;           // guarded by mu_
  std::function<void()> on_create_;                  // guarded by mu_
  std::deque<absl::Status> delete_errors_;           // guarded by mu_
  std::deque<absl::Status> list_errors_;             // guarded by mu_
  absl::Status instance_types_error_;                // guarded by mu_
  std::shared_ptr<const cloudprovider::InstanceTypes> instance_types_;  // guarded by mu_
  int next_id_ = 0;                                  // guarded by mu_
  int list_calls_ = 0;                               // guarded by mu_
};

// The world a controller runs in: a fake clock, the in-memory API server, an event recorder, the
// fake cloud provider and the informer-fed cluster view over the API server. Members are destroyed
// in reverse order: the cluster view (its informers) before the API server.
struct TestWorld {
  FakeClock clock;
  kube::FakeClient client{clock};
  kube::RecordingEventSink events;
  TestingCloudProvider cloud{clock};
  state::Cluster cluster{client};

  // Starts the informers and waits for their first list.
  bool Start() {
    cluster.Start();
    return cluster.WaitForSync(absl::Seconds(10));
  }

  // True once the cluster view holds exactly what the API server holds (names and
  // resourceVersions) for every kind the controllers read; waits up to 10 s for the informers.
  bool CaughtUp() {
    return Eventually([&] {
      return Same(kube::resources::NodePools(), cluster.NodePools()) &&
             Same(kube::resources::EC2NodeClasses(), cluster.NodeClasses()) &&
             Same(kube::resources::NodeClaims(), cluster.NodeClaims()) &&
             Same(kube::resources::Nodes(), cluster.Nodes()) &&
             Same(kube::resources::Pods(), cluster.Pods()) &&
             Same(kube::resources::PersistentVolumeClaims(), cluster.PersistentVolumeClaims()) &&
             Same(kube::resources::PersistentVolumes(), cluster.PersistentVolumes()) &&
             Same(kube::resources::StorageClasses(), cluster.StorageClasses()) &&
             Same(kube::resources::CSINodes(), cluster.CSINodes());
    });
  }

  // The stored object (null when it does not exist).
  Json Get(const kube::Resource& r, std::string_view name, std::string_view ns = "") {
    auto got = client.Get(r, ns, name);
    return got.ok() ? *got : Json();
  }
  Json NodeClaim(std::string_view name) { return Get(kube::resources::NodeClaims(), name); }
  Json Node(std::string_view name) { return Get(kube::resources::Nodes(), name); }
  Json NodePool(std::string_view name) { return Get(kube::resources::NodePools(), name); }

 private:
  template <typename T>
  bool Same(const kube::Resource& r, const std::vector<state::Entry<T>>& cached) {
    auto list = client.List(r, "");
    if (!list.ok()) return false;
    std::map<std::string, std::string> want, have;
    for (const auto& item : (*list)["items"]) {
      want[state::ObjectKey(item)] = item["metadata"].value("resourceVersion", "");
    }
    for (const auto& e : cached) {
      have[state::ObjectKey(*e.raw)] = (*e.raw)["metadata"].value("resourceVersion", "");
    }
    return want == have;
  }
};

// The condition `type` of an object's status.conditions (null when absent).
inline Json Condition(const Json& obj, std::string_view type) {
  if (!obj.is_object()) return Json();
  for (const auto& c : obj.value("status", Json::object()).value("conditions", Json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return Json();
}

// ---- Fixtures (examples/trainium), as the API server stores them ----

// examples/trainium/nodepool.yaml.
inline Json TrainiumNodePool(std::string_view name = "trainium-trn1") {
  Json j = Json::parse(R"({
    "apiVersion": "karpenter.sh/v1",
    "kind": "NodePool",
    "metadata": {"name": "trainium-trn1"},
    "spec": {
      "template": {
        "metadata": {"labels": {
          "instanceType": "trn1.2xlarge",
          "provisionerType": "Karpenter",
          "neuron.amazonaws.com/neuron-device": "true",
          "vpc.amazonaws.com/has-trunk-attached": "true"}},
        "spec": {
          "taints": [{"key": "aws.amazon.com/neuron", "value": "true", "effect": "NoSchedule"}],
          "requirements": [
            {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["trn1.2xlarge"]},
            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
            {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]}],
          "expireAfter": "720h",
          "terminationGracePeriod": "24h",
          "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                           "name": "trainium-trn1"}}},
      "limits": {"aws.amazon.com/neuron": "2", "cpu": "16", "memory": "64Gi"},
      "disruption": {"consolidateAfter": "300s",
                     "consolidationPolicy": "WhenEmptyOrUnderutilized"}
    }
  })");
  j["metadata"]["name"] = std::string(name);
  return j;
}

// examples/trainium/ec2nodeclass.yaml (trimmed), with a status: Ready=True (or `ready`), subnets in
// us-east-1a and us-east-1b.
inline Json TrainiumNodeClass(bool ready = true, std::string_view name = "trainium-trn1") {
  Json j = Json::parse(R"({
    "apiVersion": "karpenter.k8s.aws/v1",
    "kind": "EC2NodeClass",
    "metadata": {"name": "trainium-trn1"},
    "spec": {
      "amiSelectorTerms": [{"alias": "al2023@latest"}],
      "role": "KarpenterNodeRole-test-cluster",
      "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "test-cluster"}}],
      "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "test-cluster"}}]
    },
    "status": {
      "subnets": [{"id": "subnet-a", "zone": "us-east-1a", "zoneID": "use1-az1"},
                  {"id": "subnet-b", "zone": "us-east-1b", "zoneID": "use1-az2"}],
      "conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                      "lastTransitionTime": "2026-01-01T00:00:00Z"}]
    }
  })");
  j["metadata"]["name"] = std::string(name);
  if (!ready) {
    j["status"]["conditions"][0]["status"] = "False";
    j["status"]["conditions"][0]["reason"] = "SubnetsNotFound";
    j["status"]["conditions"][0]["message"] = "SubnetSelector did not match any Subnets";
  }
  return j;
}

// The vLLM pod of examples/trainium/vllm.yaml, unschedulable as kube-scheduler marks it.
inline Json VllmPod(std::string_view name = "mistral-0", std::string_view ns = "vllm") {
  Json j = Json::parse(R"({
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"labels": {"app": "mistral"}},
    "spec": {
      "nodeSelector": {"instanceType": "trn1.2xlarge",
                       "neuron.amazonaws.com/neuron-device": "true"},
      "tolerations": [{"key": "aws.amazon.com/neuron", "operator": "Exists"}],
      "containers": [{
        "name": "vllm",
        "image": "public.ecr.aws/neuron/pytorch-inference-vllm-neuronx:0.9.1",
        "resources": {
          "requests": {"cpu": "4", "memory": "24Gi", "aws.amazon.com/neuron": "1"},
          "limits": {"cpu": "4", "memory": "24Gi", "aws.amazon.com/neuron": "1"}}}]
    },
    "status": {
      "phase": "Pending",
      "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                      "message": "0/3 nodes are available: 3 Insufficient aws.amazon.com/neuron."}]
    }
  })");
  j["metadata"]["name"] = std::string(name);
  j["metadata"]["namespace"] = std::string(ns);
  return j;
}

// A Running pod bound to `node`.
inline Json RunningPod(std::string_view name, std::string_view node,
                       std::string_view ns = "default") {
  Json j = {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", std::string(name)}, {"namespace", std::string(ns)}}},
            {"spec",
             {{"nodeName", std::string(node)},
              {"containers",
               {{{"name", "app"},
                 {"image", "busybox"},
                 {"resources", {{"requests", {{"cpu", "100m"}}}}}}}}}},
            {"status", {{"phase", "Running"}}}};
  return j;
}

// A Node as the kubelet registers it for an instance: the unregistered taint, not Ready yet.
inline Json RegisteringNode(std::string_view name, std::string_view provider_id) {
  Json j = {
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata",
       {{"name", std::string(name)}, {"labels", {{"kubernetes.io/hostname", std::string(name)}}}}},
      {"spec",
       {{"providerID", std::string(provider_id)},
        {"taints", {{{"key", "karpenter.sh/unregistered"}, {"effect", "NoExecute"}}}}}},
      {"status",
       {{"capacity", {{"cpu", "8"}, {"memory", "32Gi"}, {"pods", "58"}}},
        {"allocatable", {{"cpu", "7910m"}, {"memory", "30Gi"}, {"pods", "58"}}},
        {"conditions",
         {{{"type", "Ready"}, {"status", "False"}, {"reason", "KubeletNotReady"}}}}}}};
  return j;
}

}  // namespace joinery::controllers::testing
