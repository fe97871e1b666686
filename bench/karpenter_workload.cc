#include "bench/karpenter_workload.h"

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "joinery/api/labels.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "nlohmann/json.hpp"

#ifndef JOINERY_KARPENTER_BENCH_DATA
#error "JOINERY_KARPENTER_BENCH_DATA must name bench/data/karpenter-bench/workload.json"
#endif

namespace joinery::bench {
namespace {

using json = nlohmann::json;

constexpr int64_t kMiB = 1024 * 1024;
constexpr int64_t kGiB = 1024 * kMiB;

absl::Status Invalid(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("karpenter-bench ", where, ": ", what));
}

Quantity Bytes(int64_t bytes) { return Quantity::FromUnits(bytes, Quantity::Format::kBinarySI); }

api::StringMap StringMapFrom(const json& j) {
  api::StringMap out;
  for (const auto& [k, v] : j.items()) out.emplace(k, v.get<std::string>());
  return out;
}

// May throw nlohmann::json::exception on a type mismatch; the caller converts it to a Status.
absl::StatusOr<cloudprovider::InstanceType> InstanceTypeFrom(const json& j) {
  cloudprovider::InstanceType it;
  it.name = j.at("name").get<std::string>();
  it.capacity = {
      {std::string(api::kResourceCPU),
       Quantity::FromMilli(j.at("capacity_cpu_millis").get<int64_t>())},
      {std::string(api::kResourceMemory), Bytes(j.at("capacity_memory_bytes").get<int64_t>())},
      {std::string(api::kResourcePods), Quantity::FromUnits(j.at("capacity_pods").get<int64_t>())},
  };
  it.overhead.kube_reserved = {
      {std::string(api::kResourceCPU),
       Quantity::FromMilli(j.at("kube_reserved_cpu_millis").get<int64_t>())},
      {std::string(api::kResourceMemory), Bytes(j.at("kube_reserved_memory_bytes").get<int64_t>())},
  };
  const ResourceList want = {
      {std::string(api::kResourceCPU),
       Quantity::FromMilli(j.at("allocatable_cpu_millis").get<int64_t>())},
      {std::string(api::kResourceMemory), Bytes(j.at("allocatable_memory_bytes").get<int64_t>())},
      {std::string(api::kResourcePods),
       Quantity::FromUnits(j.at("allocatable_pods").get<int64_t>())},
  };
  if (it.Allocatable() != want) {
    return Invalid(StrCat("instance type ", it.name),
                   "capacity minus kube-reserved is not the file's allocatable");
  }
  // Labels: the single-valued In requirements (instance type, arch, `integer`, `size`, `special`).
  // Zone and capacity type come from the offerings; multi-valued keys (os) are not labels of a
  // type; DoesNotExist (`special` on some types) means the type has no such label.
  for (const auto& [key, req] : j.at("requirements").items()) {
    const std::string op = req.at("operator").get<std::string>();
    if (key == api::kLabelZone || key == api::kLabelCapacityType) continue;
    if (op == "DoesNotExist") continue;
    if (op != "In") {
      return Invalid(StrCat("instance type ", it.name),
                     StrCat("unexpected operator ", op, " on ", key));
    }
    const json& values = req.at("values");
    if (values.size() == 1) it.labels.emplace(key, values[0].get<std::string>());
  }
  for (const json& o : j.at("offerings")) {
    cloudprovider::Offering offering;
    offering.zone = o.at("zone").get<std::string>();
    offering.capacity_type = o.at("capacity_type").get<std::string>();
    offering.price = o.at("price").get<double>();
    offering.available = o.at("available").get<bool>();
    it.offerings.push_back(std::move(offering));
  }
  return it;
}

absl::StatusOr<KarpenterPodRow> PodRowFrom(const json& row) {
  if (!row.is_array() || row.size() != 6) return absl::InvalidArgumentError("not a 6-element row");
  KarpenterPodRow r;
  r.kind = row[0].get<std::string>();
  r.labels = StringMapFrom(row[1]);
  r.selector = StringMapFrom(row[2]);
  r.cpu_millis = row[3].get<int64_t>();
  r.memory_mib = row[4].get<int64_t>();
  r.namespace_ = row[5].get<std::string>();
  return r;
}

absl::StatusOr<KarpenterBenchData> Parse(const json& root) {
  KarpenterBenchData data;
  auto types = std::make_shared<cloudprovider::InstanceTypes>();
  for (const json& t : root.at("instance_types")) {
    ASSIGN_OR_RETURN(cloudprovider::InstanceType it, InstanceTypeFrom(t));
    types->push_back(std::move(it));
  }
  data.instance_types = std::move(types);
  for (const auto& [name, rows] : root.at("workloads").items()) {
    std::vector<KarpenterPodRow> pods;
    pods.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      auto row = PodRowFrom(rows[i]);
      if (!row.ok())
        return Invalid(StrCat("workload ", name, " row ", i), ToStd(row.status().message()));
      pods.push_back(*std::move(row));
    }
    data.workloads.emplace(name, std::move(pods));
  }
  for (const auto& [name, r] : root.at("karpenter_results_on_these_pods").items()) {
    data.results.emplace(
        name, KarpenterResult{
                  .pods = r.at("pods").get<int64_t>(),
                  .nodes = r.at("nodes").get<int64_t>(),
                  .cost_per_hour = r.at("sum_of_cheapest_option_price").get<double>(),
                  .solve_seconds_single_run = r.at("solve_seconds_single_run").get<double>(),
              });
  }
  return data;
}

api::LabelSelector MatchLabels(api::StringMap labels) {
  api::LabelSelector s;
  s.match_labels = std::move(labels);
  return s;
}

api::PodAffinityTerm AffinityTerm(api::StringMap match_labels, std::string_view topology_key) {
  api::PodAffinityTerm t;
  t.label_selector = MatchLabels(std::move(match_labels));
  t.topology_key = std::string(topology_key);
  return t;
}

}  // namespace

std::string DefaultKarpenterBenchDataPath() { return JOINERY_KARPENTER_BENCH_DATA; }

std::string BenchCreationTimestamp(size_t index) {
  const absl::Time t =
      absl::FromUnixSeconds(1704067200 + static_cast<int64_t>(index));  // 2024-01-01
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string BenchUid(std::string_view prefix, size_t index) {
  // UUID-shaped and fixed-width, so UIDs also sort in index order.
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%012zu", index);
  return StrCat(prefix, "-0000-4000-8000-", buf);
}

absl::StatusOr<KarpenterBenchData> ParseKarpenterBench(std::string_view json_text) {
  // nlohmann reports both syntax and type errors by exception; none leaves this function.
  try {
    return Parse(json::parse(json_text));
  } catch (const json::exception& e) {
    return Invalid("workload.json", e.what());
  }
}

absl::StatusOr<KarpenterBenchData> LoadKarpenterBench(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  auto data = ParseKarpenterBench(text.str());
  if (!data.ok()) return Annotate(data.status(), path);
  return data;
}

api::NodePool KarpenterBenchNodePool() {
  api::NodePool np;
  np.metadata.name = "default";
  np.template_.spec.node_class_ref = {"karpenter.k8s.aws", "EC2NodeClass", "default"};
  constexpr int64_t kMaxMemoryGi = std::numeric_limits<int64_t>::max() / 1000 / kGiB;  // 8589934
  np.limits = {
      {std::string(api::kResourceCPU), Quantity::FromUnits(10'000'000)},
      {std::string(api::kResourceMemory), Bytes(kMaxMemoryGi * kGiB)},
  };
  return np;
}

absl::StatusOr<api::Pod> KarpenterBenchPod(const KarpenterPodRow& row, std::string_view workload,
                                           size_t index) {
  api::Pod pod;
  pod.metadata.name = StrCat(workload, "-", index);
  pod.metadata.namespace_ = row.namespace_;
  pod.metadata.uid = BenchUid("6b617270", index);  // "karp"
  pod.metadata.creation_timestamp = BenchCreationTimestamp(index);
  pod.metadata.labels = row.labels;
  api::Container c;
  c.name = "app";
  c.resources.requests = {
      {std::string(api::kResourceCPU), Quantity::FromMilli(row.cpu_millis)},
      {std::string(api::kResourceMemory), Bytes(row.memory_mib * kMiB)},
  };
  pod.spec.containers.push_back(std::move(c));

  const std::string_view kind = row.kind;
  auto key_after = [&](std::string_view prefix) -> std::optional<std::string> {
    if (kind.size() > prefix.size() && kind.substr(0, prefix.size()) == prefix) {
      return std::string(kind.substr(prefix.size()));
    }
    return std::nullopt;
  };
  if (kind == "generic") {
    // no constraints
  } else if (auto key = key_after("spread:")) {
    api::TopologySpreadConstraint tsc;
    tsc.max_skew = 1;
    tsc.topology_key = *key;
    tsc.when_unsatisfiable = "DoNotSchedule";
    tsc.label_selector = MatchLabels(row.selector);
    pod.spec.topology_spread_constraints.push_back(std::move(tsc));
  } else if (auto key = key_after("affinity:")) {
    // Karpenter's generator uses self affinity: the selector is (part of) the pod's own labels.
    api::PodAffinity pa;
    pa.required.push_back(AffinityTerm(row.selector, *key));
    pod.spec.affinity.emplace().pod_affinity = std::move(pa);
  } else if (auto key = key_after("antiaffinity:")) {
    api::PodAffinity pa;
    pa.required.push_back(AffinityTerm(row.selector, *key));
    pod.spec.affinity.emplace().pod_anti_affinity = std::move(pa);
  } else if (kind == "preference") {
    api::Affinity& aff = pod.spec.affinity.emplace();
    api::NodeAffinity na;
    api::PreferredSchedulingTerm pref;
    pref.weight = 1;
    api::NodeSelectorRequirement zone;
    zone.key = std::string(api::kLabelZone);
    zone.operator_ = "In";
    zone.values = {"test-zone-1"};
    pref.preference.match_expressions.push_back(std::move(zone));
    na.preferred.push_back(std::move(pref));
    aff.node_affinity = std::move(na);
    api::PodAffinity anti;
    for (const auto& [weight, key] :
         {std::pair<int32_t, std::string_view>{10, api::kLabelZone},
          std::pair<int32_t, std::string_view>{1, api::kLabelHostname}}) {
      api::WeightedPodAffinityTerm term;
      term.weight = weight;
      term.pod_affinity_term = AffinityTerm({{"app", "nginx"}}, key);
      anti.preferred.push_back(std::move(term));
    }
    aff.pod_anti_affinity = std::move(anti);
  } else {
    return Invalid(StrCat("workload ", workload, " row ", index), StrCat("unknown kind ", kind));
  }
  return pod;
}

absl::StatusOr<solver::Snapshot> KarpenterBenchSnapshot(const KarpenterBenchData& data,
                                                        std::string_view workload,
                                                        size_t max_pods) {
  auto it = data.workloads.find(workload);
  if (it == data.workloads.end()) {
    return absl::NotFoundError(StrCat("karpenter-bench: no workload ", workload));
  }
  solver::Snapshot snap;
  snap.instance_types = data.instance_types;
  snap.node_pools = {KarpenterBenchNodePool()};
  snap.options.preference_policy = workload == "preference_4000_ignore"
                                       ? solver::PreferencePolicy::kIgnore
                                       : solver::PreferencePolicy::kRespect;
  const size_t n = std::min(max_pods, it->second.size());
  snap.pods.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(api::Pod pod, KarpenterBenchPod(it->second[i], workload, i));
    snap.pods.push_back(std::move(pod));
  }
  return snap;
}

}  // namespace joinery::bench
