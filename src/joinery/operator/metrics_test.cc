#include "joinery/operator/metrics.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace joinery::op {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Metrics, RendersKarpenterNamesAfterUpdates) {
  Metrics m("aws");
  m.SchedulingDuration().Observe(0.2);
  m.NodeClaimsCreated("default", "provisioning").Increment();
  m.NodeClaimsLaunched("default").Increment();
  m.NodeClaimsRegistered("default").Increment();
  m.NodeClaimsInitialized("default").Increment();
  m.NodeClaimsTerminated("default", "spot").Increment();
  m.NodeClaimsDisrupted("underutilized", "default", "spot").Increment();
  m.NodesCreated("default").Increment();
  m.NodesTerminated("default").Increment();
  m.NodePoolUsage("default", "cpu").Set(8);
  m.NodePoolLimit("default", "cpu").Set(1000);
  m.NodePoolAllowedDisruptions("default", "drifted").Set(1);
  m.CloudProviderDuration("nodeclaim.lifecycle", "Create", "aws").Observe(1.5);
  m.QueueDepth().Set(3);
  m.UnschedulablePods().Set(1);
  m.SetPodsPending(7);
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE karpenter_scheduler_scheduling_duration_seconds histogram"));
  EXPECT_THAT(text, HasSubstr("karpenter_scheduler_scheduling_duration_seconds_count{controller="
                              "\"provisioner\"} 1"));
  EXPECT_THAT(text, HasSubstr("karpenter_nodeclaims_created_total{min_values_relaxed=\"false\","
                              "nodepool=\"default\",reason=\"provisioning\"} 1"));
  EXPECT_THAT(text, HasSubstr("karpenter_nodeclaims_launched_total{nodepool=\"default\"} 1"));
  EXPECT_THAT(text, HasSubstr("karpenter_nodeclaims_registered_total{nodepool=\"default\"} 1"));
  EXPECT_THAT(text, HasSubstr("karpenter_nodeclaims_initialized_total{nodepool=\"default\"} 1"));
  EXPECT_THAT(text, HasSubstr("karpenter_nodeclaims_terminated_total{capacity_type=\"spot\","
                              "nodepool=\"default\"} 1"));
  EXPECT_THAT(text, HasSubstr("karpenter_nodeclaims_disrupted_total{"));
  EXPECT_THAT(text, HasSubstr("karpenter_nodes_created_total{nodepool=\"default\"} 1"));
  EXPECT_THAT(text, HasSubstr("karpenter_nodes_terminated_total{nodepool=\"default\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("karpenter_nodepools_usage{nodepool=\"default\",resource_type=\"cpu\"} 8"));
  EXPECT_THAT(
      text,
      HasSubstr("karpenter_nodepools_limit{nodepool=\"default\",resource_type=\"cpu\"} 1000"));
  EXPECT_THAT(text, HasSubstr("karpenter_nodepools_allowed_disruptions{nodepool=\"default\","
                              "reason=\"drifted\"} 1"));
  EXPECT_THAT(text, HasSubstr("karpenter_cloudprovider_duration_seconds_bucket{controller="
                              "\"nodeclaim.lifecycle\",method=\"Create\",provider=\"aws\",le="
                              "\"1.5\"} 1"));
  EXPECT_THAT(text, HasSubstr("karpenter_scheduler_queue_depth{controller=\"provisioner\"} 3"));
  EXPECT_THAT(text, HasSubstr("karpenter_scheduler_unschedulable_pods_count{controller="
                              "\"provisioner\"} 1"));
  EXPECT_THAT(text, HasSubstr("joinery_pods_pending 7"));
}

TEST(Metrics, SameLabelsShareOneSeries) {
  Metrics m;
  m.NodeClaimCreated("default");
  m.NodeClaimCreated("default");
  m.NodeClaimCreated("gpu", "drifted");
  EXPECT_EQ(m.NodeClaimsCreated("default", "provisioning").Value(), 2);
  EXPECT_EQ(m.NodeClaimsCreated("gpu", "drifted").Value(), 1);
  EXPECT_EQ(&m.NodeClaimsLaunched("a"), &m.NodeClaimsLaunched("a"));
}

TEST(Metrics, CloudProviderErrorsUseKarpenterErrorNames) {
  Metrics m("simulated");
  m.CloudProviderError("Create", absl::ResourceExhaustedError("no capacity"),
                       "nodeclaim.lifecycle");
  m.CloudProviderError("Get", absl::NotFoundError("gone"));
  m.CloudProviderError("Delete", absl::UnavailableError("throttled"));
  m.CloudProviderError("Delete", absl::OkStatus());
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("karpenter_cloudprovider_errors_total{controller="
                              "\"nodeclaim.lifecycle\",error=\"InsufficientCapacityError\","
                              "method=\"Create\",provider=\"simulated\"} 1"));
  EXPECT_THAT(text, HasSubstr("error=\"NodeClaimNotFoundError\",method=\"Get\""));
  EXPECT_THAT(text, HasSubstr("error=\"UNAVAILABLE\",method=\"Delete\""));
  EXPECT_THAT(text, Not(HasSubstr("error=\"OK\"")));
}

TEST(Metrics, ConcurrentUpdatesAreCounted) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) {
        m.NodeClaimLaunched("default");
        m.ObserveSchedulingDuration(0.01);
      }
    });
  }
  for (int i = 0; i < 20; ++i) (void)m.Render();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(m.NodeClaimsLaunched("default").Value(), 4000);
}

}  // namespace
}  // namespace joinery::op
