// Runs every scenario in test/scenarios/: each YAML file holds the input manifests plus one document
// of kind ScenarioExpectation (apiVersion joinery.dev/v1alpha1) saying what `joinery simulate` must
// plan for them. simulate ignores unknown kinds, so `joinery simulate test/scenarios/x.yaml` shows
// the same plan. Every successful plan is also verified by the independent plan checker.
//
// Expectation schema (every field optional; unknown fields are an error so typos do not pass):
//   spec:
//     description: free text
//     env: {NAME: value}                  # --env
//     options:
//       zones: [us-east-1a]               # --zones
//       spotDiscount: 0.6                 # --spot-discount
//       preferencePolicy: Respect|Ignore
//       minValuesPolicy: Strict|BestEffort
//       maxInstanceTypes: 600
//     expectError: substring              # simulate must fail with this in the message
//     nodeClaims: 2                       # number of new NodeClaims
//     costPerHour: 1.23                   # compared to 1e-6
//     claims:                             # the plan's NodeClaims, in order (all of them)
//       - nodePool: default
//         instanceType: m5.large
//         capacityType: on-demand
//         zone: us-east-1a
//         price: 0.096
//         priceSimulated: false
//         pods: [ns/a, ns/b]              # exactly, in placement order
//         podCount: 2
//         instanceTypeOptionsContain: [m5.large]
//         instanceTypeOptionsExclude: [m5.xlarge]
//         instanceTypeOptionCount: 3
//         labels: {team: ml}              # each must be present with this value
//         requests: {cpu: "1500m"}        # each must equal spec.resources.requests[k]
//         minValuesRelaxed: false
//     existingNodes:                      # existing Nodes / in-flight NodeClaims receiving pods (all)
//       - name: node-1
//         kind: Node|NodeClaim
//         pods: [ns/a]
//     unschedulable:                      # every unschedulable pod
//       - pod: ns/c
//         reasonContains: did not tolerate taint
//     warningsContain: [substring]
//     karpenterTest:                      # required under test/scenarios/karpenter/: the source
//       file: pkg/controllers/provisioning/scheduling/suite_test.go
//       it: "Scheduling > Custom Constraints > ... > should ..."   # Describe > Context > It
//     nodeClaimsPerPool: {default: 2}     # new NodeClaims per NodePool (pools not listed: 0)
//     placements:                         # groups of pods and where they must (not) land
//       - pods: [ns/a, ns/b]              # required
//         scheduled: true                 # default; false: each is unschedulable
//         reasonContains: text            # with scheduled: false
//         sameNode: true                  # all on one node; distinctNodes: no two on one node
//         distinctNodes: true
//         newNode: true                   # on a NodeClaim of this plan (false: existing capacity)
//         node: node-1                    # on this existing Node / in-flight NodeClaim
//         nodeLabels: {k: v}              # the receiving node's labels; nodeLabelsAbsent: [k]
//         nodeLabelsAbsent: [k]
//         nodeLabelsNotEqual: {k: v}      # label k absent or with another value
//         taints: [{key, value, effect}]  # the new NodeClaim's taints, exactly (any order);
//         startupTaints: [...]            #   likewise its startup taints
//         instanceType: x                 # of the new NodeClaim (launch choice); likewise
//         nodePool: p                     #   nodePool, capacityType, zone
//         capacityType: spot
//         zone: z
//         instanceTypeOptions: [a, b]     # the new NodeClaim's options, exactly (any order)
//         instanceTypeOptionsContain: [a] # ... / instanceTypeOptionsExclude: [b]
//     skew:                               # Karpenter's ExpectSkew: matching pods (running and
//       - topologyKey: topology.kubernetes.io/zone   # placed) per domain, as a multiset
//         labelSelector: {matchLabels: {app: web}, matchExpressions: [...]}
//         namespace: default              # default "default"
//         counts: [1, 1, 2]
//   spec.options.instanceTypes: FILE      # --instance-types, relative to the scenario's folder
//   claims[].instanceTypeOptions: [a, b]  # exactly these options (any order)
//   claims[].taints / startupTaints: [{key, value, effect}]   # exactly (any order)
//
// Scenarios live in test/scenarios/ and its subfolders (test/scenarios/karpenter/: cases ported
// from Karpenter's own test suites, docs/conformance.md); folders named instance-types hold
// catalogs, not scenarios. A test's name is the path below test/scenarios with every other
// character than a letter or digit as '_'.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fnmatch.h>

#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "joinery/api/labels.h"
#include "joinery/scheduling/requirements.h"
#include "joinery/common/strings.h"
#include "joinery/simulate/simulate.h"
#include "joinery/testing/plan_checker.h"
#include "scenario_files.h"

namespace joinery {
namespace {

namespace fs = std::filesystem;
using namespace scenario_files;  // NOLINT: the runner's vocabulary
using ::testing::HasSubstr;

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = RelativeName(info.param);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

void CheckClaim(const solver::PlannedNodeClaim& nc, const YAML::Node& want, const std::string& where) {
  ExpectOnlyKeys(want,
                 {"nodePool", "instanceType", "capacityType", "zone", "price", "priceSimulated", "pods",
                  "podCount", "instanceTypeOptionsContain", "instanceTypeOptionsExclude",
                  "instanceTypeOptionCount", "instanceTypeOptions", "labels", "requests",
                  "minValuesRelaxed", "taints", "startupTaints"},
                 where);
  // Taints as "key=value:effect" (value omitted when empty), compared as sets.
  auto taint_strings = [](const std::vector<api::Taint>& taints) {
    std::vector<std::string> out;
    for (const auto& t : taints) out.push_back(StrCat(t.key, t.value.empty() ? "" : "=", t.value, ":", t.effect));
    return out;
  };
  auto want_taints = [](const YAML::Node& n) {
    std::vector<std::string> out;
    for (const auto& t : n) {
      std::string v = t["value"] ? t["value"].as<std::string>() : "";
      out.push_back(StrCat(t["key"].as<std::string>(), v.empty() ? "" : "=", v, ":", t["effect"].as<std::string>()));
    }
    return out;
  };
  if (want["taints"]) {
    EXPECT_THAT(taint_strings(nc.taints), ::testing::UnorderedElementsAreArray(want_taints(want["taints"]))) << where;
  }
  if (want["startupTaints"]) {
    EXPECT_THAT(taint_strings(nc.startup_taints),
                ::testing::UnorderedElementsAreArray(want_taints(want["startupTaints"])))
        << where;
  }
  if (want["instanceTypeOptions"]) {
    EXPECT_THAT(nc.instance_type_options,
                ::testing::UnorderedElementsAreArray(Strings(want["instanceTypeOptions"])))
        << where;
  }
  if (want["nodePool"]) {
    EXPECT_EQ(nc.node_pool, want["nodePool"].as<std::string>()) << where;
  }
  if (want["instanceType"]) {
    EXPECT_EQ(nc.launch.instance_type, want["instanceType"].as<std::string>()) << where;
  }
  if (want["capacityType"]) {
    EXPECT_EQ(nc.launch.capacity_type, want["capacityType"].as<std::string>()) << where;
  }
  if (want["zone"]) {
    EXPECT_EQ(nc.launch.zone, want["zone"].as<std::string>()) << where;
  }
  if (want["price"]) {
    EXPECT_NEAR(nc.launch.price, want["price"].as<double>(), 1e-6) << where;
  }
  if (want["priceSimulated"]) {
    EXPECT_EQ(nc.launch.price_simulated, want["priceSimulated"].as<bool>()) << where;
  }
  if (want["pods"]) {
    EXPECT_EQ(nc.pods, Strings(want["pods"])) << where;
  }
  if (want["podCount"]) {
    EXPECT_EQ(nc.pods.size(), want["podCount"].as<size_t>()) << where;
  }
  if (want["instanceTypeOptionsContain"]) {
    for (const auto& t : Strings(want["instanceTypeOptionsContain"])) {
      EXPECT_THAT(nc.instance_type_options, ::testing::Contains(t)) << where;
    }
  }
  if (want["instanceTypeOptionsExclude"]) {
    for (const auto& t : Strings(want["instanceTypeOptionsExclude"])) {
      EXPECT_THAT(nc.instance_type_options, ::testing::Not(::testing::Contains(t))) << where;
    }
  }
  if (want["instanceTypeOptionCount"]) {
    EXPECT_EQ(nc.instance_type_options.size(), want["instanceTypeOptionCount"].as<size_t>()) << where;
  }
  if (want["labels"]) {
    for (const auto& kv : want["labels"]) {
      std::string k = kv.first.as<std::string>();
      auto it = nc.labels.find(k);
      if (it == nc.labels.end()) {
        ADD_FAILURE() << where << ": label " << k << " is missing";
      } else {
        EXPECT_EQ(it->second, kv.second.as<std::string>()) << where << ": label " << k;
      }
    }
  }
  if (want["requests"]) {
    for (const auto& kv : want["requests"]) {
      std::string k = kv.first.as<std::string>();
      auto q = Quantity::Parse(kv.second.as<std::string>());
      ASSERT_TRUE(q.ok()) << where << ": " << q.status();
      auto it = nc.requests.find(k);
      if (it == nc.requests.end()) {
        ADD_FAILURE() << where << ": request " << k << " is missing";
      } else {
        EXPECT_EQ(it->second.milli(), q->milli())
            << where << ": request " << k << " is " << it->second.ToString() << ", want " << q->ToString();
      }
    }
  }
  if (want["minValuesRelaxed"]) {
    EXPECT_EQ(nc.min_values_relaxed, want["minValuesRelaxed"].as<bool>()) << where;
  }
}


// Where the plan puts each pod, and what the receiving nodes look like.
struct PodLocation {
  bool placed = false;
  bool new_node = false;
  std::string node;                             // NodeClaim name (new or in-flight) or Node name
  const solver::PlannedNodeClaim* claim = nullptr;  // for new NodeClaims
  const api::StringMap* labels = nullptr;       // the receiving node's labels
  std::string reason;                           // when unschedulable
  bool unschedulable = false;
};

class PlanIndex {
 public:
  explicit PlanIndex(const simulate::Simulation& sim) {
    for (const auto& n : sim.snapshot.nodes) existing_labels_[n.node.metadata.name] = &n.node.metadata.labels;
    for (const auto& c : sim.snapshot.node_claims) existing_labels_[c.metadata.name] = &c.metadata.labels;
    for (const auto& nc : sim.plan.node_claims) {
      for (const auto& p : nc.pods) {
        PodLocation& loc = pods_[p];
        loc.placed = loc.new_node = true;
        loc.node = nc.name;
        loc.claim = &nc;
        loc.labels = &nc.labels;
      }
    }
    for (const auto& e : sim.plan.existing_nodes) {
      auto l = existing_labels_.find(e.name);
      for (const auto& p : e.pods) {
        PodLocation& loc = pods_[p];
        loc.placed = true;
        loc.node = e.name;
        loc.labels = l == existing_labels_.end() ? nullptr : l->second;
      }
    }
    for (const auto& u : sim.plan.unschedulable) {
      PodLocation& loc = pods_[u.pod];
      loc.reason = u.reason;
      loc.unschedulable = true;
    }
  }
  const PodLocation* Find(const std::string& pod) const {
    auto it = pods_.find(pod);
    return it == pods_.end() ? nullptr : &it->second;
  }
  const api::StringMap* ExistingLabels(const std::string& node) const {
    auto it = existing_labels_.find(node);
    return it == existing_labels_.end() ? nullptr : it->second;
  }

 private:
  std::map<std::string, PodLocation> pods_;
  std::map<std::string, const api::StringMap*> existing_labels_;
};

void CheckPlacement(const PlanIndex& index, const YAML::Node& want, const std::string& where) {
  ExpectOnlyKeys(want,
                 {"pods", "scheduled", "reasonContains", "sameNode", "distinctNodes", "newNode", "node",
                  "nodeLabels", "nodeLabelsAbsent", "nodeLabelsNotEqual", "instanceType", "nodePool",
                  "capacityType", "zone", "instanceTypeOptions", "instanceTypeOptionsContain",
                  "instanceTypeOptionsExclude", "taints", "startupTaints"},
                 where);
  ASSERT_TRUE(want["pods"] && want["pods"].IsSequence() && want["pods"].size() > 0)
      << where << ": pods is required";
  const bool scheduled = want["scheduled"] ? want["scheduled"].as<bool>() : true;
  std::vector<std::string> pods = Strings(want["pods"]);
  std::set<std::string> nodes;
  for (const auto& pod : pods) {
    std::string at = StrCat(where, " ", pod);
    const PodLocation* loc = index.Find(pod);
    if (loc == nullptr) {
      ADD_FAILURE() << at << ": no such pending pod in the plan";
      continue;
    }
    if (!scheduled) {
      EXPECT_TRUE(loc->unschedulable) << at << ": expected unschedulable, but it is planned onto " << loc->node;
      if (want["reasonContains"]) {
        EXPECT_THAT(loc->reason, HasSubstr(want["reasonContains"].as<std::string>())) << at;
      }
      continue;
    }
    if (!loc->placed) {
      ADD_FAILURE() << at << ": expected scheduled, but it is unschedulable: " << loc->reason;
      continue;
    }
    nodes.insert(loc->node);
    if (want["newNode"]) {
      EXPECT_EQ(loc->new_node, want["newNode"].as<bool>()) << at << ": on " << loc->node;
    }
    if (want["node"]) {
      EXPECT_EQ(loc->node, want["node"].as<std::string>()) << at;
    }
    if (want["nodeLabels"]) {
      for (const auto& kv : want["nodeLabels"]) {
        std::string k = kv.first.as<std::string>();
        if (loc->labels == nullptr || !loc->labels->contains(k)) {
          ADD_FAILURE() << at << ": node " << loc->node << " has no label " << k;
        } else {
          EXPECT_EQ(loc->labels->at(k), kv.second.as<std::string>()) << at << ": label " << k;
        }
      }
    }
    if (want["nodeLabelsAbsent"]) {
      for (const auto& k : Strings(want["nodeLabelsAbsent"])) {
        EXPECT_TRUE(loc->labels == nullptr || !loc->labels->contains(k))
            << at << ": node " << loc->node << " has label " << k << "=" << loc->labels->at(k);
      }
    }
    if (want["nodeLabelsNotEqual"]) {
      for (const auto& kv : want["nodeLabelsNotEqual"]) {
        std::string k = kv.first.as<std::string>();
        if (loc->labels == nullptr || !loc->labels->contains(k)) continue;
        EXPECT_NE(loc->labels->at(k), kv.second.as<std::string>()) << at << ": label " << k;
      }
    }
    const bool claim_fields = want["instanceType"] || want["nodePool"] || want["capacityType"] ||
                              want["zone"] || want["instanceTypeOptions"] ||
                              want["instanceTypeOptionsContain"] || want["instanceTypeOptionsExclude"] ||
                              want["taints"] || want["startupTaints"];
    if (!claim_fields) continue;
    if (loc->claim == nullptr) {
      ADD_FAILURE() << at << ": expected on a new NodeClaim, is on existing " << loc->node;
      continue;
    }
    YAML::Node claim_want(YAML::NodeType::Map);
    for (const char* k : {"instanceType", "nodePool", "capacityType", "zone", "instanceTypeOptions",
                          "instanceTypeOptionsContain", "instanceTypeOptionsExclude", "taints",
                          "startupTaints"}) {
      if (want[k]) claim_want[k] = want[k];
    }
    CheckClaim(*loc->claim, claim_want, at);
  }
  if (!scheduled) return;
  if (want["sameNode"] && want["sameNode"].as<bool>()) {
    EXPECT_LE(nodes.size(), 1u) << where << ": pods spread over " << StrJoin(nodes, ", ");
  }
  if (want["distinctNodes"] && want["distinctNodes"].as<bool>()) {
    std::map<std::string, int> per_node;
    for (const auto& pod : pods) {
      if (const PodLocation* loc = index.Find(pod); loc != nullptr && loc->placed) ++per_node[loc->node];
    }
    for (const auto& [node, n] : per_node) EXPECT_EQ(n, 1) << where << ": " << n << " pods on " << node;
  }
}

api::LabelSelector SelectorFromYaml(const YAML::Node& n, const std::string& where) {
  api::LabelSelector sel;
  if (!n) return sel;
  ExpectOnlyKeys(n, {"matchLabels", "matchExpressions"}, where);
  if (n["matchLabels"]) {
    for (const auto& kv : n["matchLabels"]) sel.match_labels[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  if (n["matchExpressions"]) {
    for (const auto& e : n["matchExpressions"]) {
      api::LabelSelectorRequirement r;
      r.key = e["key"].as<std::string>();
      r.operator_ = e["operator"].as<std::string>();
      if (e["values"]) r.values = Strings(e["values"]);
      sel.match_expressions.push_back(std::move(r));
    }
  }
  return sel;
}

// Karpenter's ExpectSkew: pods of `namespace` matching the selector, on nodes (running pods of
// existing nodes, plus the plan's placements), counted per value of the topology key (per node
// for the hostname key); nodes without the label are not counted.
void CheckSkew(const simulate::Simulation& sim, const PlanIndex& index, const YAML::Node& want,
               const std::string& where) {
  ExpectOnlyKeys(want, {"topologyKey", "labelSelector", "namespace", "counts"}, where);
  ASSERT_TRUE(want["topologyKey"] && want["counts"]) << where << ": topologyKey and counts are required";
  const std::string key = want["topologyKey"].as<std::string>();
  const std::string ns = want["namespace"] ? want["namespace"].as<std::string>() : "default";
  const api::LabelSelector sel = SelectorFromYaml(want["labelSelector"], where + ".labelSelector");
  auto matches = [&](const api::Pod& p) {
    std::string pns = p.metadata.namespace_.empty() ? "default" : p.metadata.namespace_;
    return pns == ns && scheduling::SelectorMatches(sel, p.metadata.labels);
  };
  std::map<std::string, int> per_domain;
  auto count = [&](const std::string& node, const api::StringMap* labels) {
    if (key == api::kLabelHostname) {
      ++per_domain[node];
      return;
    }
    if (labels == nullptr) return;
    if (auto it = labels->find(key); it != labels->end()) ++per_domain[it->second];
  };
  for (const auto& n : sim.snapshot.nodes) {
    for (const auto& p : n.pods) {
      if (matches(p)) count(n.node.metadata.name, &n.node.metadata.labels);
    }
  }
  for (const auto& p : sim.snapshot.pods) {
    if (!matches(p)) continue;
    const PodLocation* loc = index.Find(StrCat(p.metadata.namespace_, "/", p.metadata.name));
    if (loc != nullptr && loc->placed) count(loc->node, loc->labels);
  }
  std::vector<int> got;
  for (const auto& [d, n] : per_domain) got.push_back(n);
  std::vector<int> expected;
  for (const auto& v : want["counts"]) expected.push_back(v.as<int>());
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  std::string domains;
  for (const auto& [d, n] : per_domain) domains += StrCat(" ", d, "=", n);
  EXPECT_EQ(got, expected) << where << ": pods per " << key << ":" << domains;
}

class ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTest, PlanMatchesExpectation) {
  const std::string& file = GetParam();
  YAML::Node exp = FindExpectation(ReadFile(file));
  ASSERT_TRUE(exp.IsDefined() && !exp.IsNull())
      << file << ": no document of kind ScenarioExpectation (apiVersion joinery.dev/v1alpha1)";
  const YAML::Node spec = exp["spec"] ? exp["spec"] : YAML::Node(YAML::NodeType::Map);
  ExpectOnlyKeys(spec,
                 {"description", "env", "options", "expectError", "nodeClaims", "costPerHour", "claims",
                  "existingNodes", "unschedulable", "warningsContain", "podsPerZone", "karpenterTest",
                  "nodeClaimsPerPool", "placements", "skew"},
                 "spec");
  if (RelativeName(file).starts_with("karpenter/") || spec["karpenterTest"]) {
    const YAML::Node k = spec["karpenterTest"];
    ASSERT_TRUE(k && k.IsMap()) << "scenarios ported from Karpenter name their test (spec.karpenterTest)";
    ExpectOnlyKeys(k, {"file", "it"}, "spec.karpenterTest");
    EXPECT_TRUE(k["file"] && k["file"].as<std::string>().ends_with("_test.go")) << "spec.karpenterTest.file";
    EXPECT_TRUE(k["it"] && !k["it"].as<std::string>().empty()) << "spec.karpenterTest.it";
  }

  auto sim = simulate::Run(Options(file, spec));
  if (spec["expectError"]) {
    ASSERT_FALSE(sim.ok()) << "expected an error containing \"" << spec["expectError"].as<std::string>()
                           << "\", got a plan:\n"
                           << simulate::RenderTable(*sim);
    EXPECT_THAT(std::string(sim.status().message()), HasSubstr(spec["expectError"].as<std::string>()));
    EXPECT_THAT(std::string(sim.status().message()), HasSubstr(fs::path(file).filename().string()))
        << "input errors name the file";
    return;
  }
  ASSERT_TRUE(sim.ok()) << sim.status();
  const solver::Plan& plan = sim->plan;
  SCOPED_TRACE(StrCat("plan:\n", simulate::RenderTable(*sim)));
  EXPECT_FALSE(simulate::RenderJson(*sim).empty());

  absl::Status checked = testing::CheckPlan(sim->snapshot, plan);
  EXPECT_TRUE(checked.ok()) << "plan checker: " << checked;

  if (spec["nodeClaims"]) {
    EXPECT_EQ(plan.node_claims.size(), spec["nodeClaims"].as<size_t>());
  }
  if (spec["costPerHour"]) {
    EXPECT_NEAR(plan.cost_per_hour, spec["costPerHour"].as<double>(), 1e-6);
  }
  if (const YAML::Node claims = spec["claims"]) {
    ASSERT_EQ(plan.node_claims.size(), claims.size()) << "spec.claims lists every NodeClaim";
    for (size_t i = 0; i < claims.size(); ++i) {
      CheckClaim(plan.node_claims[i], claims[i], StrCat("claims[", i, "] (", plan.node_claims[i].name, ")"));
    }
  }
  if (const YAML::Node nodes = spec["existingNodes"]) {
    ASSERT_EQ(plan.existing_nodes.size(), nodes.size()) << "spec.existingNodes lists every receiving node";
    for (size_t i = 0; i < nodes.size(); ++i) {
      std::string where = StrCat("existingNodes[", i, "]");
      ExpectOnlyKeys(nodes[i], {"name", "kind", "pods"}, where);
      const auto& got = plan.existing_nodes[i];
      if (nodes[i]["name"]) {
        EXPECT_EQ(got.name, nodes[i]["name"].as<std::string>()) << where;
      }
      if (nodes[i]["kind"]) {
        EXPECT_EQ(got.is_node_claim ? "NodeClaim" : "Node", nodes[i]["kind"].as<std::string>()) << where;
      }
      if (nodes[i]["pods"]) {
        EXPECT_EQ(got.pods, Strings(nodes[i]["pods"])) << where;
      }
    }
  }
  if (const YAML::Node unsched = spec["unschedulable"]) {
    ASSERT_EQ(plan.unschedulable.size(), unsched.size()) << "spec.unschedulable lists every such pod";
    for (size_t i = 0; i < unsched.size(); ++i) {
      std::string where = StrCat("unschedulable[", i, "]");
      ExpectOnlyKeys(unsched[i], {"pod", "reasonContains"}, where);
      const auto& got = plan.unschedulable[i];
      if (unsched[i]["pod"]) {
        EXPECT_EQ(got.pod, unsched[i]["pod"].as<std::string>()) << where;
      }
      if (unsched[i]["reasonContains"]) {
        EXPECT_THAT(got.reason, HasSubstr(unsched[i]["reasonContains"].as<std::string>())) << where;
      }
    }
  }
  if (const YAML::Node per_zone = spec["podsPerZone"]) {
    // Placed pods per zone: new NodeClaims by their launch zone, existing nodes by their label.
    std::map<std::string, int> got;
    for (const auto& nc : plan.node_claims) got[nc.launch.zone] += static_cast<int>(nc.pods.size());
    for (const auto& placed : plan.existing_nodes) {
      std::string zone;
      for (const auto& n : sim->manifests.nodes) {
        if (n.metadata.name != placed.name) continue;
        auto z = n.metadata.labels.find(std::string(api::kLabelZone));
        if (z != n.metadata.labels.end()) zone = z->second;
      }
      for (const auto& nc : sim->manifests.node_claims) {
        if (nc.metadata.name != placed.name) continue;
        auto z = nc.metadata.labels.find(std::string(api::kLabelZone));
        if (z != nc.metadata.labels.end()) zone = z->second;
      }
      got[zone] += static_cast<int>(placed.pods.size());
    }
    std::map<std::string, int> want;
    for (const auto& kv : per_zone) want[kv.first.as<std::string>()] = kv.second.as<int>();
    EXPECT_EQ(got, want) << "podsPerZone";
  }
  const PlanIndex index(*sim);
  if (const YAML::Node per_pool = spec["nodeClaimsPerPool"]) {
    std::map<std::string, int> got, want;
    for (const auto& nc : plan.node_claims) ++got[nc.node_pool];
    for (const auto& kv : per_pool) {
      if (int n = kv.second.as<int>(); n != 0) want[kv.first.as<std::string>()] = n;
    }
    EXPECT_EQ(got, want) << "nodeClaimsPerPool";
  }
  if (const YAML::Node placements = spec["placements"]) {
    for (size_t i = 0; i < placements.size(); ++i) {
      CheckPlacement(index, placements[i], StrCat("placements[", i, "]"));
    }
  }
  if (const YAML::Node skew = spec["skew"]) {
    for (size_t i = 0; i < skew.size(); ++i) CheckSkew(*sim, index, skew[i], StrCat("skew[", i, "]"));
  }
  if (spec["warningsContain"]) {
    for (const auto& w : Strings(spec["warningsContain"])) {
      EXPECT_THAT(sim->warnings, ::testing::Contains(HasSubstr(w)));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioTest, ::testing::ValuesIn(ScenarioFiles()), TestName);

// docs/conformance.md is the ledger of Karpenter's test cases: every case row says "passes" (with
// its scenario files) or "not ported" (with the reason and no file), every file it names exists,
// and every scenario under test/scenarios/karpenter/ is named by some row.
TEST(ConformanceTableTest, AccountsForEveryKarpenterScenario) {
  const std::string doc = ReadFile((SourceDir() / "docs" / "conformance.md").string());
  ASSERT_FALSE(doc.empty()) << "docs/conformance.md is missing";
  const size_t cases = doc.find("\n## The cases");
  ASSERT_NE(cases, std::string::npos) << "docs/conformance.md has no \"## The cases\" section";
  const fs::path root = ScenarioDir() / "karpenter";
  const std::regex file_re(R"(([a-z0-9-]+/[a-z0-9.*-]+\.yaml))");
  std::set<std::string> named;
  std::vector<std::string> patterns;
  int rows = 0, passes = 0, not_ported = 0;
  std::istringstream in(doc.substr(cases));
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("| ") || line.starts_with("| Karpenter test")) continue;
    ++rows;
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream cs(line.substr(1));
    while (std::getline(cs, cell, '|')) {
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
    }
    while (!cells.empty() && cells.back().empty()) cells.pop_back();
    ASSERT_GE(cells.size(), 3u) << line;
    const std::string& scenario = cells[cells.size() - 2];
    const std::string& status = cells.back();
    if (status.starts_with("not ported")) {
      ++not_ported;
      EXPECT_EQ(scenario, "\u2014") << "a case that is not ported names no scenario: " << line;
      continue;
    }
    EXPECT_TRUE(status.starts_with("passes")) << "every ported case passes: " << line;
    ++passes;
    int files = 0;
    for (auto it = std::sregex_iterator(scenario.begin(), scenario.end(), file_re);
         it != std::sregex_iterator(); ++it) {
      std::string f = (*it)[1];
      ++files;
      if (f.find('*') != std::string::npos) {
        patterns.push_back(f);
      } else {
        named.insert(f);
        EXPECT_TRUE(fs::exists(root / f)) << "docs/conformance.md names a missing scenario " << f;
      }
    }
    EXPECT_GT(files, 0) << "a passing case names its scenario files: " << line;
  }
  EXPECT_GE(passes, 150) << "the issue asks for at least 150 ported cases";
  int unnamed = 0;
  for (const auto& f : ScenarioFiles()) {
    std::string rel = fs::path(f).lexically_relative(root).generic_string();
    if (rel.starts_with("..")) continue;  // not a Karpenter port
    bool found = named.contains(rel) ||
                 std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
                   return fnmatch(p.c_str(), rel.c_str(), 0) == 0;
                 });
    if (!found) ++unnamed;
    EXPECT_TRUE(found) << rel << " is not in docs/conformance.md";
  }
  EXPECT_EQ(unnamed, 0);
  RecordProperty("cases", rows);
  RecordProperty("passing", passes);
  RecordProperty("not_ported", not_ported);
}

TEST(ScenarioDirectoryTest, HasScenarios) {
  EXPECT_GE(ScenarioFiles().size(), 10u) << "no scenarios found under " << ScenarioDir();
}

}  // namespace
}  // namespace joinery
