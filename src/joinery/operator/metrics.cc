#include "joinery/operator/metrics.h"

#include <sstream>
#include <utility>
#include <vector>

#include "prometheus/text_serializer.h"

namespace joinery::op {
namespace {

// Karpenter's metrics.DurationBuckets() (controller-runtime's thresholds), in seconds.
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
      0.7,   0.8,  0.9,   1.0,  1.25, 1.5,  1.75, 2.0,  2.5, 3.0,  3.5, 4.0,  4.5, 5,
      6,     7,    8,     9,    10,   15,   20,   25,   30,  40,   50,  60};
  return *buckets;
}

std::string S(std::string_view v) { return std::string(v); }

}  // namespace

Metrics::Metrics(std::string provider)
    : provider_(std::move(provider)),
      registry_(std::make_shared<prometheus::Registry>()),
      scheduling_duration_(prometheus::BuildHistogram()
                               .Name("karpenter_scheduler_scheduling_duration_seconds")
                               .Help("Duration of scheduling simulations used for deprovisioning "
                                     "and provisioning in seconds.")
                               .Register(*registry_)),
      queue_depth_(prometheus::BuildGauge()
                       .Name("karpenter_scheduler_queue_depth")
                       .Help("The number of pods currently waiting to be scheduled.")
                       .Register(*registry_)),
      unschedulable_pods_(prometheus::BuildGauge()
                              .Name("karpenter_scheduler_unschedulable_pods_count")
                              .Help("The number of unschedulable Pods.")
                              .Register(*registry_)),
      pending_pods_(prometheus::BuildGauge()
                        .Name("joinery_pods_pending")
                        .Help("Pending pods that the provisioner may create capacity for.")
                        .Register(*registry_)),
      nodeclaims_created_(prometheus::BuildCounter()
                              .Name("karpenter_nodeclaims_created_total")
                              .Help("Number of nodeclaims created in total by Karpenter. Labeled "
                                    "by reason the nodeclaim was created and the owning nodepool.")
                              .Register(*registry_)),
      nodeclaims_launched_(prometheus::BuildCounter()
                               .Name("karpenter_nodeclaims_launched_total")
                               .Help("Number of nodeclaims launched in total by Karpenter. Labeled "
                                     "by the owning nodepool.")
                               .Register(*registry_)),
      nodeclaims_registered_(prometheus::BuildCounter()
                                 .Name("karpenter_nodeclaims_registered_total")
                                 .Help("Number of nodeclaims registered in total by Karpenter. "
                                       "Labeled by the owning nodepool.")
                                 .Register(*registry_)),
      nodeclaims_initialized_(prometheus::BuildCounter()
                                  .Name("karpenter_nodeclaims_initialized_total")
                                  .Help("Number of nodeclaims initialized in total by Karpenter. "
                                        "Labeled by the owning nodepool.")
                                  .Register(*registry_)),
      nodeclaims_terminated_(prometheus::BuildCounter()
                                 .Name("karpenter_nodeclaims_terminated_total")
                                 .Help("Number of nodeclaims terminated in total by Karpenter. "
                                       "Labeled by the owning nodepool.")
                                 .Register(*registry_)),
      nodeclaims_disrupted_(prometheus::BuildCounter()
                                .Name("karpenter_nodeclaims_disrupted_total")
                                .Help("Number of nodeclaims disrupted in total by Karpenter. "
                                      "Labeled by reason the nodeclaim was disrupted and the "
                                      "owning nodepool.")
                                .Register(*registry_)),
      nodes_created_(prometheus::BuildCounter()
                         .Name("karpenter_nodes_created_total")
                         .Help("Number of nodes created in total by Karpenter. Labeled by owning "
                               "nodepool.")
                         .Register(*registry_)),
      nodes_terminated_(prometheus::BuildCounter()
                            .Name("karpenter_nodes_terminated_total")
                            .Help("Number of nodes terminated in total by Karpenter. Labeled by "
                                  "owning nodepool.")
                            .Register(*registry_)),
      nodepool_usage_(prometheus::BuildGauge()
                          .Name("karpenter_nodepools_usage")
                          .Help("The amount of resources that have been provisioned for a "
                                "nodepool. Labeled by nodepool name and resource type.")
                          .Register(*registry_)),
      nodepool_limit_(prometheus::BuildGauge()
                          .Name("karpenter_nodepools_limit")
                          .Help("Limits specified on the nodepool that restrict the quantity of "
                                "resources provisioned. Labeled by nodepool name and resource "
                                "type.")
                          .Register(*registry_)),
      nodepool_allowed_disruptions_(prometheus::BuildGauge()
                                        .Name("karpenter_nodepools_allowed_disruptions")
                                        .Help("The number of nodes for a given NodePool that can "
                                              "be concurrently disrupting at a point in time. "
                                              "Labeled by NodePool and reason.")
                                        .Register(*registry_)),
      cloudprovider_duration_(prometheus::BuildHistogram()
                                  .Name("karpenter_cloudprovider_duration_seconds")
                                  .Help("Duration of cloud provider method calls. Labeled by the "
                                        "controller, method name and provider.")
                                  .Register(*registry_)),
      cloudprovider_errors_(prometheus::BuildCounter()
                                .Name("karpenter_cloudprovider_errors_total")
                                .Help("Total number of errors returned from CloudProvider calls.")
                                .Register(*registry_)) {}

prometheus::Histogram& Metrics::SchedulingDuration(std::string_view controller) {
  return scheduling_duration_.Add({{"controller", S(controller)}}, DurationBuckets());
}
prometheus::Gauge& Metrics::QueueDepth(std::string_view controller) {
  return queue_depth_.Add({{"controller", S(controller)}});
}
prometheus::Gauge& Metrics::UnschedulablePods(std::string_view controller) {
  return unschedulable_pods_.Add({{"controller", S(controller)}});
}
prometheus::Gauge& Metrics::PendingPods() { return pending_pods_.Add({}); }

prometheus::Counter& Metrics::NodeClaimsCreated(std::string_view nodepool, std::string_view reason,
                                                bool min_values_relaxed) {
  return nodeclaims_created_.Add({{"nodepool", S(nodepool)},
                                  {"reason", S(reason)},
                                  {"min_values_relaxed", min_values_relaxed ? "true" : "false"}});
}
prometheus::Counter& Metrics::NodeClaimsLaunched(std::string_view nodepool) {
  return nodeclaims_launched_.Add({{"nodepool", S(nodepool)}});
}
prometheus::Counter& Metrics::NodeClaimsRegistered(std::string_view nodepool) {
  return nodeclaims_registered_.Add({{"nodepool", S(nodepool)}});
}
prometheus::Counter& Metrics::NodeClaimsInitialized(std::string_view nodepool) {
  return nodeclaims_initialized_.Add({{"nodepool", S(nodepool)}});
}
prometheus::Counter& Metrics::NodeClaimsTerminated(std::string_view nodepool,
                                                   std::string_view capacity_type) {
  return nodeclaims_terminated_.Add(
      {{"nodepool", S(nodepool)}, {"capacity_type", S(capacity_type)}});
}
prometheus::Counter& Metrics::NodeClaimsDisrupted(std::string_view reason,
                                                  std::string_view nodepool,
                                                  std::string_view capacity_type) {
  return nodeclaims_disrupted_.Add(
      {{"reason", S(reason)}, {"nodepool", S(nodepool)}, {"capacity_type", S(capacity_type)}});
}
prometheus::Counter& Metrics::NodesCreated(std::string_view nodepool) {
  return nodes_created_.Add({{"nodepool", S(nodepool)}});
}
prometheus::Counter& Metrics::NodesTerminated(std::string_view nodepool) {
  return nodes_terminated_.Add({{"nodepool", S(nodepool)}});
}

prometheus::Gauge& Metrics::NodePoolUsage(std::string_view nodepool,
                                          std::string_view resource_type) {
  return nodepool_usage_.Add({{"nodepool", S(nodepool)}, {"resource_type", S(resource_type)}});
}
prometheus::Gauge& Metrics::NodePoolLimit(std::string_view nodepool,
                                          std::string_view resource_type) {
  return nodepool_limit_.Add({{"nodepool", S(nodepool)}, {"resource_type", S(resource_type)}});
}
prometheus::Gauge& Metrics::NodePoolAllowedDisruptions(std::string_view nodepool,
                                                       std::string_view reason) {
  return nodepool_allowed_disruptions_.Add({{"nodepool", S(nodepool)}, {"reason", S(reason)}});
}

prometheus::Histogram& Metrics::CloudProviderDuration(std::string_view controller,
                                                      std::string_view method,
                                                      std::string_view provider) {
  return cloudprovider_duration_.Add(
      {{"controller", S(controller)}, {"method", S(method)}, {"provider", S(provider)}},
      DurationBuckets());
}
prometheus::Counter& Metrics::CloudProviderErrors(std::string_view controller,
                                                  std::string_view method,
                                                  std::string_view provider,
                                                  std::string_view error) {
  return cloudprovider_errors_.Add({{"controller", S(controller)},
                                    {"method", S(method)},
                                    {"provider", S(provider)},
                                    {"error", S(error)}});
}

void Metrics::CloudProviderError(std::string_view method, const absl::Status& status,
                                 std::string_view controller) {
  if (status.ok()) return;
  CloudProviderErrors(controller, method, provider_, CloudProviderErrorName(status)).Increment();
}

std::string Metrics::CloudProviderErrorName(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kResourceExhausted:
      return "InsufficientCapacityError";
    case absl::StatusCode::kNotFound:
      return "NodeClaimNotFoundError";
    case absl::StatusCode::kFailedPrecondition:
      return "NodeClassNotReadyError";
    default:
      return absl::StatusCodeToString(status.code());
  }
}

std::string Metrics::Render() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace joinery::op
