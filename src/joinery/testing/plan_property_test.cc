// Property test of the solver against the independent plan checker: random small workloads
// (seeded, deterministic) are solved, and every plan must pass CheckPlan and come out identical
// when solved twice.
//
// Each case is generated from its own 64-bit seed; a failure prints the seed and a summary of the
// workload. To rerun one case: JOINERY_PROPERTY_SEED=0x... (decimal or hex); to run more cases:
// JOINERY_PROPERTY_CASES=n.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "joinery/common/splitmix64.h"
#include "joinery/common/strings.h"
#include "joinery/solver/solver.h"
#include "joinery/testing/fixtures.h"
#include "joinery/testing/plan_checker.h"

namespace joinery::testing {
namespace {

constexpr char kZone[] = "topology.kubernetes.io/zone";
constexpr char kHostname[] = "kubernetes.io/hostname";
constexpr uint64_t kBaseSeed = 0x6a6f696e65727921;  // "joinery!"
constexpr int kDefaultCases = 300;

using Rng = ::joinery::SplitMix64;

std::string Hex(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (int i = 60; i >= 0; i -= 4) s.push_back(kDigits[(v >> i) & 0xf]);
  return StrCat("0x", s);
}

api::LabelSelector Selects(const std::string& app) {
  return api::LabelSelector{.match_labels = {{"app", app}}, .match_expressions = {}};
}

api::PodAffinityTerm Term(std::string key, const std::string& app) {
  api::PodAffinityTerm t;
  t.topology_key = std::move(key);
  t.label_selector = Selects(app);
  return t;
}

api::Affinity& AffinityOf(api::Pod& p) {
  if (!p.spec.affinity) p.spec.affinity.emplace();
  return *p.spec.affinity;
}

api::PodAffinity& PodAffinityOf(api::Pod& p, bool anti) {
  auto& a = anti ? AffinityOf(p).pod_anti_affinity : AffinityOf(p).pod_affinity;
  if (!a) a.emplace();
  return *a;
}

const std::vector<std::string> kApps = {"app-0", "app-1", "app-2", "app-3"};
const std::vector<std::string> kZones = {"test-a", "test-b"};
const api::Toleration kTolerateDedicated{
    .key = "dedicated", .operator_ = "Exists", .value = "", .effect = "", .toleration_seconds = {}};

// What a case contains, for the coverage counters and failure reports.
struct Features {
  bool spread = false;
  bool affinity = false;
  bool anti_affinity = false;
  bool existing_anti_affinity = false;
};

// A pod template (a Deployment's, in effect) with random constraints; `app` is its label.
api::Pod MakeTemplate(Rng& rng, const std::string& app, Features& f) {
  api::Pod p =
      MakePod("template", rng.Pick(std::vector<double>{0.25, 0.5, 1, 1.5, 2, 3, 5}), rng.Int(1, 4));
  p.metadata.labels = {{"app", app}};
  if (rng.Chance(15)) p.metadata.namespace_ = "other";
  if (rng.Chance(10)) p.spec.node_selector[kZone] = rng.Pick(kZones);
  if (rng.Chance(30)) p.spec.tolerations.push_back(kTolerateDedicated);
  if (rng.Chance(10)) {
    api::ContainerPort port;
    port.container_port = rng.Pick(std::vector<int32_t>{8080, 9090});
    port.host_port = port.container_port;
    p.spec.containers[0].ports.push_back(port);
  }
  if (rng.Chance(35)) {
    api::TopologySpreadConstraint c;
    c.topology_key = rng.Chance(60) ? kZone : kHostname;
    c.max_skew = rng.Int(1, 2);
    c.when_unsatisfiable = rng.Chance(70) ? "DoNotSchedule" : "ScheduleAnyway";
    c.label_selector = Selects(rng.Chance(85) ? app : rng.Pick(kApps));
    if (c.when_unsatisfiable == "DoNotSchedule" && rng.Chance(25)) c.min_domains = rng.Int(1, 3);
    if (rng.Chance(10)) c.node_taints_policy = "Honor";
    p.spec.topology_spread_constraints.push_back(c);
    f.spread = true;
  }
  if (rng.Chance(15)) {  // required affinity: to itself or to another app
    PodAffinityOf(p, false).required.push_back(
        Term(rng.Chance(50) ? kZone : kHostname, rng.Chance(60) ? app : rng.Pick(kApps)));
    f.affinity = true;
  }
  if (rng.Chance(20)) {  // required anti-affinity: mostly one per host
    PodAffinityOf(p, true).required.push_back(
        Term(rng.Chance(70) ? kHostname : kZone, rng.Chance(70) ? app : rng.Pick(kApps)));
    f.anti_affinity = true;
  }
  if (rng.Chance(10)) {
    PodAffinityOf(p, rng.Chance(50))
        .preferred.push_back(
            {.weight = rng.Int(1, 100),
             .pod_affinity_term = Term(rng.Chance(50) ? kZone : kHostname, rng.Pick(kApps))});
  }
  return p;
}

solver::Snapshot Generate(uint64_t seed, Features& f) {
  Rng rng(seed);
  solver::Snapshot snap;
  snap.instance_types = std::make_shared<const cloudprovider::InstanceTypes>(SyntheticCatalog());

  int pools = rng.Int(1, 2);
  for (int i = 0; i < pools; ++i) {
    std::vector<api::NodeSelectorRequirement> reqs;
    if (rng.Chance(50)) reqs.push_back(Req("kubernetes.io/arch", "In", {"amd64"}));
    if (rng.Chance(50)) {
      reqs.push_back(Req("karpenter.sh/capacity-type", "In",
                         rng.Chance(50) ? std::vector<std::string>{"on-demand"}
                                        : std::vector<std::string>{"spot", "on-demand"}));
    }
    if (rng.Chance(20)) reqs.push_back(Req(kZone, "In", {rng.Pick(kZones)}));
    api::NodePool np = MakeNodePool(StrCat("pool-", i), reqs);
    if (rng.Chance(25)) np.limits = {{"cpu", Cpu(rng.Pick(std::vector<int>{4, 8, 16, 32}))}};
    if (rng.Chance(25)) np.template_.spec.taints = {{"dedicated", "x", "NoSchedule"}};
    if (rng.Chance(50)) np.weight = rng.Int(1, 100);
    snap.node_pools.push_back(np);
  }

  int nodes = rng.Int(0, 3);
  for (int i = 0; i < nodes; ++i) {
    solver::ExistingNode n;
    n.node.metadata.name = StrCat("node-", i);
    n.node.metadata.labels = {{"kubernetes.io/arch", "amd64"},
                              {kZone, rng.Pick(kZones)},
                              {"karpenter.sh/capacity-type", "on-demand"},
                              {kHostname, n.node.metadata.name}};
    if (rng.Chance(70)) n.node.metadata.labels["karpenter.sh/nodepool"] = "pool-0";
    int cpu = rng.Pick(std::vector<int>{2, 4, 8});
    n.node.allocatable = {
        {"cpu", Cpu(cpu)}, {"memory", Gi(cpu * 2)}, {"pods", Quantity::FromUnits(110)}};
    n.node.capacity = n.node.allocatable;
    if (rng.Chance(15)) n.node.taints = {{"dedicated", "x", "NoSchedule"}};
    int pods = rng.Int(0, 3);
    double used = 0;
    for (int j = 0; j < pods; ++j) {
      double c = rng.Pick(std::vector<double>{0.25, 0.5, 1});
      if (used + c > cpu) break;
      used += c;
      api::Pod p = MakePod(StrCat("running-", i, "-", j), c, 1);
      p.metadata.labels = {{"app", rng.Pick(kApps)}};
      p.spec.node_name = n.node.metadata.name;
      p.status.phase = rng.Chance(10) ? "Succeeded" : "Running";
      if (rng.Chance(20)) {
        PodAffinityOf(p, true).required.push_back(
            Term(rng.Chance(50) ? kZone : kHostname, rng.Pick(kApps)));
        f.existing_anti_affinity = true;
      }
      n.pods.push_back(p);
    }
    snap.nodes.push_back(n);
  }

  int pending = rng.Int(1, 25);
  for (int w = 0; static_cast<int>(snap.pods.size()) < pending; ++w) {
    std::string app = rng.Pick(kApps);
    api::Pod tmpl = MakeTemplate(rng, app, f);
    int replicas = std::min(rng.Int(1, 6), pending - static_cast<int>(snap.pods.size()));
    for (int r = 0; r < replicas; ++r) {
      api::Pod p = tmpl;
      p.metadata.name = StrCat("w", w, "-", r);
      snap.pods.push_back(p);
    }
  }
  return snap;
}

// A short description of a workload, for failure reports.
std::string Describe(const solver::Snapshot& snap) {
  std::vector<std::string> out;
  for (const auto& np : snap.node_pools) {
    std::vector<std::string> reqs;
    for (const auto& r : np.template_.spec.requirements) {
      reqs.push_back(StrCat(r.key, " ", r.operator_, " [", StrJoin(r.values, ","), "]"));
    }
    out.push_back(StrCat("  nodepool ", np.metadata.name, ": ", StrJoin(reqs, "; "),
                         np.limits.empty() ? "" : " (limits)",
                         np.template_.spec.taints.empty() ? "" : " (tainted)"));
  }
  for (const auto& n : snap.nodes) {
    std::vector<std::string> pods;
    for (const auto& p : n.pods) {
      bool anti = p.spec.affinity && p.spec.affinity->pod_anti_affinity;
      pods.push_back(
          StrCat(p.metadata.name, "(", p.metadata.labels.at("app"), anti ? ",anti" : "", ")"));
    }
    out.push_back(StrCat("  node ", n.node.metadata.name, " ", n.node.metadata.labels.at(kZone),
                         ": ", StrJoin(pods, " ")));
  }
  for (const auto& p : snap.pods) {
    if (!p.metadata.name.ends_with("-0")) continue;  // one line per template
    std::string line = StrCat("  pods ", p.metadata.namespace_, "/", p.metadata.name,
                              " app=", p.metadata.labels.at("app"));
    if (!p.spec.node_selector.empty()) StrAppend(line, " zone=", p.spec.node_selector.at(kZone));
    for (const auto& c : p.spec.topology_spread_constraints) {
      StrAppend(line, " spread(", c.topology_key, " skew ", c.max_skew, " ", c.when_unsatisfiable,
                c.min_domains ? StrCat(" minDomains ", *c.min_domains) : std::string(), " -> ",
                c.label_selector->match_labels.at("app"), ")");
    }
    if (p.spec.affinity) {
      for (const auto& [name, a] : {std::pair{"affinity", p.spec.affinity->pod_affinity},
                                    std::pair{"anti", p.spec.affinity->pod_anti_affinity}}) {
        if (!a) continue;
        for (const auto& t : a->required) {
          StrAppend(line, " ", name, "(", t.topology_key, " -> ",
                    t.label_selector->match_labels.at("app"), ")");
        }
        if (!a->preferred.empty()) StrAppend(line, " preferred-", name);
      }
    }
    out.push_back(line);
  }
  return StrJoin(out, "\n");
}

// Where two plans differ, in any field a caller reads ("" when they are the same).
std::string PlanDifference(const solver::Plan& a, const solver::Plan& b) {
  auto pods = [](const std::vector<std::string>& v) { return StrCat("[", StrJoin(v, " "), "]"); };
  if (a.node_claims.size() != b.node_claims.size()) {
    return StrCat("nodeclaims: ", a.node_claims.size(), " vs ", b.node_claims.size());
  }
  for (size_t i = 0; i < a.node_claims.size(); ++i) {
    const auto& x = a.node_claims[i];
    const auto& y = b.node_claims[i];
    std::string at = StrCat("nodeclaim ", i, " (", x.name, ")");
    if (x.name != y.name) return StrCat(at, ": name ", x.name, " vs ", y.name);
    if (x.node_pool != y.node_pool) return StrCat(at, ": nodepool");
    if (x.pods != y.pods) return StrCat(at, ": pods ", pods(x.pods), " vs ", pods(y.pods));
    if (x.instance_type_options != y.instance_type_options) {
      return StrCat(at, ": options ", pods(x.instance_type_options), " vs ",
                    pods(y.instance_type_options));
    }
    if (x.labels != y.labels) return StrCat(at, ": labels");
    if (x.launch.instance_type != y.launch.instance_type || x.launch.zone != y.launch.zone ||
        x.launch.capacity_type != y.launch.capacity_type || x.launch.price != y.launch.price) {
      return StrCat(at, ": launch ", x.launch.instance_type, "/", x.launch.zone, "/",
                    x.launch.capacity_type, " vs ", y.launch.instance_type, "/", y.launch.zone, "/",
                    y.launch.capacity_type);
    }
  }
  if (a.existing_nodes.size() != b.existing_nodes.size()) {
    return StrCat("existing placements: ", a.existing_nodes.size(), " vs ",
                  b.existing_nodes.size());
  }
  for (size_t i = 0; i < a.existing_nodes.size(); ++i) {
    const auto& x = a.existing_nodes[i];
    const auto& y = b.existing_nodes[i];
    if (x.name != y.name || x.is_node_claim != y.is_node_claim || x.pods != y.pods) {
      return StrCat("existing placement ", i, ": ", x.name, " ", pods(x.pods), " vs ", y.name, " ",
                    pods(y.pods));
    }
  }
  if (a.unschedulable.size() != b.unschedulable.size()) {
    return StrCat("unschedulable pods: ", a.unschedulable.size(), " vs ", b.unschedulable.size());
  }
  for (size_t i = 0; i < a.unschedulable.size(); ++i) {
    if (a.unschedulable[i].pod != b.unschedulable[i].pod ||
        a.unschedulable[i].reason != b.unschedulable[i].reason) {
      return StrCat("unschedulable pod ", i, ": ", a.unschedulable[i].pod, " (",
                    a.unschedulable[i].reason, ") vs ", b.unschedulable[i].pod, " (",
                    b.unschedulable[i].reason, ")");
    }
  }
  if (a.cost_per_hour != b.cost_per_hour) return "cost";
  return "";
}

std::optional<uint64_t> EnvNumber(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 0);
}

TEST(PlanPropertyTest, RandomWorkloadsGivePlansThatPassTheCheckerAndAreDeterministic) {
  std::vector<uint64_t> seeds;
  if (auto one = EnvNumber("JOINERY_PROPERTY_SEED")) {
    seeds.push_back(*one);
  } else {
    Rng seeder(kBaseSeed);
    int cases = static_cast<int>(EnvNumber("JOINERY_PROPERTY_CASES").value_or(kDefaultCases));
    for (int i = 0; i < cases; ++i) seeds.push_back(seeder.Next());
  }

  std::map<std::string, int> counts;  // coverage
  std::vector<std::string> failed;
  for (uint64_t seed : seeds) {
    Features f;
    solver::Snapshot snap = Generate(seed, f);
    auto plan = solver::Solve(snap);
    if (!plan.ok()) {
      ADD_FAILURE() << "seed " << Hex(seed) << ": Solve failed: " << plan.status();
      failed.push_back(Hex(seed));
      continue;
    }
    if (absl::Status s = CheckPlan(snap, *plan); !s.ok()) {
      ADD_FAILURE() << "seed " << Hex(seed) << ": " << s.message() << "\n" << Describe(snap);
      failed.push_back(Hex(seed));
    }
    auto again = solver::Solve(snap);
    if (!again.ok() || !PlanDifference(*plan, *again).empty()) {
      ADD_FAILURE() << "seed " << Hex(seed) << ": solving twice gave different plans ("
                    << (again.ok() ? PlanDifference(*plan, *again) : again.status().ToString())
                    << ")\n"
                    << Describe(snap);
      failed.push_back(Hex(seed));
    }
    ++counts["cases"];
    counts["with nodeclaims"] += !plan->node_claims.empty();
    counts["with 2+ nodeclaims"] += plan->node_claims.size() >= 2;
    counts["with existing placements"] += !plan->existing_nodes.empty();
    counts["with unschedulable pods"] += !plan->unschedulable.empty();
    counts["with spread"] += f.spread;
    counts["with affinity"] += f.affinity;
    counts["with anti-affinity"] += f.anti_affinity;
    counts["with existing anti-affinity"] += f.existing_anti_affinity;
    // The constraints the checker verifies, on pods the plan actually places.
    std::map<std::string, const api::Pod*> pods;
    for (const auto& p : snap.pods) pods[StrCat(p.metadata.namespace_, "/", p.metadata.name)] = &p;
    std::vector<const api::Pod*> placed;
    for (const auto& nc : plan->node_claims) {
      for (const auto& k : nc.pods) placed.push_back(pods.at(k));
    }
    for (const auto& e : plan->existing_nodes) {
      for (const auto& k : e.pods) placed.push_back(pods.at(k));
    }
    bool spread = false, affinity = false, anti = false;
    for (const api::Pod* p : placed) {
      for (const auto& c : p->spec.topology_spread_constraints) {
        spread |= c.when_unsatisfiable == "DoNotSchedule";
      }
      const auto& a = p->spec.affinity;
      affinity |= a && a->pod_affinity && !a->pod_affinity->required.empty();
      anti |= a && a->pod_anti_affinity && !a->pod_anti_affinity->required.empty();
    }
    counts["placing DoNotSchedule spread"] += spread;
    counts["placing required affinity"] += affinity;
    counts["placing required anti-affinity"] += anti;
  }
  std::vector<std::string> summary;
  for (const auto& [k, v] : counts) summary.push_back(StrCat(k, ": ", v));
  std::cout << "coverage: " << StrJoin(summary, ", ") << "\n";
  if (!failed.empty()) {
    std::cout << failed.size() << " failing case(s), seeds: " << StrJoin(failed, " ") << "\n";
  }

  // The generator must keep producing interesting cases: a change that made every workload
  // trivially schedulable (or unschedulable) would otherwise pass silently.
  if (seeds.size() == static_cast<size_t>(kDefaultCases)) {
    EXPECT_GE(counts["with nodeclaims"], 200);
    EXPECT_GE(counts["with 2+ nodeclaims"], 100);
    EXPECT_GE(counts["with existing placements"], 30);
    EXPECT_GE(counts["with unschedulable pods"], 20);
    EXPECT_GE(counts["with spread"], 100);
    EXPECT_GE(counts["with affinity"], 50);
    EXPECT_GE(counts["with anti-affinity"], 50);
    EXPECT_GE(counts["with existing anti-affinity"], 30);
    EXPECT_GE(counts["placing DoNotSchedule spread"], 100);
    EXPECT_GE(counts["placing required affinity"], 40);
    EXPECT_GE(counts["placing required anti-affinity"], 80);
  }
}

}  // namespace
}  // namespace joinery::testing
