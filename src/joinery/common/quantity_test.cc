#include "joinery/common/quantity.h"

#include <cstdint>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace joinery {
namespace {

using ::testing::HasSubstr;

int64_t Milli(std::string_view text) {
  auto q = Quantity::Parse(text);
  EXPECT_TRUE(q.ok()) << text << ": " << q.status();
  return q.ok() ? q->milli() : -1;
}

TEST(QuantityParse, ParsesMilliSuffix) { EXPECT_EQ(Milli("500m"), 500); }

TEST(QuantityParse, ParsesBinarySuffixes) {
  EXPECT_EQ(Milli("64Gi"), int64_t{64} * (int64_t{1} << 30) * 1000);
  EXPECT_EQ(Milli("1Ki"), 1024 * 1000);
  EXPECT_EQ(Milli("1.5Gi"), int64_t{1536} * 1024 * 1024 * 1000);
  EXPECT_EQ(Milli("0.5Ki"), 512 * 1000);
}

TEST(QuantityParse, ParsesDecimalSuffixes) {
  EXPECT_EQ(Milli("2M"), int64_t{2000000} * 1000);
  EXPECT_EQ(Milli("1k"), 1000 * 1000);
  EXPECT_EQ(Milli("3G"), int64_t{3000000000} * 1000);
  EXPECT_EQ(Milli("100u"), 1);  // 0.0001 rounds up to one milli
  EXPECT_EQ(Milli("1000000n"), 1);
}

TEST(QuantityParse, ParsesExponent) {
  EXPECT_EQ(Milli("1e3"), 1000 * 1000);
  EXPECT_EQ(Milli("1E3"), 1000 * 1000);
  EXPECT_EQ(Milli("1.5e3"), 1500 * 1000);
  EXPECT_EQ(Milli("1e-3"), 1);
  EXPECT_EQ(Milli("5e+2"), 500 * 1000);
}

TEST(QuantityParse, CapitalEAloneIsExaNotAnExponent) {
  auto q = Quantity::Parse("1E");  // 10^18: beyond the accepted range, but parsed as a suffix
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.status().message(), HasSubstr("too large"));
  EXPECT_EQ(Milli("0.000001E"), int64_t{1000000000000} * 1000);
}

TEST(QuantityParse, ParsesFractionsAndPlainNumbers) {
  EXPECT_EQ(Milli("1.5"), 1500);
  EXPECT_EQ(Milli("4"), 4000);
  EXPECT_EQ(Milli("0"), 0);
  EXPECT_EQ(Milli("0.05"), 50);
  EXPECT_EQ(Milli("+2"), 2000);
  EXPECT_EQ(Milli("-2"), -2000);
  EXPECT_EQ(Milli("007"), 7000);
}

TEST(QuantityParse, RoundsSubMilliUp) {
  EXPECT_EQ(Milli("0.1m"), 1);
  EXPECT_EQ(Milli("1.0001"), 1001);
  EXPECT_EQ(Milli("0.0000000000000000000000000000000000000000000000000001"), 1);
  EXPECT_EQ(Milli("1.0000"), 1000);
}

TEST(QuantityParse, LongZeroFractionWithBinarySuffixIsExact) {
  // Regression: trailing fraction zeros used to inflate the mantissa past the overflow guard.
  EXPECT_EQ(Milli("1.00000000000000000000Gi"), (int64_t{1} << 30) * 1000);
  EXPECT_EQ(Milli("1.0000000000000000001Ki"), 1024 * 1000 + 1);
}

TEST(QuantityParse, RejectsMalformedInput) {
  for (const char* bad : {"", "abc", "1.2.3", "1Qi", "5 m", "m", ".", "+", "-", "1e", "1e+", "1ee3",
                          "1K", "1Mb", " 1", "1 ", "1e12345", "--1", "1.5.Gi"}) {
    auto q = Quantity::Parse(bad);
    EXPECT_FALSE(q.ok()) << "\"" << bad << "\" parsed as " << (q.ok() ? q->milli() : 0);
    if (!q.ok()) {
      EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(q.status().message(), HasSubstr("quantity"));
    }
  }
}

TEST(QuantityParse, RejectsValuesThatWouldOverflow) {
  for (const char* big : {"99999999999999999999Ei", "10E", "9999999999999999999", "1e30", "8Ei",
                          "100000000000000000000000000000000000000000000000000000000"}) {
    auto q = Quantity::Parse(big);
    ASSERT_FALSE(q.ok()) << big;
    EXPECT_THAT(q.status().message(), HasSubstr("too large")) << big;
  }
}

TEST(QuantityParse, AcceptsLargestReasonableValues) {
  // The largest EC2 memory (32 TiB), EBS volume (64 TiB) and instance store (~328 TiB).
  EXPECT_EQ(Milli("32Ti"), int64_t{32} * (int64_t{1} << 40) * 1000);
  EXPECT_EQ(Milli("64Ti"), int64_t{64} * (int64_t{1} << 40) * 1000);
  EXPECT_EQ(Milli("335520Gi"), int64_t{335520} * (int64_t{1} << 30) * 1000);
  EXPECT_FALSE(Quantity::Parse("1Pi").ok());
}

TEST(QuantityParse, HugeNegativeExponentRoundsToOneMilli) {
  EXPECT_EQ(Milli("5e-9999"), 1);
  EXPECT_EQ(Milli("0e9999"), 0);
}

TEST(QuantityToString, RoundTripsCanonicalForms) {
  for (const char* text :
       {"500m", "24Gi", "4", "1k", "1e3", "1536Mi", "0", "100Mi", "2M", "-1Ki"}) {
    auto q = Quantity::Parse(text);
    ASSERT_TRUE(q.ok()) << text;
    EXPECT_EQ(q->ToString(), text);
  }
}

TEST(QuantityToString, NormalizesNonCanonicalForms) {
  EXPECT_EQ(Quantity::Parse("1.5")->ToString(), "1500m");
  EXPECT_EQ(Quantity::Parse("1024Ki")->ToString(), "1Mi");
  EXPECT_EQ(Quantity::Parse("1000")->ToString(), "1k");
  EXPECT_EQ(Quantity::Parse("0.5Gi")->ToString(), "512Mi");
}

TEST(QuantityValue, RoundsUpToWholeUnits) {
  EXPECT_EQ(Quantity::FromMilli(1).value(), 1);
  EXPECT_EQ(Quantity::FromMilli(1000).value(), 1);
  EXPECT_EQ(Quantity::FromMilli(1001).value(), 2);
  EXPECT_EQ(Quantity::FromMilli(0).value(), 0);
}

TEST(QuantityFormat, RemembersNotation) {
  EXPECT_EQ(Quantity::Parse("1Gi")->format(), Quantity::Format::kBinarySI);
  EXPECT_EQ(Quantity::Parse("1G")->format(), Quantity::Format::kDecimalSI);
  EXPECT_EQ(Quantity::Parse("1e9")->format(), Quantity::Format::kDecimalExponent);
}

TEST(ResourceListHelpers, AddSubtractFitMax) {
  ResourceList a{{"cpu", Quantity::FromMilli(500)}, {"memory", Quantity::FromUnits(1024)}};
  ResourceList b{{"cpu", Quantity::FromMilli(250)}, {"pods", Quantity::FromUnits(1)}};
  ResourceList sum = a;
  AddInto(sum, b);
  EXPECT_EQ(sum["cpu"].milli(), 750);
  EXPECT_EQ(sum["pods"].milli(), 1000);
  ResourceList diff = Subtract(a, b);
  EXPECT_EQ(diff["cpu"].milli(), 250);
  EXPECT_EQ(diff["pods"].milli(), -1000);
  EXPECT_TRUE(Fits(b, sum));
  EXPECT_FALSE(Fits(sum, a));
  ResourceList m = MaxOf(a, b);
  EXPECT_EQ(m["cpu"].milli(), 500);
  EXPECT_EQ(m["pods"].milli(), 1000);
  EXPECT_EQ(ResourceListToString(b), "cpu=250m, pods=1");
}

TEST(QuantityArithmetic, SaturatesInsteadOfOverflowing) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  Quantity big = Quantity::FromMilli(kMax - 5);
  EXPECT_EQ((big + Quantity::FromMilli(10)).milli(), kMax);
  EXPECT_EQ((Quantity::FromMilli(kMin + 5) - Quantity::FromMilli(10)).milli(), kMin);
  Quantity sum;
  for (int i = 0; i < 100; ++i) sum += *Quantity::Parse("500Ti");
  EXPECT_EQ(sum.milli(), kMax);
  EXPECT_EQ((Quantity::FromMilli(7) - Quantity::FromMilli(10)).milli(), -3);
}

TEST(ParseDuration, ParsesSecondsMinutesHours) {
  EXPECT_EQ(ParseDuration("300s", false)->seconds, 300);
  EXPECT_EQ(ParseDuration("720h", false)->seconds, 720 * 3600);
  EXPECT_EQ(ParseDuration("1h30m", false)->seconds, 5400);
  EXPECT_EQ(ParseDuration("0s", false)->seconds, 0);
  EXPECT_EQ(ParseDuration("1h30m", false)->text, "1h30m");
}

TEST(ParseDuration, NeverOnlyWhenAllowed) {
  auto never = ParseDuration("Never", true);
  ASSERT_TRUE(never.ok());
  EXPECT_TRUE(never->never());
  EXPECT_FALSE(ParseDuration("Never", false).ok());
}

TEST(ParseDuration, RejectsMalformedDurations) {
  for (const char* bad :
       {"5d", "h", "10", "", "1.5h", "-1s", "1h 2m", "s1", "never", "99999999999999999999999h"}) {
    auto d = ParseDuration(bad, true);
    EXPECT_FALSE(d.ok()) << bad;
    if (!d.ok()) {
      EXPECT_THAT(std::string(d.status().message()), HasSubstr("must match"));
    }
  }
}

}  // namespace
}  // namespace joinery

namespace joinery {
namespace {

TEST(QuantitySumTest, AZeroQuantityTakesTheAddendsFormat) {
  Quantity sum;
  sum += *Quantity::Parse("16Gi");
  EXPECT_EQ(sum.ToString(), "16Gi");
  EXPECT_EQ((Quantity() + *Quantity::Parse("30310Mi")).ToString(), "30310Mi");
  // A non-zero left operand keeps its own format, as before.
  EXPECT_EQ((*Quantity::Parse("1") + *Quantity::Parse("1Gi")).format(),
            Quantity::Format::kDecimalSI);
}

}  // namespace
}  // namespace joinery
