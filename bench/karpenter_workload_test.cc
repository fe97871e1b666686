#include "bench/karpenter_workload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "bench/aws_workload.h"
#include "joinery/api/labels.h"

namespace joinery::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

const KarpenterBenchData& Data() {
  static const KarpenterBenchData* data = [] {
    auto d = LoadKarpenterBench(DefaultKarpenterBenchDataPath());
    if (!d.ok()) {
      ADD_FAILURE() << d.status();
      return new KarpenterBenchData();
    }
    return new KarpenterBenchData(*std::move(d));
  }();
  return *data;
}

std::string Kind(const api::Pod& pod) {
  if (!pod.spec.topology_spread_constraints.empty()) {
    return "spread:" + pod.spec.topology_spread_constraints[0].topology_key;
  }
  if (pod.spec.affinity && pod.spec.affinity->pod_affinity) {
    return "affinity:" + pod.spec.affinity->pod_affinity->required.at(0).topology_key;
  }
  if (pod.spec.affinity && pod.spec.affinity->pod_anti_affinity) {
    return "antiaffinity:" + pod.spec.affinity->pod_anti_affinity->required.at(0).topology_key;
  }
  return "generic";
}

TEST(KarpenterWorkloadTest, LoadsAllWorkloadsAndResults) {
  const auto& d = Data();
  EXPECT_EQ(d.instance_types->size(), 400u);
  EXPECT_EQ(d.workloads.size(), 11u);
  EXPECT_EQ(d.workloads.at("diverse_20000").size(), 20000u);
  EXPECT_EQ(d.workloads.at("preference_4000_respect").size(), 4000u);
  const KarpenterResult& r = d.results.at("diverse_1000");
  EXPECT_EQ(r.pods, 1000);
  EXPECT_EQ(r.nodes, 200);
  EXPECT_NEAR(r.cost_per_hour, 343.39, 0.01);
}

TEST(KarpenterWorkloadTest, Diverse100HasTwentyPodsOfEachKind) {
  auto snap = KarpenterBenchSnapshot(Data(), "diverse_100");
  ASSERT_TRUE(snap.ok()) << snap.status();
  std::map<std::string, int> kinds;
  for (const auto& pod : snap->pods) ++kinds[Kind(pod)];
  EXPECT_THAT(kinds, ElementsAre(Pair("affinity:topology.kubernetes.io/zone", 20),
                                 Pair("antiaffinity:kubernetes.io/hostname", 20),
                                 Pair("generic", 20), Pair("spread:kubernetes.io/hostname", 20),
                                 Pair("spread:topology.kubernetes.io/zone", 20)));
  EXPECT_EQ(snap->options.preference_policy, solver::PreferencePolicy::kRespect);
  ASSERT_EQ(snap->node_pools.size(), 1u);
  EXPECT_EQ(snap->node_pools[0].metadata.name, "default");
  EXPECT_TRUE(snap->node_pools[0].template_.spec.requirements.empty());
  EXPECT_EQ(snap->node_pools[0].limits.at("cpu"), Quantity::FromUnits(10'000'000));
}

TEST(KarpenterWorkloadTest, InstanceTypeMatchesTheFile) {
  const cloudprovider::InstanceType& it = Data().instance_types->at(0);
  EXPECT_EQ(it.name, "fake-it-0");
  ResourceList alloc = it.Allocatable();
  EXPECT_EQ(alloc.at("cpu"), Quantity::FromMilli(900));
  EXPECT_EQ(alloc.at("memory").value(), 2136997888);
  EXPECT_EQ(alloc.at("pods"), Quantity::FromUnits(10));
  ASSERT_EQ(it.offerings.size(), 5u);
  for (const auto& o : it.offerings) {
    EXPECT_DOUBLE_EQ(o.price, 0.3147483648);
    EXPECT_TRUE(o.available);
  }
  EXPECT_EQ(it.offerings[0].zone, "test-zone-1");
  EXPECT_EQ(it.offerings[0].capacity_type, "spot");
  EXPECT_EQ(it.offerings[4].zone, "test-zone-3");
  EXPECT_EQ(it.offerings[4].capacity_type, "on-demand");
  // Single-valued requirements become labels; zone, capacity type and the multi-valued os do not;
  // `special` is DoesNotExist on this type.
  EXPECT_THAT(it.labels, ElementsAre(Pair("integer", "1"), Pair("kubernetes.io/arch", "amd64"),
                                     Pair("node.kubernetes.io/instance-type", "fake-it-0"),
                                     Pair("size", "small")));
  EXPECT_EQ(Data().instance_types->at(399).labels.at("special"), "optional");
}

TEST(KarpenterWorkloadTest, SpreadPodCarriesItsConstraint) {
  const auto& rows = Data().workloads.at("diverse_100");
  size_t i = 0;
  while (i < rows.size() && rows[i].kind != "spread:topology.kubernetes.io/zone") ++i;
  ASSERT_LT(i, rows.size());
  auto pod = KarpenterBenchPod(rows[i], "diverse_100", i);
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->metadata.name, "diverse_100-" + std::to_string(i));
  EXPECT_EQ(pod->metadata.namespace_, "default");
  EXPECT_EQ(pod->metadata.labels, rows[i].labels);
  ASSERT_EQ(pod->spec.topology_spread_constraints.size(), 1u);
  const api::TopologySpreadConstraint& tsc = pod->spec.topology_spread_constraints[0];
  EXPECT_EQ(tsc.max_skew, 1);
  EXPECT_EQ(tsc.topology_key, "topology.kubernetes.io/zone");
  EXPECT_EQ(tsc.when_unsatisfiable, "DoNotSchedule");
  ASSERT_TRUE(tsc.label_selector.has_value());
  EXPECT_EQ(tsc.label_selector->match_labels, rows[i].selector);
  EXPECT_FALSE(pod->spec.affinity.has_value());
  ASSERT_EQ(pod->spec.containers.size(), 1u);
  EXPECT_EQ(pod->spec.containers[0].resources.requests.at("cpu"),
            Quantity::FromMilli(rows[i].cpu_millis));
  EXPECT_EQ(pod->spec.containers[0].resources.requests.at("memory").value(),
            rows[i].memory_mib * 1024 * 1024);
}

TEST(KarpenterWorkloadTest, AffinityPodsUseTheirSelectorOnTheirKey) {
  auto snap = KarpenterBenchSnapshot(Data(), "diverse_50");
  ASSERT_TRUE(snap.ok()) << snap.status();
  const auto& rows = Data().workloads.at("diverse_50");
  int affinity = 0, anti = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const api::Pod& pod = snap->pods[i];
    if (rows[i].kind == "affinity:topology.kubernetes.io/zone") {
      ++affinity;
      const auto& term = pod.spec.affinity->pod_affinity->required.at(0);
      EXPECT_EQ(term.topology_key, "topology.kubernetes.io/zone");
      EXPECT_EQ(term.label_selector->match_labels, rows[i].selector);
    } else if (rows[i].kind == "antiaffinity:kubernetes.io/hostname") {
      ++anti;
      const auto& term = pod.spec.affinity->pod_anti_affinity->required.at(0);
      EXPECT_EQ(term.topology_key, "kubernetes.io/hostname");
      EXPECT_EQ(term.label_selector->match_labels, (api::StringMap{{"app", "nginx"}}));
    }
  }
  EXPECT_EQ(affinity, 10);
  EXPECT_EQ(anti, 10);
}

TEST(KarpenterWorkloadTest, PreferencePodsAndPolicy) {
  auto respect = KarpenterBenchSnapshot(Data(), "preference_4000_respect", 3);
  ASSERT_TRUE(respect.ok()) << respect.status();
  EXPECT_EQ(respect->pods.size(), 3u);
  EXPECT_EQ(respect->options.preference_policy, solver::PreferencePolicy::kRespect);
  const api::Affinity& aff = *respect->pods[0].spec.affinity;
  ASSERT_TRUE(aff.node_affinity.has_value());
  EXPECT_FALSE(aff.node_affinity->required.has_value());
  ASSERT_EQ(aff.node_affinity->preferred.size(), 1u);
  EXPECT_EQ(aff.node_affinity->preferred[0].weight, 1);
  const auto& expr = aff.node_affinity->preferred[0].preference.match_expressions.at(0);
  EXPECT_EQ(expr.key, "topology.kubernetes.io/zone");
  EXPECT_EQ(expr.operator_, "In");
  EXPECT_THAT(expr.values, ElementsAre("test-zone-1"));
  ASSERT_TRUE(aff.pod_anti_affinity.has_value());
  EXPECT_TRUE(aff.pod_anti_affinity->required.empty());
  ASSERT_EQ(aff.pod_anti_affinity->preferred.size(), 2u);
  EXPECT_EQ(aff.pod_anti_affinity->preferred[0].weight, 10);
  EXPECT_EQ(aff.pod_anti_affinity->preferred[0].pod_affinity_term.topology_key,
            "topology.kubernetes.io/zone");
  EXPECT_EQ(aff.pod_anti_affinity->preferred[1].weight, 1);
  EXPECT_EQ(aff.pod_anti_affinity->preferred[1].pod_affinity_term.topology_key,
            "kubernetes.io/hostname");
  EXPECT_EQ(aff.pod_anti_affinity->preferred[1].pod_affinity_term.label_selector->match_labels,
            (api::StringMap{{"app", "nginx"}}));
  EXPECT_FALSE(aff.pod_affinity.has_value());

  auto ignore = KarpenterBenchSnapshot(Data(), "preference_4000_ignore", 3);
  ASSERT_TRUE(ignore.ok()) << ignore.status();
  EXPECT_EQ(ignore->options.preference_policy, solver::PreferencePolicy::kIgnore);
}

TEST(KarpenterWorkloadTest, PodsHaveDistinctUidsAndIncreasingTimestamps) {
  auto snap = KarpenterBenchSnapshot(Data(), "diverse_1000");
  ASSERT_TRUE(snap.ok()) << snap.status();
  std::set<std::string> uids;
  for (size_t i = 0; i < snap->pods.size(); ++i) {
    uids.insert(snap->pods[i].metadata.uid);
    if (i > 0) {
      EXPECT_LT(snap->pods[i - 1].metadata.creation_timestamp,
                snap->pods[i].metadata.creation_timestamp);
    }
  }
  EXPECT_EQ(uids.size(), snap->pods.size());
  EXPECT_EQ(BenchCreationTimestamp(0), "2024-01-01T00:00:00Z");
  EXPECT_EQ(BenchCreationTimestamp(86400 + 61), "2024-01-02T00:01:01Z");
}

TEST(KarpenterWorkloadTest, UnknownWorkloadAndBadJsonAreErrors) {
  EXPECT_EQ(KarpenterBenchSnapshot(Data(), "diverse_7").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ParseKarpenterBench("{").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseKarpenterBench(R"({"instance_types": 3})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadKarpenterBench("/nonexistent/workload.json").status().code(),
            absl::StatusCode::kNotFound);
  KarpenterPodRow bad{.kind = "mystery",
                      .labels = {},
                      .selector = {},
                      .cpu_millis = 1,
                      .memory_mib = 1,
                      .namespace_ = "default"};
  EXPECT_EQ(KarpenterBenchPod(bad, "w", 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AwsWorkloadTest, DeploymentsAreDeterministicAndAddUp) {
  for (int total : {10000, 50000}) {
    auto a = AwsRealisticDeployments(total);
    auto b = AwsRealisticDeployments(total);
    ASSERT_EQ(a.size(), b.size());
    int sum = 0, spread = 0, anti = 0, pinned = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].name, b[i].name);
      EXPECT_EQ(a[i].replicas, b[i].replicas);
      EXPECT_EQ(a[i].cpu_millis, b[i].cpu_millis);
      EXPECT_GE(a[i].replicas, 1);
      EXPECT_LE(a[i].replicas, 200);
      EXPECT_GE(a[i].cpu_millis, 100);
      EXPECT_LE(a[i].cpu_millis, 4000);
      EXPECT_GE(a[i].memory_mib, 128);
      EXPECT_LE(a[i].memory_mib, 16384);
      sum += a[i].replicas;
      spread += a[i].zonal_spread;
      anti += a[i].hostname_anti_affinity;
      pinned += !a[i].node_selector.empty();
    }
    EXPECT_EQ(sum, total);
    EXPECT_GE(a.size(), 100u);
    EXPECT_GT(spread, 0);
    EXPECT_GT(anti, 0);
    EXPECT_GT(pinned, 0);
  }
  // The fixed seed pins the output: the first Deployment is the same on every machine.
  auto first = AwsRealisticDeployments(10000).at(0);
  auto again = AwsRealisticDeployments(50000).at(0);
  EXPECT_EQ(first.name, again.name);
  EXPECT_EQ(first.replicas, again.replicas);
}

TEST(AwsWorkloadTest, SnapshotHasThePodsAndTheNodePool) {
  auto catalog = std::make_shared<const cloudprovider::InstanceTypes>();
  solver::Snapshot snap = AwsRealisticSnapshot(10000, catalog, 700);
  EXPECT_EQ(snap.pods.size(), 700u);
  ASSERT_EQ(snap.node_pools.size(), 1u);
  EXPECT_THAT(snap.node_pools[0].template_.spec.requirements,
              ElementsAre(::testing::Field(&api::NodeSelectorRequirement::values,
                                           ElementsAre("amd64", "arm64")),
                          ::testing::Field(&api::NodeSelectorRequirement::values,
                                           ElementsAre("on-demand", "spot"))));
  std::set<std::string> names;
  for (const auto& p : snap.pods) names.insert(p.metadata.namespace_ + "/" + p.metadata.name);
  EXPECT_EQ(names.size(), snap.pods.size());
  EXPECT_EQ(AwsRealisticSnapshot(10000, catalog).pods.size(), 10000u);
}

}  // namespace
}  // namespace joinery::bench
