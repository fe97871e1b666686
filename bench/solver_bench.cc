// Benchmarks of Solve on simple pods against the full embedded AWS catalog (1,366 instance types,
// three zones, on-demand and simulated spot offerings). Reports pods per second, the number of
// NodeClaims and the plan's cost per hour next to the time.
//
// Run: make bench (Release build). Smoke-run in the test suite with a tiny --benchmark_min_time.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "joinery/api/types.h"
#include "joinery/cloudprovider/catalog.h"
#include "joinery/common/strings.h"
#include "joinery/solver/solver.h"

namespace joinery {
namespace {

std::shared_ptr<const cloudprovider::InstanceTypes> Catalog() {
  static auto catalog = [] {
    auto c = cloudprovider::EmbeddedCatalog({});
    if (!c.ok()) std::abort();  // the embedded data is part of the build
    return std::make_shared<const cloudprovider::InstanceTypes>(*std::move(c));
  }();
  return catalog;
}

api::NodePool DefaultNodePool() {
  api::NodePool np;
  np.metadata.name = "default";
  np.template_.spec.node_class_ref = {"karpenter.k8s.aws", "EC2NodeClass", "default"};
  np.template_.spec.requirements = {
      {.key = "karpenter.sh/capacity-type", .operator_ = "In", .values = {"on-demand"}, .min_values = {}},
      {.key = "kubernetes.io/arch", .operator_ = "In", .values = {"amd64"}, .min_values = {}},
  };
  return np;
}

// `n` pods in workloads of 10 identical replicas, with requests drawn deterministically from the
// shapes Karpenter's benchmark uses.
std::vector<api::Pod> SimplePods(int n) {
  static constexpr int64_t kCpu[] = {100, 250, 500, 1000, 1500};
  static constexpr int64_t kMemMi[] = {100, 256, 512, 1024, 2048, 4096};
  std::vector<api::Pod> pods;
  pods.reserve(n);
  uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  int64_t cpu = 0, mem = 0;
  for (int i = 0; i < n; ++i) {
    if (i % 10 == 0) {
      cpu = kCpu[next() % 5];
      mem = kMemMi[next() % 6];
    }
    api::Pod p;
    p.metadata.name = StrCat("app-", i / 10, "-", i % 10);
    p.metadata.namespace_ = "default";
    p.metadata.labels = {{"app", StrCat("app-", i / 10)}};
    api::Container c;
    c.name = "main";
    c.resources.requests = {
        {"cpu", Quantity::FromMilli(cpu)},
        {"memory", Quantity::FromUnits(mem * 1024 * 1024, Quantity::Format::kBinarySI)}};
    p.spec.containers.push_back(std::move(c));
    pods.push_back(std::move(p));
  }
  return pods;
}

void BM_SolveSimplePods(benchmark::State& state) {
  solver::Snapshot snap;
  snap.instance_types = Catalog();
  snap.node_pools = {DefaultNodePool()};
  snap.pods = SimplePods(static_cast<int>(state.range(0)));
  size_t nodes = 0;
  double cost = 0;
  size_t unschedulable = 0;
  for (auto _ : state) {
    auto plan = solver::Solve(snap);
    if (!plan.ok()) {
      state.SkipWithError("Solve failed");
      return;
    }
    nodes = plan->node_claims.size();
    cost = plan->cost_per_hour;
    unschedulable = plan->unschedulable.size();
    benchmark::DoNotOptimize(plan);
  }
  state.counters["pods/s"] = benchmark::Counter(static_cast<double>(state.range(0)),
                                                benchmark::Counter::kIsIterationInvariantRate);
  state.counters["nodes"] = static_cast<double>(nodes);
  state.counters["cost/h"] = cost;
  state.counters["unschedulable"] = static_cast<double>(unschedulable);
}
BENCHMARK(BM_SolveSimplePods)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace joinery

BENCHMARK_MAIN();
