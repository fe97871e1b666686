// One snapshot path: for every scenario with existing capacity (Nodes or NodeClaims), the plan
// `joinery simulate` computes from the manifests must equal the plan the controller computes from
// the same objects seen through its informer-fed cluster view (state::Cluster over a fake API
// server, state::BuildSnapshot), so that a preview cannot drift from what the controller does.
//
// The cluster side holds what an API server would: the scenario's Nodes, NodeClaims, Pods,
// DaemonSets, PodDisruptionBudgets and storage objects, as JSON. Unbound pods carry kube-scheduler's
// PodScheduled=False/Unschedulable verdict, and the controller picks its pending pods with its own
// rule (state::IsProvisionable). Pods of workloads (Deployments, ...) are handed to both sides as
// the workload controllers would create them (simulate::ExpandWorkloads), since no workload
// controller runs here; scenarios whose StatefulSets create claims are left out for the same
// reason (none has existing capacity today; the test says so if one does).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "joinery/common/strings.h"
#include "joinery/kube/fake_client.h"
#include "joinery/simulate/simulate.h"
#include "joinery/solver/solver.h"
#include "joinery/state/cluster.h"
#include "joinery/state/snapshot.h"
#include "scenario_files.h"

namespace joinery {
namespace {

using Json = nlohmann::json;
using namespace scenario_files;  // NOLINT

// A YAML node as the JSON an API server would hold: quoted scalars are strings; plain ones are
// numbers, booleans or null when they read as such (YAML 1.2 core schema).
Json ToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      Json o = Json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = ToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      Json a = Json::array();
      for (const auto& v : n) a.push_back(ToJson(v));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted
      if (s == "true" || s == "false") return s == "true";
      if (s == "null" || s == "~") return nullptr;
      char* end = nullptr;
      long long i = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && *end == '\0' && (s.size() == 1 || s[0] != '0')) return i;
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && *end == '\0' && s.find_first_of("0123456789") != std::string::npos) return d;
      return s;
    }
    default:
      return nullptr;
  }
}

const kube::Resource* ResourceFor(const std::string& kind) {
  static const std::map<std::string, const kube::Resource*> kResources = {
      {"Node", &kube::resources::Nodes()},
      {"NodeClaim", &kube::resources::NodeClaims()},
      {"Pod", &kube::resources::Pods()},
      {"DaemonSet", &kube::resources::DaemonSets()},
      {"PodDisruptionBudget", &kube::resources::PodDisruptionBudgetsV1()},
      {"PersistentVolumeClaim", &kube::resources::PersistentVolumeClaims()},
      {"PersistentVolume", &kube::resources::PersistentVolumes()},
      {"StorageClass", &kube::resources::StorageClasses()},
      {"CSINode", &kube::resources::CSINodes()},
  };
  auto it = kResources.find(kind);
  return it == kResources.end() ? nullptr : it->second;
}

bool HasExistingCapacity(const api::Manifests& m) {
  return !m.nodes.empty() || !m.node_claims.empty();
}

// The parts of a plan a user acts on, as simulate prints them.
Json PlanJson(const simulate::Simulation& base, const solver::Snapshot& snap, const solver::Plan& plan) {
  simulate::Simulation sim;
  sim.snapshot = snap;
  sim.plan = plan;
  sim.spot_discount = base.spot_discount;
  for (const auto& nc : plan.node_claims) sim.any_spot |= nc.launch.price_simulated;
  Json j = Json::parse(simulate::RenderJson(sim));
  j.erase("warnings");  // simulate's input warnings are not part of the plan
  return j;
}

template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

class SnapshotPathsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SnapshotPathsTest, ControllerPlansWhatSimulatePreviews) {
  const std::string& file = GetParam();
  const std::string text = ReadFile(file);
  YAML::Node exp = FindExpectation(text);
  ASSERT_TRUE(exp.IsDefined());
  const YAML::Node spec = exp["spec"] ? exp["spec"] : YAML::Node(YAML::NodeType::Map);
  if (spec["expectError"]) GTEST_SKIP() << "rejected input";
  auto sim = simulate::Run(Options(file, spec));
  ASSERT_TRUE(sim.ok()) << sim.status();
  if (!HasExistingCapacity(sim->manifests)) GTEST_SKIP() << "no existing capacity";
  ASSERT_TRUE(simulate::StatefulSetClaims(sim->manifests).empty())
      << "StatefulSet claims are not mirrored into the fake API server; extend this test";

  // The API server's objects.
  kube::FakeClient client;
  size_t objects = 0;
  for (const YAML::Node& doc : YAML::LoadAll(text)) {
    if (!doc.IsMap() || !doc["kind"]) continue;
    const kube::Resource* r = ResourceFor(doc["kind"].as<std::string>());
    if (r == nullptr) continue;
    Json obj = ToJson(doc);
    std::string ns;
    if (r->namespaced) {
      ns = obj["metadata"].value("namespace", "default");
      obj["metadata"]["namespace"] = ns;
    }
    if (doc["kind"].as<std::string>() == "Pod" && obj.value("spec", Json::object()).value("nodeName", "").empty()) {
      obj["status"]["conditions"] = Json::array(
          {{{"type", "PodScheduled"}, {"status", "False"}, {"reason", "Unschedulable"}}});
    }
    auto added = client.Add(*r, ns, std::move(obj));
    ASSERT_TRUE(added.ok()) << added.status();
    ++objects;
  }
  state::Cluster cluster(client);
  cluster.Start();
  ASSERT_TRUE(cluster.WaitForSync(absl::Seconds(20)));
  const auto& m = sim->manifests;
  ASSERT_TRUE(Eventually([&] {
    return cluster.Nodes().size() == m.nodes.size() &&
           cluster.NodeClaims().size() == m.node_claims.size() &&
           cluster.Pods().size() == m.pods.size() && cluster.DaemonSets().size() == m.daemon_sets.size() &&
           cluster.PodDisruptionBudgets().size() == m.pod_disruption_budgets.size() &&
           cluster.PersistentVolumeClaims().size() == m.persistent_volume_claims.size() &&
           cluster.CSINodes().size() == m.csi_nodes.size();
  })) << "the informers did not deliver the " << objects << " objects";

  // What the provisioner hands the builder: its pending pods, in the input's order, then the pods
  // the workload controllers would create.
  state::SnapshotInputs in;
  for (const auto& p : m.pods) {
    auto e = cluster.Pod(StrCat(p.metadata.namespace_.empty() ? "default" : p.metadata.namespace_,
                                "/", p.metadata.name));
    ASSERT_TRUE(e.has_value() && e->typed) << p.metadata.name << ": " << (e ? e->error : "missing");
    if (state::IsProvisionable(*e->typed)) in.pending.push_back(*e->typed);
  }
  for (auto& p : simulate::ExpandWorkloads(m)) {
    if (!p.spec.node_name.empty() || state::IsTerminal(p) || state::IsOwnedByDaemonSet(p)) continue;
    in.pending.push_back(std::move(p));
  }
  in.node_pools = sim->snapshot.node_pools;
  in.instance_types = sim->snapshot.instance_types;
  in.options = sim->snapshot.options;
  solver::Snapshot snap = state::BuildSnapshot(cluster, std::move(in));
  cluster.Stop();
  // The API server stamped uid and creationTimestamp on every pod; the preview has the manifest's
  // (usually none). The solver orders equal pods by them, so the controller's copies get the
  // manifest's back: the only difference between the two inputs that is not the builder's.
  std::map<std::string, const api::Pod*> manifest_pods;
  for (const auto& p : m.pods) {
    manifest_pods[StrCat(p.metadata.namespace_.empty() ? "default" : p.metadata.namespace_, "/",
                         p.metadata.name)] = &p;
  }
  auto restore = [&](api::Pod& p) {
    auto it = manifest_pods.find(StrCat(p.metadata.namespace_, "/", p.metadata.name));
    if (it == manifest_pods.end()) return;
    p.metadata.uid = it->second->metadata.uid;
    p.metadata.creation_timestamp = it->second->metadata.creation_timestamp;
  };
  for (auto& p : snap.pods) restore(p);
  for (auto& n : snap.nodes) {
    for (auto& p : n.pods) restore(p);
  }
  auto plan = solver::Solve(snap);
  ASSERT_TRUE(plan.ok()) << plan.status();

  EXPECT_EQ(PlanJson(*sim, snap, *plan).dump(2), PlanJson(*sim, sim->snapshot, sim->plan).dump(2))
      << "the controller's plan (left) differs from simulate's (right)";
}

std::vector<std::string> ScenariosWithExistingCapacity() {
  std::vector<std::string> out;
  for (const auto& f : ScenarioFiles()) {
    const std::string text = ReadFile(f);
    if (text.find("\nkind: Node\n") != std::string::npos ||
        text.find("\nkind: NodeClaim\n") != std::string::npos) {
      out.push_back(f);
    }
  }
  return out;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = RelativeName(info.param);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, SnapshotPathsTest,
                         ::testing::ValuesIn(ScenariosWithExistingCapacity()), TestName);

TEST(SnapshotPathsCoverage, ManyScenariosHaveExistingCapacity) {
  EXPECT_GE(ScenariosWithExistingCapacity().size(), 50u);
}

}  // namespace
}  // namespace joinery
