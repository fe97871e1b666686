// The controller's Prometheus metrics, named as Karpenter names them so that dashboards and alerts
// written for Karpenter work unchanged (namespace `karpenter`; see docs/karpenter-reference.md).
// Joinery-only metrics are prefixed `joinery_`.
//
// Accessors return a metric for one label combination, created on first use; the reference stays
// valid for the Metrics object's lifetime. Thread-safe: accessors, updates and Render() may be
// called from any thread concurrently (prometheus-cpp families and metrics are internally locked or
// atomic). Not copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace joinery::op {

class Metrics {
 public:
  // `provider` is the provider label of the cloudprovider metrics ("aws", "simulated").
  explicit Metrics(std::string provider = "simulated");
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // ---- Scheduling (Karpenter's scheduling/metrics.go) ----

  // karpenter_scheduler_scheduling_duration_seconds{controller}: one Solve() of the provisioner.
  prometheus::Histogram& SchedulingDuration(std::string_view controller = "provisioner");
  // karpenter_scheduler_queue_depth{controller}: pods in the batch being scheduled.
  prometheus::Gauge& QueueDepth(std::string_view controller = "provisioner");
  // karpenter_scheduler_unschedulable_pods_count{controller}: pods the last Solve() could not
  // place.
  prometheus::Gauge& UnschedulablePods(std::string_view controller = "provisioner");
  // joinery_pods_pending: provisionable (pending, unbound) pods the cluster state holds. Karpenter
  // has no cluster-wide equivalent (karpenter_pods_state is one series per pod).
  prometheus::Gauge& PendingPods();

  // ---- NodeClaims and Nodes (Karpenter's pkg/metrics/metrics.go) ----

  // karpenter_nodeclaims_created_total{reason,nodepool,min_values_relaxed}; reason is
  // "provisioning" or a disruption reason ("underutilized", "drifted", ...).
  prometheus::Counter& NodeClaimsCreated(std::string_view nodepool, std::string_view reason,
                                         bool min_values_relaxed = false);
  // karpenter_nodeclaims_launched_total{nodepool}, _registered_total, _initialized_total: the
  // lifecycle steps (Karpenter before v1 exported these; still useful for launch-to-ready ratios).
  prometheus::Counter& NodeClaimsLaunched(std::string_view nodepool);
  prometheus::Counter& NodeClaimsRegistered(std::string_view nodepool);
  prometheus::Counter& NodeClaimsInitialized(std::string_view nodepool);
  // karpenter_nodeclaims_terminated_total{nodepool,capacity_type}.
  prometheus::Counter& NodeClaimsTerminated(std::string_view nodepool,
                                            std::string_view capacity_type);
  // karpenter_nodeclaims_disrupted_total{reason,nodepool,capacity_type}.
  prometheus::Counter& NodeClaimsDisrupted(std::string_view reason, std::string_view nodepool,
                                           std::string_view capacity_type);
  // karpenter_nodes_created_total{nodepool} / karpenter_nodes_terminated_total{nodepool}.
  prometheus::Counter& NodesCreated(std::string_view nodepool);
  prometheus::Counter& NodesTerminated(std::string_view nodepool);

  // ---- NodePools ----

  // karpenter_nodepools_usage{nodepool,resource_type}: sum of the pool's node capacities.
  prometheus::Gauge& NodePoolUsage(std::string_view nodepool, std::string_view resource_type);
  // karpenter_nodepools_limit{nodepool,resource_type}: spec.limits.
  prometheus::Gauge& NodePoolLimit(std::string_view nodepool, std::string_view resource_type);
  // karpenter_nodepools_allowed_disruptions{nodepool,reason}.
  prometheus::Gauge& NodePoolAllowedDisruptions(std::string_view nodepool, std::string_view reason);

  // ---- Cloud provider (Karpenter's cloudprovider/metrics decorator) ----

  // karpenter_cloudprovider_duration_seconds{controller,method,provider}.
  prometheus::Histogram& CloudProviderDuration(std::string_view controller, std::string_view method,
                                               std::string_view provider);
  // karpenter_cloudprovider_errors_total{controller,method,provider,error}; error is the error's
  // kind ("InsufficientCapacityError", "NodeClaimNotFoundError", ...), never a free-form message.
  prometheus::Counter& CloudProviderErrors(std::string_view controller, std::string_view method,
                                           std::string_view provider, std::string_view error);

  // ---- Shorthands for the common updates ----

  void SetPodsPending(int64_t pods) { PendingPods().Set(static_cast<double>(pods)); }
  void ObserveSchedulingDuration(double seconds) { SchedulingDuration().Observe(seconds); }
  void NodeClaimCreated(std::string_view nodepool, std::string_view reason = "provisioning") {
    NodeClaimsCreated(nodepool, reason).Increment();
  }
  void NodeClaimLaunched(std::string_view nodepool) { NodeClaimsLaunched(nodepool).Increment(); }
  void NodeClaimRegistered(std::string_view nodepool) {
    NodeClaimsRegistered(nodepool).Increment();
  }
  void NodeClaimInitialized(std::string_view nodepool) {
    NodeClaimsInitialized(nodepool).Increment();
  }
  void NodeClaimTerminated(std::string_view nodepool, std::string_view capacity_type = "") {
    NodeClaimsTerminated(nodepool, capacity_type).Increment();
  }
  // Counts a failed cloud provider call under this Metrics' provider, with the error named by
  // CloudProviderErrorName(status). Does nothing for an OK status.
  void CloudProviderError(std::string_view method, const absl::Status& status,
                          std::string_view controller = "");

  // Karpenter's error names for the canonical codes the CloudProvider contract uses:
  // ResourceExhausted → "InsufficientCapacityError", NotFound → "NodeClaimNotFoundError",
  // FailedPrecondition → "NodeClassNotReadyError", otherwise the code's name ("UNAVAILABLE").
  static std::string CloudProviderErrorName(const absl::Status& status);

  const std::string& provider() const { return provider_; }

  // The registry, for callers that add their own families.
  prometheus::Registry& registry() { return *registry_; }

  // Every metric in the Prometheus text exposition format (version 0.0.4).
  std::string Render() const;

 private:
  std::string provider_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Histogram>& scheduling_duration_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& unschedulable_pods_;
  prometheus::Family<prometheus::Gauge>& pending_pods_;
  prometheus::Family<prometheus::Counter>& nodeclaims_created_;
  prometheus::Family<prometheus::Counter>& nodeclaims_launched_;
  prometheus::Family<prometheus::Counter>& nodeclaims_registered_;
  prometheus::Family<prometheus::Counter>& nodeclaims_initialized_;
  prometheus::Family<prometheus::Counter>& nodeclaims_terminated_;
  prometheus::Family<prometheus::Counter>& nodeclaims_disrupted_;
  prometheus::Family<prometheus::Counter>& nodes_created_;
  prometheus::Family<prometheus::Counter>& nodes_terminated_;
  prometheus::Family<prometheus::Gauge>& nodepool_usage_;
  prometheus::Family<prometheus::Gauge>& nodepool_limit_;
  prometheus::Family<prometheus::Gauge>& nodepool_allowed_disruptions_;
  prometheus::Family<prometheus::Histogram>& cloudprovider_duration_;
  prometheus::Family<prometheus::Counter>& cloudprovider_errors_;
};

}  // namespace joinery::op
