// Unit tests of pod requests as Kubernetes computes them (app containers, init containers, sidecars,
// overhead, limits defaulting requests) plus Karpenter's synthetic `pods: 1`.
#include "joinery/scheduling/resources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace joinery::scheduling {
namespace {

Quantity Q(std::string_view text) {
  auto q = Quantity::Parse(text);
  EXPECT_TRUE(q.ok()) << q.status();
  return q.ok() ? *q : Quantity();
}

api::Container C(std::string name, ResourceList requests, ResourceList limits = {},
                 std::string restart_policy = "") {
  api::Container c;
  c.name = std::move(name);
  c.resources.requests = std::move(requests);
  c.resources.limits = std::move(limits);
  c.restart_policy = std::move(restart_policy);
  return c;
}

std::string Get(const ResourceList& r, std::string_view key) {
  auto it = r.find(key);
  return it == r.end() ? "<absent>" : it->second.ToString();
}

TEST(PodRequestsTest, EmptyPodRequestsNothing) { EXPECT_TRUE(PodRequests(api::PodSpec{}).empty()); }

TEST(PodRequestsTest, SumsAppContainers) {
  api::PodSpec spec;
  spec.containers = {C("a", {{"cpu", Q("1")}, {"memory", Q("1Gi")}}),
                     C("b", {{"cpu", Q("500m")}, {"memory", Q("512Mi")}})};
  ResourceList r = PodRequests(spec);
  EXPECT_EQ(r.at("cpu").milli(), 1500);
  EXPECT_EQ(r.at("memory"), Q("1536Mi"));
}

TEST(PodRequestsTest, InitContainersTakeTheMaxNotTheSum) {
  api::PodSpec spec;
  spec.containers = {C("app", {{"cpu", Q("1")}, {"memory", Q("4Gi")}})};
  spec.init_containers = {C("init1", {{"cpu", Q("2")}, {"memory", Q("1Gi")}}),
                          C("init2", {{"cpu", Q("500m")}})};
  ResourceList r = PodRequests(spec);
  EXPECT_EQ(Get(r, "cpu"), "2");        // init1 dominates cpu
  EXPECT_EQ(r.at("memory"), Q("4Gi"));  // the app dominates memory
}

TEST(PodRequestsTest, SidecarsAddToTheAppContainers) {
  api::PodSpec spec;
  spec.containers = {C("app", {{"cpu", Q("1")}})};
  spec.init_containers = {C("proxy", {{"cpu", Q("500m")}}, {}, "Always")};
  EXPECT_EQ(PodRequests(spec).at("cpu").milli(), 1500);
}

TEST(PodRequestsTest, InitContainerAfterASidecarRunsAlongsideIt) {
  api::PodSpec spec;
  spec.containers = {C("app", {{"cpu", Q("1")}})};
  spec.init_containers = {C("proxy", {{"cpu", Q("500m")}}, {}, "Always"),
                          C("migrate", {{"cpu", Q("2")}})};
  // max(app 1 + sidecar 0.5, migrate 2 + sidecar 0.5) = 2.5
  EXPECT_EQ(PodRequests(spec).at("cpu").milli(), 2500);
}

TEST(PodRequestsTest, InitContainerBeforeASidecarDoesNotCountIt) {
  api::PodSpec spec;
  spec.containers = {C("app", {{"cpu", Q("1")}})};
  spec.init_containers = {C("migrate", {{"cpu", Q("2")}}),
                          C("proxy", {{"cpu", Q("500m")}}, {}, "Always")};
  // max(app 1 + sidecar 0.5, migrate 2) = 2
  EXPECT_EQ(PodRequests(spec).at("cpu").milli(), 2000);
}

TEST(PodRequestsTest, AddsPodOverhead) {
  api::PodSpec spec;
  spec.containers = {C("app", {{"cpu", Q("1")}})};
  spec.overhead = {{"cpu", Q("250m")}, {"memory", Q("120Mi")}};
  ResourceList r = PodRequests(spec);
  EXPECT_EQ(r.at("cpu").milli(), 1250);
  EXPECT_EQ(r.at("memory"), Q("120Mi"));
}

TEST(PodRequestsTest, OverheadIsAddedAfterTheInitMax) {
  api::PodSpec spec;
  spec.containers = {C("app", {{"cpu", Q("1")}})};
  spec.init_containers = {C("init", {{"cpu", Q("3")}})};
  spec.overhead = {{"cpu", Q("100m")}};
  EXPECT_EQ(PodRequests(spec).at("cpu").milli(), 3100);
}

TEST(PodRequestsTest, LimitWithoutRequestRequestsTheLimit) {
  api::PodSpec spec;
  spec.containers = {C("app", {}, {{"cpu", Q("2")}, {"nvidia.com/gpu", Q("1")}})};
  ResourceList r = PodRequests(spec);
  EXPECT_EQ(Get(r, "cpu"), "2");
  EXPECT_EQ(Get(r, "nvidia.com/gpu"), "1");
}

TEST(PodRequestsTest, ExplicitRequestWinsOverLimit) {
  api::PodSpec spec;
  spec.containers = {C("app", {{"cpu", Q("1")}}, {{"cpu", Q("4")}, {"memory", Q("2Gi")}})};
  ResourceList r = PodRequests(spec);
  EXPECT_EQ(Get(r, "cpu"), "1");
  EXPECT_EQ(r.at("memory"), Q("2Gi"));
}

TEST(PodRequestsTest, DoesNotIncludeThePodsSlot) {
  api::PodSpec spec;
  spec.containers = {C("app", {{"cpu", Q("1")}})};
  EXPECT_FALSE(PodRequests(spec).contains("pods"));
}

TEST(PodSchedulingRequestsTest, AddsOnePodsSlot) {
  api::PodSpec spec;
  spec.containers = {C("app", {{"cpu", Q("1")}})};
  ResourceList r = PodSchedulingRequests(spec);
  EXPECT_EQ(Get(r, "pods"), "1");
  EXPECT_EQ(Get(r, "cpu"), "1");
  EXPECT_EQ(Get(PodSchedulingRequests(api::PodSpec{}), "pods"), "1");
}

}  // namespace
}  // namespace joinery::scheduling
