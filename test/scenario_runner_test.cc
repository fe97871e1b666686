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

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "joinery/api/labels.h"
#include "joinery/common/strings.h"
#include "joinery/simulate/simulate.h"
#include "joinery/testing/plan_checker.h"

namespace joinery {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path SourceDir() {
  if (const char* dir = std::getenv("JOINERY_SOURCE_DIR"); dir != nullptr && *dir != '\0') {
    return fs::path(dir);
  }
  return fs::path(__FILE__).parent_path().parent_path();
}

fs::path ScenarioDir() { return SourceDir() / "test" / "scenarios"; }

std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ScenarioDir(), ec)) {
    if (e.is_regular_file() && (e.path().extension() == ".yaml" || e.path().extension() == ".yml")) {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The ScenarioExpectation document. Documents are split by hand and parsed one by one, so that a
// scenario whose manifests are deliberately malformed still yields its expectation.
YAML::Node FindExpectation(const std::string& text) {
  std::vector<std::string> docs;
  std::string current;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("---", 0) == 0) {
      docs.push_back(current);
      current.clear();
      continue;
    }
    current += line + "\n";
  }
  docs.push_back(current);
  for (const auto& d : docs) {
    try {
      YAML::Node n = YAML::Load(d);
      if (n.IsMap() && n["kind"] && n["kind"].as<std::string>() == "ScenarioExpectation") {
        EXPECT_EQ(n["apiVersion"].as<std::string>(""), "joinery.dev/v1alpha1");
        return n;
      }
    } catch (const YAML::Exception& e) {
      // A manifest may be malformed on purpose; the expectation may not.
      if (d.find("ScenarioExpectation") != std::string::npos) {
        ADD_FAILURE() << "the ScenarioExpectation document is not valid YAML: " << e.what();
      }
    }
  }
  return YAML::Node();
}

// Fails the test for keys of `node` (a map) not in `known`.
void ExpectOnlyKeys(const YAML::Node& node, std::set<std::string> known, const std::string& where) {
  if (!node.IsMap()) {
    ADD_FAILURE() << where << ": expected a map";
    return;
  }
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    EXPECT_TRUE(known.contains(key)) << where << ": unknown expectation field \"" << key << "\"";
  }
}

std::vector<std::string> Strings(const YAML::Node& n) {
  std::vector<std::string> out;
  for (const auto& v : n) out.push_back(v.as<std::string>());
  return out;
}

simulate::SimulateOptions Options(const std::string& file, const YAML::Node& spec) {
  simulate::SimulateOptions opts;
  opts.paths = {file};
  if (spec["env"]) {
    for (const auto& kv : spec["env"]) opts.env[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  if (const YAML::Node o = spec["options"]) {
    ExpectOnlyKeys(o, {"zones", "spotDiscount", "preferencePolicy", "minValuesPolicy", "maxInstanceTypes"},
                   "spec.options");
    if (o["zones"]) opts.catalog.zones = Strings(o["zones"]);
    if (o["spotDiscount"]) opts.catalog.spot_discount = o["spotDiscount"].as<double>();
    if (o["preferencePolicy"]) {
      opts.solver.preference_policy = o["preferencePolicy"].as<std::string>() == "Ignore"
                                          ? solver::PreferencePolicy::kIgnore
                                          : solver::PreferencePolicy::kRespect;
    }
    if (o["minValuesPolicy"]) {
      opts.solver.min_values_policy = o["minValuesPolicy"].as<std::string>() == "BestEffort"
                                          ? solver::MinValuesPolicy::kBestEffort
                                          : solver::MinValuesPolicy::kStrict;
    }
    if (o["maxInstanceTypes"]) opts.solver.max_instance_types = o["maxInstanceTypes"].as<int>();
  }
  return opts;
}

void CheckClaim(const solver::PlannedNodeClaim& nc, const YAML::Node& want, const std::string& where) {
  ExpectOnlyKeys(want,
                 {"nodePool", "instanceType", "capacityType", "zone", "price", "priceSimulated", "pods",
                  "podCount", "instanceTypeOptionsContain", "instanceTypeOptionsExclude",
                  "instanceTypeOptionCount", "labels", "requests", "minValuesRelaxed"},
                 where);
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

class ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTest, PlanMatchesExpectation) {
  const std::string& file = GetParam();
  YAML::Node exp = FindExpectation(ReadFile(file));
  ASSERT_TRUE(exp.IsDefined() && !exp.IsNull())
      << file << ": no document of kind ScenarioExpectation (apiVersion joinery.dev/v1alpha1)";
  const YAML::Node spec = exp["spec"] ? exp["spec"] : YAML::Node(YAML::NodeType::Map);
  ExpectOnlyKeys(spec,
                 {"description", "env", "options", "expectError", "nodeClaims", "costPerHour", "claims",
                  "existingNodes", "unschedulable", "warningsContain", "podsPerZone"},
                 "spec");

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
  if (spec["warningsContain"]) {
    for (const auto& w : Strings(spec["warningsContain"])) {
      EXPECT_THAT(sim->warnings, ::testing::Contains(HasSubstr(w)));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioTest, ::testing::ValuesIn(ScenarioFiles()), TestName);

TEST(ScenarioDirectoryTest, HasScenarios) {
  EXPECT_GE(ScenarioFiles().size(), 10u) << "no scenarios found under " << ScenarioDir();
}

}  // namespace
}  // namespace joinery
