#include "joinery/kube/label_selector.h"

#include <gtest/gtest.h>

namespace joinery::kube {
namespace {

using nlohmann::json;

bool M(std::string_view sel, const json& labels) {
  auto s = LabelSelector::Parse(sel);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() && s->Matches(labels);
}

TEST(LabelSelectorTest, EmptyMatchesEverything) {
  EXPECT_TRUE(M("", json::object()));
  EXPECT_TRUE(M("", nullptr));
  EXPECT_TRUE(M("  ", json{{"a", "b"}}));
}

TEST(LabelSelectorTest, EqualityAndInequality) {
  json l = {{"app", "web"}, {"tier", "fe"}};
  EXPECT_TRUE(M("app=web", l));
  EXPECT_TRUE(M("app==web,tier=fe", l));
  EXPECT_FALSE(M("app=db", l));
  EXPECT_TRUE(M("app!=db", l));
  EXPECT_FALSE(M("app!=web", l));
  EXPECT_TRUE(M("missing!=x", l));  // an absent key satisfies !=
  EXPECT_FALSE(M("missing=x", l));
}

TEST(LabelSelectorTest, SetOperators) {
  json l = {{"zone", "us-east-1a"}};
  EXPECT_TRUE(M("zone in (us-east-1a, us-east-1b)", l));
  EXPECT_FALSE(M("zone in (us-east-1b)", l));
  EXPECT_TRUE(M("zone notin (us-east-1b)", l));
  EXPECT_FALSE(M("zone notin (us-east-1a,us-east-1c)", l));
  EXPECT_TRUE(M("other notin (x)", l));
  EXPECT_FALSE(M("other in (x)", l));
}

TEST(LabelSelectorTest, ExistsAndDoesNotExist) {
  json l = {{"karpenter.sh/nodepool", "default"}};
  EXPECT_TRUE(M("karpenter.sh/nodepool", l));
  EXPECT_FALSE(M("!karpenter.sh/nodepool", l));
  EXPECT_TRUE(M("!karpenter.sh/initialized", l));
  EXPECT_TRUE(M("karpenter.sh/nodepool,!x,karpenter.sh/nodepool in (default)", l));
}

TEST(LabelSelectorTest, RejectsBadSyntax) {
  EXPECT_FALSE(LabelSelector::Parse("a in (b").ok());
  EXPECT_FALSE(LabelSelector::Parse("a within (b)").ok());
  EXPECT_FALSE(LabelSelector::Parse("a=b,,c").ok());
  EXPECT_FALSE(LabelSelector::Parse("=b").ok());
  EXPECT_FALSE(LabelSelector::Parse("a=b c").ok());
}

TEST(LabelSelectorTest, ToStringRoundTrips) {
  auto s = LabelSelector::Parse("a=b,c!=d,e in (g,f),h notin (i),j,!k");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ToString(), "a=b,c!=d,e in (f,g),h notin (i),j,!k");
  auto again = LabelSelector::Parse(s->ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToString(), s->ToString());
}

TEST(LabelSelectorTest, FromMetav1LabelSelector) {
  json sel = {{"matchLabels", {{"app", "web"}}},
              {"matchExpressions",
               json::array({{{"key", "tier"}, {"operator", "In"}, {"values", {"fe", "be"}}},
                            {{"key", "canary"}, {"operator", "DoesNotExist"}}})}};
  auto s = LabelSelector::FromJson(sel);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->Matches(json{{"app", "web"}, {"tier", "be"}}));
  EXPECT_FALSE(s->Matches(json{{"app", "web"}, {"tier", "be"}, {"canary", "1"}}));
  EXPECT_FALSE(s->Matches(json{{"app", "web"}}));
  EXPECT_TRUE(LabelSelector::FromJson(nullptr)->Matches(json{{"x", "y"}}));
  EXPECT_FALSE(LabelSelector::FromJson(json{{"matchExpressions", json::array({{{"key", "a"},
                                                                               {"operator", "Gt"}}})}})
                   .ok());
}

}  // namespace
}  // namespace joinery::kube
