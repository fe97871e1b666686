#include "joinery/api/conditions.h"

#include "gtest/gtest.h"

namespace joinery::api {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'795'942'800);  // 2026-11-29T09:00:00Z

TEST(IsNodeReady, OnlyReadyTrue) {
  Node node;
  EXPECT_FALSE(IsNodeReady(node));
  node.conditions = {{.type = "MemoryPressure", .status = "True"}};
  EXPECT_FALSE(IsNodeReady(node));
  node.conditions.push_back({.type = "Ready", .status = "Unknown"});
  EXPECT_FALSE(IsNodeReady(node));
  node.conditions.back().status = "True";
  EXPECT_TRUE(IsNodeReady(node));
}

TEST(SetCondition, AddsWithTransitionTime) {
  std::vector<Condition> conds;
  EXPECT_TRUE(SetCondition(conds, {.type = "Ready", .status = "False", .reason = "Pending"}, kT0));
  ASSERT_EQ(conds.size(), 1u);
  EXPECT_EQ(conds[0].last_transition_time, "2026-11-29T09:00:00Z");
  EXPECT_EQ(conds[0].reason, "Pending");
}

TEST(SetCondition, SameConditionIsNoChange) {
  std::vector<Condition> conds;
  SetCondition(conds, {.type = "Ready", .status = "True", .reason = "Ready"}, kT0);
  EXPECT_FALSE(SetCondition(conds, {.type = "Ready", .status = "True", .reason = "Ready"},
                            kT0 + absl::Minutes(1)));
  EXPECT_EQ(conds[0].last_transition_time, "2026-11-29T09:00:00Z");
}

TEST(SetCondition, ReasonChangeKeepsTransitionTime) {
  std::vector<Condition> conds;
  SetCondition(conds, {.type = "Ready", .status = "False", .reason = "A"}, kT0);
  EXPECT_TRUE(SetCondition(
      conds,
      {.type = "Ready", .status = "False", .reason = "B", .message = "m", .observed_generation = 2},
      kT0 + absl::Minutes(1)));
  EXPECT_EQ(conds[0].reason, "B");
  EXPECT_EQ(conds[0].message, "m");
  EXPECT_EQ(conds[0].observed_generation, 2);
  EXPECT_EQ(conds[0].last_transition_time, "2026-11-29T09:00:00Z");
}

TEST(SetCondition, StatusChangeMovesTransitionTime) {
  std::vector<Condition> conds;
  SetCondition(conds, {.type = "Launched", .status = "Unknown"}, kT0);
  SetCondition(conds, {.type = "Ready", .status = "False"}, kT0);
  EXPECT_TRUE(SetCondition(
      conds,
      {.type = "Ready", .status = "True", .reason = "Ready", .last_transition_time = "ignored"},
      kT0 + absl::Minutes(2)));
  ASSERT_EQ(conds.size(), 2u);
  EXPECT_EQ(conds[1].last_transition_time, "2026-11-29T09:02:00Z");
  EXPECT_EQ(conds[0].last_transition_time, "2026-11-29T09:00:00Z");
}

TEST(FindCondition, FindsByType) {
  std::vector<Condition> conds = {{.type = "Launched", .status = "True"},
                                  {.type = "Ready", .status = "False"}};
  ASSERT_NE(FindCondition(conds, "Ready"), nullptr);
  EXPECT_EQ(FindCondition(conds, "Ready")->status, "False");
  EXPECT_EQ(FindCondition(conds, "Drifted"), nullptr);
  EXPECT_TRUE(IsTrue(conds, "Launched"));
  EXPECT_FALSE(IsTrue(conds, "Ready"));
  EXPECT_FALSE(IsTrue(conds, "Drifted"));
}

TEST(RemoveCondition, RemovesOnlyThatType) {
  std::vector<Condition> conds = {{.type = "Launched", .status = "True"},
                                  {.type = "Drifted", .status = "True"}};
  EXPECT_TRUE(RemoveCondition(conds, "Drifted"));
  EXPECT_FALSE(RemoveCondition(conds, "Drifted"));
  ASSERT_EQ(conds.size(), 1u);
  EXPECT_EQ(conds[0].type, "Launched");
}

}  // namespace
}  // namespace joinery::api
