#include "joinery/kube/rate_limiter.h"

#include <chrono>

#include "gtest/gtest.h"

namespace joinery::kube {
namespace {

using std::chrono::milliseconds;
using TimePoint = RateLimiter::TimePoint;

TEST(RateLimiter, AllowsABurstThenRefillsAtQps) {
  RateLimiter limiter(/*qps=*/10, /*burst=*/3);
  const TimePoint t0{};
  EXPECT_TRUE(limiter.TryAcquire(t0));
  EXPECT_TRUE(limiter.TryAcquire(t0));
  EXPECT_TRUE(limiter.TryAcquire(t0));
  EXPECT_FALSE(limiter.TryAcquire(t0));
  EXPECT_FALSE(limiter.TryAcquire(t0 + milliseconds(50)));  // half a token
  EXPECT_TRUE(limiter.TryAcquire(t0 + milliseconds(100)));
  EXPECT_FALSE(limiter.TryAcquire(t0 + milliseconds(100)));
}

TEST(RateLimiter, NeverHoldsMoreThanBurst) {
  RateLimiter limiter(/*qps=*/100, /*burst=*/2);
  const TimePoint t0{};
  EXPECT_TRUE(limiter.TryAcquire(t0));
  const TimePoint later = t0 + std::chrono::hours(1);
  EXPECT_TRUE(limiter.TryAcquire(later));
  EXPECT_TRUE(limiter.TryAcquire(later));
  EXPECT_FALSE(limiter.TryAcquire(later));
}

TEST(RateLimiter, ReserveQueuesWaitersInOrder) {
  RateLimiter limiter(/*qps=*/4, /*burst=*/1);
  const TimePoint t0{};
  EXPECT_EQ(limiter.Reserve(t0), std::chrono::nanoseconds(0));
  EXPECT_EQ(limiter.Reserve(t0), milliseconds(250));
  EXPECT_EQ(limiter.Reserve(t0), milliseconds(500));
  // The debt is repaid at 4 tokens per second: by 500ms it is gone but no token is spare yet, and
  // 100ms later 0.4 of a token has accrued.
  EXPECT_FALSE(limiter.TryAcquire(t0 + milliseconds(500)));
  EXPECT_NEAR(static_cast<double>(limiter.Reserve(t0 + milliseconds(600)).count()), 150e6, 1e3);
}

TEST(RateLimiter, ZeroQpsDisablesLimiting) {
  RateLimiter limiter(/*qps=*/0, /*burst=*/1);
  const TimePoint t0{};
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.TryAcquire(t0));
  EXPECT_EQ(limiter.Reserve(t0), std::chrono::nanoseconds(0));
  limiter.Wait();  // returns immediately
}

TEST(RateLimiter, WaitTakesTokensFromTheBurstWithoutBlocking) {
  RateLimiter limiter(/*qps=*/1, /*burst=*/5);
  for (int i = 0; i < 5; ++i) limiter.Wait();  // would block for seconds if it did not
}

}  // namespace
}  // namespace joinery::kube
