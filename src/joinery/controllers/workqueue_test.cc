#include "joinery/controllers/workqueue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "joinery/controllers/controller.h"
#include "joinery/controllers/testing_cloud_provider.h"

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
  // Uncapped, the 12th failure would wait 10 ms * 2^11 = 20 s; capped, every wait is 20 ms.
  WorkQueue q(milliseconds(10), milliseconds(20));
  for (int n = 0; n < 12; ++n) {
    auto start = SteadyClock::now();
    q.AddRateLimited("a");
    auto got = std::async(std::launch::async, [&] { return q.Get(); });
    ASSERT_EQ(got.wait_for(std::chrono::seconds(5)), std::future_status::ready)
        << "failure " << n + 1 << " was not capped";
    ASSERT_EQ(got.get(), "a");
    EXPECT_GE(SteadyClock::now() - start, milliseconds(n == 0 ? 10 : 20));
    q.Done("a");
  }
  EXPECT_EQ(q.Failures("a"), 12);
}

TEST(WorkQueueTest, ManyFailuresDoNotOverflowTheBackoff) {
  WorkQueue q(milliseconds(1), milliseconds(5));
  for (int n = 0; n < 100; ++n) q.AddRateLimited("a");  // 1 ms * 2^99 would overflow
  EXPECT_EQ(q.Failures("a"), 100);
  auto got = std::async(std::launch::async, [&] { return q.Get(); });
  ASSERT_EQ(got.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(got.get(), "a");
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

// A reconciler that fails `failures` times, then succeeds asking to be requeued `requeues` times.
class ScriptedReconciler final : public Reconciler {
 public:
  ScriptedReconciler(int failures, int requeues) : failures_(failures), requeues_(requeues) {}
  std::string_view Name() const override { return "scripted"; }
  absl::StatusOr<Result> Reconcile(std::string_view key) override {
    EXPECT_EQ(key, "k");
    int n = calls_++;
    if (n < failures_) return absl::UnavailableError("not yet");
    if (n < failures_ + requeues_) return Result{absl::Milliseconds(1)};
    return Result{};
  }
  std::atomic<int> calls_{0};

 private:
  const int failures_, requeues_;
};

TEST(ControllerTest, RetriesErrorsAndHonoursRequeueAfter) {
  auto owned = std::make_unique<ScriptedReconciler>(2, 2);
  ScriptedReconciler& rec = *owned;
  std::atomic<int> errors{0};
  Controller c(std::move(owned), 2, [&](std::string_view name, const absl::Status& st) {
    EXPECT_EQ(name, "scripted");
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
    ++errors;
  });
  c.Start();
  c.Enqueue("k");
  // 2 failures (retried with backoff), 2 requeues, then done: 5 calls.
  EXPECT_TRUE(testing::Eventually([&] { return rec.calls_ == 5; }));
  c.Stop();
  EXPECT_EQ(rec.calls_, 5);
  EXPECT_EQ(errors, 2);
}

}  // namespace
}  // namespace joinery::controllers
