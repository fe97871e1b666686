// Unit tests of toleration matching and the taint check the scheduler applies to NodePool taints.
#include "joinery/scheduling/taints.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace joinery::scheduling {
namespace {

using ::testing::HasSubstr;

api::Taint Taint(std::string key, std::string value, std::string effect) {
  return {.key = std::move(key), .value = std::move(value), .effect = std::move(effect)};
}

api::Toleration Tol(std::string key, std::string op, std::string value = "", std::string effect = "") {
  api::Toleration t;
  t.key = std::move(key);
  t.operator_ = std::move(op);
  t.value = std::move(value);
  t.effect = std::move(effect);
  return t;
}

TEST(ToleratesTest, EqualMatchesKeyAndValue) {
  api::Taint taint = Taint("gpu", "true", "NoSchedule");
  EXPECT_TRUE(Tolerates(Tol("gpu", "Equal", "true"), taint));
  EXPECT_FALSE(Tolerates(Tol("gpu", "Equal", "false"), taint));
  EXPECT_FALSE(Tolerates(Tol("other", "Equal", "true"), taint));
}

TEST(ToleratesTest, EmptyOperatorMeansEqual) {
  api::Taint taint = Taint("gpu", "true", "NoSchedule");
  EXPECT_TRUE(Tolerates(Tol("gpu", "", "true"), taint));
  EXPECT_FALSE(Tolerates(Tol("gpu", "", "yes"), taint));
}

TEST(ToleratesTest, ExistsIgnoresTheValue) {
  EXPECT_TRUE(Tolerates(Tol("gpu", "Exists"), Taint("gpu", "anything", "NoSchedule")));
  EXPECT_TRUE(Tolerates(Tol("gpu", "Exists"), Taint("gpu", "", "NoExecute")));
  EXPECT_FALSE(Tolerates(Tol("gpu", "Exists"), Taint("cpu", "", "NoSchedule")));
}

TEST(ToleratesTest, EmptyKeyWithExistsMatchesEveryTaint) {
  api::Toleration all = Tol("", "Exists");
  EXPECT_TRUE(Tolerates(all, Taint("a", "b", "NoSchedule")));
  EXPECT_TRUE(Tolerates(all, Taint("c", "", "NoExecute")));
  EXPECT_TRUE(Tolerates(all, Taint("d", "e", "PreferNoSchedule")));
}

TEST(ToleratesTest, EmptyKeyWithEqualMatchesNothing) {
  EXPECT_FALSE(Tolerates(Tol("", "Equal"), Taint("a", "", "NoSchedule")));
}

TEST(ToleratesTest, EffectMustMatchWhenGiven) {
  api::Taint taint = Taint("gpu", "true", "NoSchedule");
  EXPECT_TRUE(Tolerates(Tol("gpu", "Exists", "", "NoSchedule"), taint));
  EXPECT_FALSE(Tolerates(Tol("gpu", "Exists", "", "NoExecute"), taint));
  EXPECT_TRUE(Tolerates(Tol("gpu", "Exists", "", ""), taint));
  EXPECT_TRUE(Tolerates(Tol("", "Exists", "", "PreferNoSchedule"), Taint("x", "", "PreferNoSchedule")));
  EXPECT_FALSE(Tolerates(Tol("", "Exists", "", "PreferNoSchedule"), Taint("x", "", "NoSchedule")));
}

TEST(ToleratesAllTest, AnyMatchingTolerationSuffices) {
  std::vector<api::Toleration> tols = {Tol("a", "Equal", "1"), Tol("gpu", "Exists")};
  EXPECT_TRUE(ToleratesAll(tols, Taint("gpu", "x", "NoSchedule")));
  EXPECT_FALSE(ToleratesAll(tols, Taint("b", "x", "NoSchedule")));
  EXPECT_FALSE(ToleratesAll({}, Taint("b", "x", "NoSchedule")));
}

TEST(CheckTaintsTest, NoTaintsIsAlwaysOk) { EXPECT_TRUE(CheckTaints({}, {}).ok()); }

TEST(CheckTaintsTest, ReportsEachUntoleratedTaint) {
  std::vector<api::Taint> taints = {Taint("key", "value", "NoSchedule"), Taint("ok", "", "NoExecute"),
                                    Taint("bare", "", "NoExecute")};
  absl::Status s = CheckTaints(taints, {Tol("ok", "Exists")});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "did not tolerate taint=key=value:NoSchedule; did not tolerate taint=bare:NoExecute");
}

TEST(CheckTaintsTest, RequiresToleratingPreferNoScheduleToo) {
  // The caller relaxes PreferNoSchedule by adding a toleration; CheckTaints itself is strict.
  absl::Status s = CheckTaints({Taint("soft", "", "PreferNoSchedule")}, {});
  EXPECT_THAT(s.message(), HasSubstr("did not tolerate taint=soft:PreferNoSchedule"));
  EXPECT_TRUE(CheckTaints({Taint("soft", "", "PreferNoSchedule")},
                          {Tol("", "Exists", "", "PreferNoSchedule")})
                  .ok());
}

TEST(TaintToStringTest, OmitsAnEmptyValue) {
  EXPECT_EQ(TaintToString(Taint("k", "v", "NoSchedule")), "k=v:NoSchedule");
  EXPECT_EQ(TaintToString(Taint("k", "", "NoExecute")), "k:NoExecute");
}

}  // namespace
}  // namespace joinery::scheduling
