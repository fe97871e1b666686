#include "joinery/controllers/workqueue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace joinery::controllers {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

TEST(WorkQueueTest, KeyAddedTwiceIsQueuedOnce) {
  WorkQueue q;
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, KeyAddedWhileProcessingIsRequeuedAfterDone) {
  WorkQueue q;
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  q.Add("a");  // an event while a worker holds the key: not handed to a second worker
  EXPECT_EQ(q.Len(), 0u);
  q.Add("a");  // still one pending add
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, DoneWithoutNewAddDoesNotRequeue) {
  WorkQueue q;
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, AddAfterDeliversAfterTheDelay) {
  WorkQueue q;
  auto start = SteadyClock::now();
  q.AddAfter("a", milliseconds(50));
  EXPECT_EQ(q.Len(), 0u);  // not ready yet
  EXPECT_EQ(q.Get(), "a");
  EXPECT_GE(SteadyClock::now() - start, milliseconds(50));
}

TEST(WorkQueueTest, AddAfterWithoutDelayIsAnAdd) {
  WorkQueue q;
  q.AddAfter("a", milliseconds(0));
  EXPECT_EQ(q.Len(), 1u);
}

TEST(WorkQueueTest, ImmediateAddIsNotHeldBackByAnEarlierDelayedOne) {
  WorkQueue q;
  q.AddAfter("slow", std::chrono::hours(1));
  q.Add("fast");
  EXPECT_EQ(q.Get(), "fast");
}

TEST(WorkQueueTest, AddRateLimitedBacksOffExponentiallyAndForgetResets) {
  WorkQueue q(milliseconds(20), milliseconds(1000));
  EXPECT_EQ(q.Failures("a"), 0);
  // Failures 1, 2, 3: delays 20, 40, 80 ms.
  for (int n = 0; n < 3; ++n) {
    auto start = SteadyClock::now();
    q.AddRateLimited("a");
    EXPECT_EQ(q.Failures("a"), n + 1);
    EXPECT_EQ(q.Len(), 0u);
    ASSERT_EQ(q.Get(), "a");
    EXPECT_GE(SteadyClock::now() - start, milliseconds(20 << n)) << "failure " << n + 1;
    q.Done("a");
  }
  q.Forget("a");
  EXPECT_EQ(q.Failures("a"), 0);
  auto start = SteadyClock::now();
  q.AddRateLimited("a");
  ASSERT_EQ(q.Get(), "a");
  EXPECT_GE(SteadyClock::now() - start, milliseconds(20));  // back to the base delay
}

TEST(WorkQueueTest, BackoffIsCapped) {
  WorkQueue q(milliseconds(10), milliseconds(30));
  for (int n = 0; n < 40; ++n) q.AddRateLimited("a");  // 10 * 2^39 would overflow without the cap
  EXPECT_EQ(q.Failures("a"), 40);
  auto start = SteadyClock::now();
  ASSERT_EQ(q.Get(), "a");
  EXPECT_GE(SteadyClock::now() - start, milliseconds(10));
}

TEST(WorkQueueTest, FailuresAreCountedPerKey) {
  WorkQueue q(milliseconds(1), milliseconds(10));
  q.AddRateLimited("a");
  q.AddRateLimited("a");
  q.AddRateLimited("b");
  EXPECT_EQ(q.Failures("a"), 2);
  EXPECT_EQ(q.Failures("b"), 1);
  q.Forget("a");
  EXPECT_EQ(q.Failures("a"), 0);
  EXPECT_EQ(q.Failures("b"), 1);
}

TEST(WorkQueueTest, ShutDownUnblocksGet) {
  WorkQueue q;
  auto got = std::async(std::launch::async, [&] { return q.Get(); });
  q.ShutDown();
  EXPECT_EQ(got.get(), std::nullopt);
}

TEST(WorkQueueTest, ShutDownUnblocksGetWaitingForADelayedKey) {
  WorkQueue q;
  q.AddAfter("later", std::chrono::hours(1));
  auto got = std::async(std::launch::async, [&] { return q.Get(); });
  q.ShutDown();
  EXPECT_EQ(got.get(), std::nullopt);
}

TEST(WorkQueueTest, AddsAfterShutDownAreIgnored) {
  WorkQueue q;
  q.ShutDown();
  q.Add("a");
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.Get(), std::nullopt);
}

TEST(WorkQueueTest, BlockedGetWakesOnAdd) {
  WorkQueue q;
  auto got = std::async(std::launch::async, [&] { return q.Get(); });
  q.Add("a");
  EXPECT_EQ(got.get(), "a");
}

}  // namespace
}  // namespace joinery::controllers
