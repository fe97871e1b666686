// Unit tests of the requirements algebra: how selector operators become sets and bounds, how
// requirements intersect, and the compatibility rules the scheduler relies on.
#include "joinery/scheduling/requirements.h"

#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "joinery/api/labels.h"

namespace joinery::scheduling {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

Requirement Make(std::string key, std::string_view op, std::vector<std::string> values = {},
                 std::optional<int> min_values = std::nullopt) {
  auto r = Requirement::Make(std::move(key), op, values, min_values);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : Requirement("invalid");
}

api::NodeSelectorRequirement Sel(std::string key, std::string op, std::vector<std::string> values = {}) {
  api::NodeSelectorRequirement r;
  r.key = std::move(key);
  r.operator_ = std::move(op);
  r.values = std::move(values);
  return r;
}

Requirements FromSelector(std::vector<api::NodeSelectorRequirement> reqs) {
  auto r = Requirements::FromSelector(reqs);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : Requirements();
}

// ---- operators → sets and bounds ----

TEST(RequirementTest, InIsAConcreteSet) {
  Requirement r = Make("zone", "In", {"b", "a"});
  EXPECT_FALSE(r.complement());
  EXPECT_THAT(r.values(), ElementsAre("a", "b"));
  EXPECT_EQ(r.Operator(), "In");
  EXPECT_TRUE(r.Has("a"));
  EXPECT_FALSE(r.Has("c"));
  EXPECT_EQ(r.Len(), 2);
}

TEST(RequirementTest, NotInIsTheComplementOfItsValues) {
  Requirement r = Make("zone", "NotIn", {"a"});
  EXPECT_TRUE(r.complement());
  EXPECT_EQ(r.Operator(), "NotIn");
  EXPECT_FALSE(r.Has("a"));
  EXPECT_TRUE(r.Has("anything-else"));
  EXPECT_EQ(r.Len(), std::numeric_limits<int64_t>::max());
}

TEST(RequirementTest, ExistsAllowsEveryValue) {
  Requirement r = Make("zone", "Exists");
  EXPECT_TRUE(r.complement());
  EXPECT_TRUE(r.values().empty());
  EXPECT_EQ(r.Operator(), "Exists");
  EXPECT_TRUE(r.Has("x"));
}

TEST(RequirementTest, DoesNotExistAllowsNoValue) {
  Requirement r = Make("zone", "DoesNotExist");
  EXPECT_TRUE(r.IsDoesNotExist());
  EXPECT_EQ(r.Operator(), "DoesNotExist");
  EXPECT_FALSE(r.Has("x"));
  EXPECT_EQ(r.Len(), 0);
}

TEST(RequirementTest, GtBecomesAnInclusiveLowerBoundOneAbove) {
  Requirement r = Make("cpu", "Gt", {"8"});
  EXPECT_EQ(r.Operator(), "Exists");
  EXPECT_THAT(r.gte(), Optional(9));
  EXPECT_FALSE(r.lte().has_value());
  EXPECT_FALSE(r.Has("8"));
  EXPECT_TRUE(r.Has("9"));
  EXPECT_TRUE(r.Has("128"));
}

TEST(RequirementTest, LtBecomesAnInclusiveUpperBoundOneBelow) {
  Requirement r = Make("cpu", "Lt", {"8"});
  EXPECT_THAT(r.lte(), Optional(7));
  EXPECT_TRUE(r.Has("7"));
  EXPECT_FALSE(r.Has("8"));
}

TEST(RequirementTest, GteAndLteSetBoundsDirectly) {
  Requirement gte = Make("cpu", "Gte", {"8"});
  Requirement lte = Make("cpu", "Lte", {"8"});
  EXPECT_THAT(gte.gte(), Optional(8));
  EXPECT_THAT(lte.lte(), Optional(8));
  EXPECT_TRUE(gte.Has("8"));
  EXPECT_TRUE(lte.Has("8"));
  EXPECT_FALSE(gte.Has("7"));
  EXPECT_FALSE(lte.Has("9"));
}

TEST(RequirementTest, NonIntegerValuesNeverSatisfyABound) {
  Requirement r = Make("cpu", "Gt", {"1"});
  EXPECT_FALSE(r.Has("large"));
  EXPECT_FALSE(r.Has(""));
}

TEST(RequirementTest, GtOfTheLargestIntegerIsDoesNotExist) {
  Requirement r = Make("cpu", "Gt", {"9223372036854775807"});
  EXPECT_TRUE(r.IsDoesNotExist());
}

TEST(RequirementTest, RejectsUnknownOperator) {
  auto r = Requirement::Make("zone", "Near", {"a"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("unsupported operator \"Near\""));
}

TEST(RequirementTest, RejectsNonIntegerBound) {
  auto r = Requirement::Make("cpu", "Gt", {"eight"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("needs an integer"));
}

TEST(RequirementTest, RejectsBoundWithSeveralValues) {
  auto r = Requirement::Make("cpu", "Lt", {"1", "2"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("single integer value"));
}

TEST(RequirementTest, KeepsMinValues) {
  Requirement r = Make("type", "In", {"a", "b", "c"}, 2);
  EXPECT_THAT(r.min_values(), Optional(2));
}

// ---- intersection ----

TEST(RequirementIntersectionTest, TwoInSetsIntersect) {
  Requirement r = Make("k", "In", {"a", "b"}).Intersection(Make("k", "In", {"b", "c"}));
  EXPECT_EQ(r.Operator(), "In");
  EXPECT_THAT(r.values(), ElementsAre("b"));
}

TEST(RequirementIntersectionTest, DisjointInSetsBecomeDoesNotExist) {
  Requirement r = Make("k", "In", {"a"}).Intersection(Make("k", "In", {"b"}));
  EXPECT_TRUE(r.IsDoesNotExist());
}

TEST(RequirementIntersectionTest, InMinusNotInIsTheSetDifference) {
  Requirement r = Make("k", "In", {"a", "b"}).Intersection(Make("k", "NotIn", {"a"}));
  EXPECT_FALSE(r.complement());
  EXPECT_THAT(r.values(), ElementsAre("b"));
  // Symmetric.
  Requirement s = Make("k", "NotIn", {"a"}).Intersection(Make("k", "In", {"a", "b"}));
  EXPECT_THAT(s.values(), ElementsAre("b"));
}

TEST(RequirementIntersectionTest, TwoNotInsUnionTheirExclusions) {
  Requirement r = Make("k", "NotIn", {"a"}).Intersection(Make("k", "NotIn", {"b"}));
  EXPECT_TRUE(r.complement());
  EXPECT_EQ(r.Operator(), "NotIn");
  EXPECT_THAT(r.values(), ElementsAre("a", "b"));
}

TEST(RequirementIntersectionTest, ExistsIsTheIdentity) {
  Requirement r = Make("k", "Exists").Intersection(Make("k", "In", {"a"}));
  EXPECT_EQ(r.Operator(), "In");
  EXPECT_THAT(r.values(), ElementsAre("a"));
}

TEST(RequirementIntersectionTest, DoesNotExistAbsorbsEverything) {
  Requirement r = Make("k", "DoesNotExist").Intersection(Make("k", "Exists"));
  EXPECT_TRUE(r.IsDoesNotExist());
}

TEST(RequirementIntersectionTest, BoundsTakeTheTighterOfEach) {
  Requirement r = Make("cpu", "Gt", {"4"}).Intersection(Make("cpu", "Lt", {"16"}));
  EXPECT_THAT(r.gte(), Optional(5));
  EXPECT_THAT(r.lte(), Optional(15));
  Requirement s = r.Intersection(Make("cpu", "Gte", {"8"}));
  EXPECT_THAT(s.gte(), Optional(8));
  EXPECT_THAT(s.lte(), Optional(15));
}

TEST(RequirementIntersectionTest, EmptyRangeBecomesDoesNotExist) {
  Requirement r = Make("cpu", "Gt", {"8"}).Intersection(Make("cpu", "Lt", {"4"}));
  EXPECT_TRUE(r.IsDoesNotExist());
  EXPECT_FALSE(r.gte().has_value());
  EXPECT_FALSE(r.lte().has_value());
}

TEST(RequirementIntersectionTest, ConcreteSetDropsValuesOutsideBoundsAndTheBounds) {
  Requirement r = Make("cpu", "In", {"2", "8", "16"}).Intersection(Make("cpu", "Gt", {"4"}));
  EXPECT_EQ(r.Operator(), "In");
  EXPECT_THAT(r.values(), ElementsAre("16", "8"));
  EXPECT_FALSE(r.gte().has_value());
}

TEST(RequirementIntersectionTest, MinValuesIsTheMaximumOfBoth) {
  Requirement a = Make("type", "In", {"a", "b", "c"}, 2);
  Requirement b = Make("type", "Exists", {}, 3);
  EXPECT_THAT(a.Intersection(b).min_values(), Optional(3));
  EXPECT_THAT(b.Intersection(a).min_values(), Optional(3));
  EXPECT_THAT(a.Intersection(Make("type", "In", {"a"})).min_values(), Optional(2));
  EXPECT_FALSE(Make("type", "In", {"a"}).Intersection(Make("type", "In", {"a"})).min_values());
}

TEST(RequirementHasIntersectionTest, InSetsOverlapOnlyWithACommonValue) {
  EXPECT_TRUE(Make("k", "In", {"a", "b"}).HasIntersection(Make("k", "In", {"b"})));
  EXPECT_FALSE(Make("k", "In", {"a"}).HasIntersection(Make("k", "In", {"b"})));
}

TEST(RequirementHasIntersectionTest, InAndNotInOfTheSameValueDoNotOverlap) {
  EXPECT_FALSE(Make("k", "In", {"a"}).HasIntersection(Make("k", "NotIn", {"a"})));
  EXPECT_FALSE(Make("k", "NotIn", {"a"}).HasIntersection(Make("k", "In", {"a"})));
  EXPECT_TRUE(Make("k", "In", {"a", "b"}).HasIntersection(Make("k", "NotIn", {"a"})));
}

TEST(RequirementHasIntersectionTest, ComplementsAlwaysOverlap) {
  EXPECT_TRUE(Make("k", "NotIn", {"a"}).HasIntersection(Make("k", "NotIn", {"b"})));
  EXPECT_TRUE(Make("k", "Exists").HasIntersection(Make("k", "NotIn", {"b"})));
}

TEST(RequirementHasIntersectionTest, DoesNotExistOverlapsNothing) {
  EXPECT_FALSE(Make("k", "DoesNotExist").HasIntersection(Make("k", "In", {"a"})));
  EXPECT_FALSE(Make("k", "DoesNotExist").HasIntersection(Make("k", "Exists")));
}

TEST(RequirementHasIntersectionTest, BoundsAreRespected) {
  Requirement gt8 = Make("cpu", "Gt", {"8"});
  EXPECT_FALSE(gt8.HasIntersection(Make("cpu", "In", {"4", "8"})));
  EXPECT_TRUE(gt8.HasIntersection(Make("cpu", "In", {"4", "16"})));
  EXPECT_FALSE(gt8.HasIntersection(Make("cpu", "Lt", {"5"})));
  EXPECT_TRUE(gt8.HasIntersection(Make("cpu", "Lt", {"10"})));
}

// ---- Any, ToString, ToSelector ----

TEST(RequirementAnyTest, InPicksTheSmallestMember) {
  EXPECT_THAT(Make("k", "In", {"b", "a"}).Any(), Optional(std::string("a")));
}

TEST(RequirementAnyTest, ComplementPicksAnIntegerWithinBoundsNotExcluded) {
  EXPECT_THAT(Make("k", "Exists").Any(), Optional(std::string("1")));
  EXPECT_THAT(Make("k", "NotIn", {"1", "2"}).Any(), Optional(std::string("3")));
  EXPECT_THAT(Make("k", "Gt", {"8"}).Any(), Optional(std::string("9")));
  auto bounded = Make("k", "Gte", {"3"}).Intersection(Make("k", "Lte", {"3"}));
  EXPECT_THAT(bounded.Any(), Optional(std::string("3")));
}

TEST(RequirementAnyTest, DoesNotExistHasNoValue) {
  EXPECT_EQ(Make("k", "DoesNotExist").Any(), std::nullopt);
}

TEST(RequirementToStringTest, PrintsKeyOperatorAndValues) {
  EXPECT_EQ(Make("key", "In", {"b", "a"}).ToString(), "key In [a b]");
  EXPECT_EQ(Make("key", "NotIn", {"a"}).ToString(), "key NotIn [a]");
  EXPECT_EQ(Make("key", "Exists").ToString(), "key Exists");
  EXPECT_EQ(Make("key", "DoesNotExist").ToString(), "key DoesNotExist");
}

TEST(RequirementToStringTest, PrintsBoundsAndMinValues) {
  EXPECT_EQ(Make("cpu", "Gt", {"8"}).ToString(), "cpu Exists >=9");
  EXPECT_EQ(Make("cpu", "Gte", {"2"}).Intersection(Make("cpu", "Lt", {"8"})).ToString(),
            "cpu Exists >=2 <=7");
  EXPECT_EQ(Make("t", "In", {"a"}, 1).ToString(), "t In [a] minValues 1");
}

TEST(RequirementToStringTest, ShowsAtMostFiveValues) {
  EXPECT_EQ(Make("k", "In", {"1", "2", "3", "4", "5", "6", "7"}).ToString(),
            "k In [1 2 3 4 5 and 2 others]");
}

TEST(RequirementToSelectorTest, BoundsBecomeGteAndLteEntries) {
  auto sel = Make("cpu", "Gt", {"8"}).Intersection(Make("cpu", "Lt", {"64"})).ToSelector();
  ASSERT_EQ(sel.size(), 2u);
  EXPECT_EQ(sel[0].operator_, "Gte");
  EXPECT_THAT(sel[0].values, ElementsAre("9"));
  EXPECT_EQ(sel[1].operator_, "Lte");
  EXPECT_THAT(sel[1].values, ElementsAre("63"));
}

TEST(RequirementToSelectorTest, SetsRoundTrip) {
  auto sel = Make("k", "NotIn", {"a"}).ToSelector();
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_EQ(sel[0].key, "k");
  EXPECT_EQ(sel[0].operator_, "NotIn");
  EXPECT_THAT(sel[0].values, ElementsAre("a"));
}

// ---- Requirements ----

TEST(RequirementsTest, AbsentKeyIsExists) {
  Requirements r;
  EXPECT_FALSE(r.Has("zone"));
  EXPECT_EQ(r.Get("zone").Operator(), "Exists");
  EXPECT_EQ(r.Find("zone"), nullptr);
}

TEST(RequirementsTest, AddIntersectsTheSameKey) {
  Requirements r = FromSelector({Sel("k", "In", {"a", "b"}), Sel("k", "In", {"b", "c"})});
  EXPECT_THAT(r.Get("k").values(), ElementsAre("b"));
}

TEST(RequirementsTest, NormalizesBetaLabelKeys) {
  Requirements r = FromSelector({Sel("beta.kubernetes.io/arch", "In", {"arm64"}),
                                 Sel("failure-domain.beta.kubernetes.io/zone", "In", {"a"})});
  EXPECT_TRUE(r.Has(api::kLabelArch));
  EXPECT_TRUE(r.Has(api::kLabelZone));
  EXPECT_FALSE(r.Has("beta.kubernetes.io/arch"));
  Requirements l = Requirements::FromLabels({{"beta.kubernetes.io/instance-type", "m5.large"},
                                             {"failure-domain.beta.kubernetes.io/region", "r"},
                                             {"beta.kubernetes.io/os", "linux"}});
  EXPECT_TRUE(l.Get(api::kLabelInstanceType).Has("m5.large"));
  EXPECT_TRUE(l.Get(api::kLabelRegion).Has("r"));
  EXPECT_TRUE(l.Get(api::kLabelOS).Has("linux"));
}

TEST(RequirementsTest, FromSelectorReportsBadOperators) {
  auto r = Requirements::FromSelector({Sel("k", "Maybe", {"a"})});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RequirementsTest, FromLabelsMakesSingleValuedInRequirements) {
  Requirements r = Requirements::FromLabels({{"team", "ml"}});
  EXPECT_EQ(r.Get("team").ToString(), "team In [ml]");
}

TEST(RequirementsTest, LabelsAreTheSingleValuedKeys) {
  Requirements r = FromSelector(
      {Sel("a", "In", {"x"}), Sel("b", "In", {"x", "y"}), Sel("c", "Exists"), Sel("d", "NotIn", {"z"})});
  api::StringMap labels = r.Labels();
  EXPECT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels["a"], "x");
}

TEST(RequirementsTest, ToStringJoinsInKeyOrder) {
  Requirements r = FromSelector({Sel("b", "Exists"), Sel("a", "In", {"x"})});
  EXPECT_EQ(r.ToString(), "a In [x], b Exists");
}

TEST(RequirementsTest, EraseRemovesAKey) {
  Requirements r = FromSelector({Sel("a", "In", {"x"})});
  r.Erase("a");
  EXPECT_TRUE(r.empty());
}

TEST(RequirementsIntersectsTest, MissingKeysOnEitherSideAreFine) {
  Requirements ours = FromSelector({Sel("a", "In", {"x"})});
  Requirements theirs = FromSelector({Sel("b", "In", {"y"})});
  EXPECT_TRUE(ours.Intersects(theirs).ok());
}

TEST(RequirementsIntersectsTest, ConflictingValuesAreReportedInKarpentersWords) {
  Requirements ours = FromSelector({Sel("zone", "In", {"a"})});
  Requirements theirs = FromSelector({Sel("zone", "In", {"b"})});
  absl::Status s = ours.Intersects(theirs);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "key zone, zone In [b] not in zone In [a]");
}

TEST(RequirementsIntersectsTest, TwoNegativeOperatorsNeverConflict) {
  Requirements ours = FromSelector({Sel("gpu", "DoesNotExist")});
  EXPECT_TRUE(ours.Intersects(FromSelector({Sel("gpu", "DoesNotExist")})).ok());
  EXPECT_TRUE(ours.Intersects(FromSelector({Sel("gpu", "NotIn", {"a100"})})).ok());
  Requirements notin = FromSelector({Sel("gpu", "NotIn", {"a"})});
  EXPECT_TRUE(notin.Intersects(FromSelector({Sel("gpu", "DoesNotExist")})).ok());
}

TEST(RequirementsIntersectsTest, DoesNotExistConflictsWithIn) {
  Requirements ours = FromSelector({Sel("gpu", "DoesNotExist")});
  EXPECT_FALSE(ours.Intersects(FromSelector({Sel("gpu", "In", {"a100"})})).ok());
  EXPECT_FALSE(ours.Intersects(FromSelector({Sel("gpu", "Exists")})).ok());
}

TEST(RequirementsCompatibleTest, RejectsUndefinedCustomLabel) {
  Requirements ours = FromSelector({Sel(std::string(api::kLabelArch), "In", {"amd64"})});
  Requirements pod = FromSelector({Sel("x", "In", {"y"})});
  absl::Status s = ours.Compatible(pod, api::WellKnownLabels());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("label \"x\" does not have known values"));
}

TEST(RequirementsCompatibleTest, SuggestsACloseKeyForATypo) {
  Requirements ours = FromSelector({Sel("team", "In", {"ml"})});
  Requirements pod = FromSelector({Sel("taem", "In", {"ml"})});
  absl::Status s = ours.Compatible(pod, api::WellKnownLabels());
  EXPECT_THAT(s.message(), HasSubstr("label \"taem\" does not have known values (typo of \"team\"?)"));
}

TEST(RequirementsCompatibleTest, AllowsUndefinedWellKnownLabels) {
  Requirements ours;
  Requirements pod = FromSelector({Sel(std::string(api::kLabelArch), "In", {"arm64"}),
                                   Sel(std::string(api::kLabelZone), "In", {"us-east-1a"})});
  EXPECT_TRUE(ours.Compatible(pod, api::WellKnownLabels()).ok());
}

TEST(RequirementsCompatibleTest, AllowsNegativeOperatorsOnUndefinedCustomLabels) {
  Requirements ours;
  Requirements pod = FromSelector({Sel("team", "NotIn", {"ml"}), Sel("dedicated", "DoesNotExist")});
  EXPECT_TRUE(ours.Compatible(pod, api::WellKnownLabels()).ok());
}

TEST(RequirementsCompatibleTest, AcceptsCustomLabelOfferedByTheNode) {
  Requirements ours = Requirements::FromLabels({{"team", "ml"}});
  EXPECT_TRUE(ours.Compatible(Requirements::FromLabels({{"team", "ml"}}), api::WellKnownLabels()).ok());
  absl::Status s = ours.Compatible(Requirements::FromLabels({{"team", "web"}}), api::WellKnownLabels());
  EXPECT_THAT(s.message(), HasSubstr("key team, team In [web] not in team In [ml]"));
}

TEST(RequirementsCompatibleTest, StillChecksValuesOfDefinedKeys) {
  Requirements ours = FromSelector({Sel(std::string(api::kLabelArch), "In", {"amd64"})});
  Requirements pod = FromSelector({Sel(std::string(api::kLabelArch), "In", {"arm64"})});
  EXPECT_FALSE(ours.Compatible(pod, api::WellKnownLabels()).ok());
}

// ---- label selectors ----

TEST(SelectorMatchesTest, MatchLabelsMustAllBePresentAndEqual) {
  api::LabelSelector s;
  s.match_labels = {{"app", "web"}, {"tier", "front"}};
  EXPECT_TRUE(SelectorMatches(s, {{"app", "web"}, {"tier", "front"}, {"x", "y"}}));
  EXPECT_FALSE(SelectorMatches(s, {{"app", "web"}}));
  EXPECT_FALSE(SelectorMatches(s, {{"app", "web"}, {"tier", "back"}}));
}

TEST(SelectorMatchesTest, EmptySelectorMatchesEverything) {
  EXPECT_TRUE(SelectorMatches(api::LabelSelector{}, {}));
  EXPECT_TRUE(SelectorMatches(api::LabelSelector{}, {{"a", "b"}}));
}

TEST(SelectorMatchesTest, MatchExpressionsUseSetOperators) {
  auto expr = [](std::string op, std::vector<std::string> values) {
    api::LabelSelector s;
    s.match_expressions.push_back({"app", std::move(op), std::move(values)});
    return s;
  };
  api::StringMap web = {{"app", "web"}};
  api::StringMap none;
  EXPECT_TRUE(SelectorMatches(expr("In", {"web", "api"}), web));
  EXPECT_FALSE(SelectorMatches(expr("In", {"api"}), web));
  EXPECT_FALSE(SelectorMatches(expr("In", {"web"}), none));
  EXPECT_FALSE(SelectorMatches(expr("NotIn", {"web"}), web));
  EXPECT_TRUE(SelectorMatches(expr("NotIn", {"web"}), none));
  EXPECT_TRUE(SelectorMatches(expr("Exists", {}), web));
  EXPECT_FALSE(SelectorMatches(expr("Exists", {}), none));
  EXPECT_FALSE(SelectorMatches(expr("DoesNotExist", {}), web));
  EXPECT_TRUE(SelectorMatches(expr("DoesNotExist", {}), none));
}

}  // namespace
}  // namespace joinery::scheduling
