// Workloads for the benchmark suite, as solver snapshots.
//
// Karpenter's own scheduling benchmark (bench/data/karpenter-bench/workload.json, see its
//     README.md): 400 synthetic instance types, one unlimited NodePool, an empty cluster, and the
//     pod lists diverse_1 .. diverse_20000 and preference_4000_{respect,ignore}, with Karpenter's
//     own results on exactly those pods. LoadKarpenterBench reads the file; KarpenterBenchSnapshot
//     turns one workload into a Snapshot.
//   * Realistic Deployments on the full embedded AWS catalog (AwsRealisticSnapshot): a few hundred
//     Deployments of 1..200 replicas with mixed requests, some spread across zones, some one per
//     host, some pinned to an architecture or capacity type. Generated from a fixed seed with a
//     hand-written PRNG, so the same pods come out on every machine and standard library.
//
// Everything here is deterministic: pods get distinct UIDs and creation timestamps increasing with
// their index, so the solver's ordering never depends on anything but the input.
// Thread-compatible: pure functions over values.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "joinery/api/types.h"
#include "joinery/cloudprovider/instance_type.h"
#include "joinery/solver/solver.h"

namespace joinery::bench {

inline constexpr size_t kAllPods = std::numeric_limits<size_t>::max();

// One pod row of workload.json: [kind, labels, selector_match_labels, cpu_request_millis,
// memory_request_MiB, namespace].
struct KarpenterPodRow {
  // generic | spread:<topologyKey> | affinity:<topologyKey> | antiaffinity:<topologyKey> |
  // preference
  std::string kind;
  api::StringMap labels;
  api::StringMap selector;  // selector_match_labels (spread, affinity and anti-affinity pods)
  int64_t cpu_millis = 0;
  int64_t memory_mib = 0;
  std::string namespace_;
};

// Karpenter's result on one workload (karpenter_results_on_these_pods).
struct KarpenterResult {
  int64_t pods = 0;
  int64_t nodes = 0;
  double cost_per_hour = 0;             // sum_of_cheapest_option_price
  double solve_seconds_single_run = 0;  // indicative only
};

struct KarpenterBenchData {
  std::shared_ptr<const cloudprovider::InstanceTypes> instance_types;
  std::map<std::string, std::vector<KarpenterPodRow>, std::less<>> workloads;
  std::map<std::string, KarpenterResult, std::less<>> results;
};

// The compiled-in path of bench/data/karpenter-bench/workload.json in the source tree.
std::string DefaultKarpenterBenchDataPath();

// Parses workload.json text. Errors (InvalidArgument) name the instance type, workload or row that
// does not have the documented layout, including an instance type whose capacity minus
// kube-reserved is not the file's allocatable.
absl::StatusOr<KarpenterBenchData> ParseKarpenterBench(std::string_view json_text);
// Reads and parses the file at `path` (NotFound when it cannot be read).
absl::StatusOr<KarpenterBenchData> LoadKarpenterBench(const std::string& path);

// The benchmark's NodePool "default": EC2NodeClass default, no requirements, no taints, limits cpu
// 10000000 and memory 10000000Gi — except that 10000000Gi does not fit a Quantity (int64 milli), so
// memory is the largest whole number of Gi that does (8589934Gi), far above what any plan of these
// workloads can be charged (4,000 NodeClaims × 800Gi).
api::NodePool KarpenterBenchNodePool();

// The pod of row `index` of `workload`: `<workload>-<index>` in the row's namespace, the row's
// labels, one container requesting the row's cpu and memory, and the constraints of its kind.
absl::StatusOr<api::Pod> KarpenterBenchPod(const KarpenterPodRow& row, std::string_view workload,
                                           size_t index);

// The snapshot of one workload: the 400 instance types, KarpenterBenchNodePool(), the first
// `max_pods` pods, and preference_policy kIgnore for preference_4000_ignore (kRespect otherwise).
// NotFound for an unknown workload.
absl::StatusOr<solver::Snapshot> KarpenterBenchSnapshot(const KarpenterBenchData& data,
                                                        std::string_view workload,
                                                        size_t max_pods = kAllPods);

// Deterministic metadata shared by the generators: RFC 3339 creation timestamps one second apart
// from 2024-01-01T00:00:00Z (so they sort as text in index order) and a distinct UID per pod.
std::string BenchCreationTimestamp(size_t index);
std::string BenchUid(std::string_view prefix, size_t index);

}  // namespace joinery::bench
