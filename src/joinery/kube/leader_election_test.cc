#pragma GCC diagnostic ignored "-Wmissing-field-initializers"  // designated initializers

#include "joinery/kube/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <chrono>
#include <functional>
#include <thread>

#include "joinery/kube/fake_client.h"

namespace joinery::kube {
namespace {

using nlohmann::json;

bool Eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

LeaderElectionConfig Config(std::string id) {
  return {.identity = std::move(id)};
}

class LeaderElectionTest : public ::testing::Test {
 protected:
  json Lease() { return *client_.Get(resources::Leases(), "kube-system", "joinery-leader-election"); }
  FakeClock clock_;
  FakeClient client_{clock_};
};

TEST_F(LeaderElectionTest, FirstCandidateCreatesTheLease) {
  LeaderElector a(client_, Config("a"), clock_);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  json l = Lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], "a");
  EXPECT_EQ(l["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ(l["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(l["spec"]["acquireTime"], "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(l["spec"]["renewTime"], "2026-01-01T00:00:00.000000Z");
}

TEST_F(LeaderElectionTest, OnlyOneLeaderUntilTheLeaseExpires) {
  LeaderElector a(client_, Config("a"), clock_);
  LeaderElector b(client_, Config("b"), clock_);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(b.TryAcquireOrRenew());
  EXPECT_EQ(b.ObservedHolder(), "a");
  // a renews; b sees the record change, so its expiry clock restarts.
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_EQ(Lease()["spec"]["renewTime"], "2026-01-01T00:00:10.000000Z");
  EXPECT_EQ(Lease()["spec"]["acquireTime"], "2026-01-01T00:00:00.000000Z");
  EXPECT_FALSE(b.TryAcquireOrRenew());
  clock_.Advance(absl::Seconds(14));
  EXPECT_FALSE(b.TryAcquireOrRenew());  // 14 s since b saw the change: not expired
  // a stops renewing; 15 s after b last saw the record change, b takes over.
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(b.TryAcquireOrRenew());
  json l = Lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], "b");
  EXPECT_EQ(l["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(l["spec"]["acquireTime"], "2026-01-01T00:00:26.000000Z");
  // a comes back: the lease is b's now.
  EXPECT_FALSE(a.TryAcquireOrRenew());
}

TEST_F(LeaderElectionTest, ExpiryIsMeasuredFromLocalObservationNotRenewTime) {
  LeaderElector a(client_, Config("a"), clock_);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  // b starts long after renewTime was written (clock skew or a fresh replica): it must still wait a
  // full lease duration from its own first observation.
  clock_.Advance(absl::Hours(1));
  LeaderElector b(client_, Config("b"), clock_);
  EXPECT_FALSE(b.TryAcquireOrRenew());
  clock_.Advance(absl::Seconds(16));
  EXPECT_TRUE(b.TryAcquireOrRenew());
}

TEST_F(LeaderElectionTest, ReleaseHandsOverAtOnce) {
  LeaderElector a(client_, Config("a"), clock_);
  LeaderElector b(client_, Config("b"), clock_);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(b.TryAcquireOrRenew());
  ASSERT_TRUE(a.Release().ok());
  EXPECT_EQ(Lease()["spec"]["holderIdentity"], "");
  EXPECT_EQ(Lease()["spec"]["leaseDurationSeconds"], 1);
  EXPECT_TRUE(b.TryAcquireOrRenew());
  EXPECT_EQ(Lease()["spec"]["leaseTransitions"], 1);
  // Releasing a lease one does not hold does nothing.
  ASSERT_TRUE(a.Release().ok());
  EXPECT_EQ(Lease()["spec"]["holderIdentity"], "b");
}

TEST_F(LeaderElectionTest, ConflictingWritesLeaveOneWinner) {
  LeaderElector a(client_, Config("a"), clock_);
  LeaderElector b(client_, Config("b"), clock_);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  ASSERT_TRUE(a.Release().ok());
  // Both read the released lease; the second writer's compare-and-swap fails.
  client_.InjectError("update", "leases", FakeClient::ConflictError("the object has been modified"), 1);
  EXPECT_FALSE(b.TryAcquireOrRenew());
  EXPECT_TRUE(b.TryAcquireOrRenew());
  EXPECT_FALSE(a.TryAcquireOrRenew());
  // Racing creates: only one succeeds.
  FakeClient fresh(clock_);
  std::atomic<int> winners = 0;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<LeaderElector>> electors;
  for (int i = 0; i < 8; ++i) {
    electors.push_back(std::make_unique<LeaderElector>(fresh, Config("c" + std::to_string(i)), clock_));
  }
  for (auto& e : electors) {
    threads.emplace_back([&winners, &e] { winners += e->TryAcquireOrRenew() ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners, 1);
}

TEST_F(LeaderElectionTest, GetErrorsAreNotLeadership) {
  LeaderElector a(client_, Config("a"), clock_);
  client_.InjectError("get", "leases", FakeClient::Unavailable("down"), 1);
  EXPECT_FALSE(a.TryAcquireOrRenew());
  EXPECT_TRUE(a.TryAcquireOrRenew());
}

TEST_F(LeaderElectionTest, DefaultIdentityIsHostnameAndRandomSuffix) {
  LeaderElector a(client_, {}, clock_);
  LeaderElector b(client_, {}, clock_);
  EXPECT_NE(a.Identity(), b.Identity());
  EXPECT_NE(a.Identity().find('_'), std::string::npos);
}

// The loop, with real time and short durations: conditions are awaited, not timed.
LeaderElectionConfig Fast(std::string id) {
  return {.identity = std::move(id),
          .lease_duration = absl::Seconds(1),
          .renew_deadline = absl::Milliseconds(600),
          .retry_period = absl::Milliseconds(20)};
}

TEST(LeaderElectionLoopTest, ExactlyOneLeaderAndStopHandsOver) {
  FakeClient client(RealClock());
  std::atomic<int> a_started = 0, a_stopped = 0, b_started = 0;
  LeaderElector a(client, Fast("a"));
  LeaderElector b(client, Fast("b"));
  a.Run([&] { ++a_started; }, [&] { ++a_stopped; });
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  b.Run([&] { ++b_started; }, nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(b.IsLeader());
  EXPECT_FALSE(a.StoppedByRequest());
  a.Stop();
  EXPECT_TRUE(a.StoppedByRequest());  // the callback can tell a requested stop from a loss
  EXPECT_FALSE(a.IsLeader());
  EXPECT_FALSE(a.HoldsLease());
  EXPECT_EQ(a_started, 1);
  EXPECT_EQ(a_stopped, 1);
  ASSERT_TRUE(Eventually([&] { return b.IsLeader(); }));
  EXPECT_EQ(b_started, 1);
  b.Stop();
}

TEST(LeaderElectionLoopTest, TakesOverWhenTheLeaderStopsRenewing) {
  FakeClient client(RealClock());
  LeaderElectionConfig ca = Fast("a");
  ca.release_on_cancel = false;  // as if the process were killed
  LeaderElector a(client, ca);
  LeaderElector b(client, Fast("b"));
  a.Run(nullptr, nullptr);
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  b.Run(nullptr, nullptr);
  a.Stop();
  EXPECT_EQ((*client.Get(resources::Leases(), "kube-system", "joinery-leader-election"))["spec"]
                ["holderIdentity"],
            "a");
  ASSERT_TRUE(Eventually([&] { return b.IsLeader(); }));
}

TEST(LeaderElectionLoopTest, LosesLeadershipWhenRenewalsFailPastTheDeadline) {
  FakeClient client(RealClock());
  std::atomic<int> stopped = 0;
  LeaderElector a(client, Fast("a"));
  a.Run(nullptr, [&] { ++stopped; });
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  client.InjectError("get", "leases", FakeClient::Unavailable("partition"), -1);
  ASSERT_TRUE(Eventually([&] { return !a.IsLeader(); }));
  EXPECT_EQ(stopped, 1);
  client.ClearInjectedErrors();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));  // and becomes leader again
  a.Stop();
}

// A client whose lease reads hang while stalled: a stalled connection to the API server. The rest
// goes to a FakeClient.
class StallingClient final : public Client {
 public:
  explicit StallingClient(Clock& clock) : inner_(clock) {}
  absl::StatusOr<Json> Get(const Resource& r, std::string_view ns, std::string_view name,
                           std::string_view sub = "") override {
    if (r.resource == "leases") {
      std::unique_lock lock(mu_);
      if (hang_) {
        ++stalled_;
        cv_.wait(lock, [this] { return !hang_; });
        return absl::DeadlineExceededError("request timed out");
      }
    }
    return inner_.Get(r, ns, name, sub);
  }
  absl::StatusOr<Json> List(const Resource& r, std::string_view ns,
                            const ListOptions& o = {}) override {
    return inner_.List(r, ns, o);
  }
  absl::StatusOr<Json> Create(const Resource& r, std::string_view ns, const Json& obj) override {
    return inner_.Create(r, ns, obj);
  }
  absl::StatusOr<Json> CreateSubresource(const Resource& r, std::string_view ns,
                                         std::string_view name, std::string_view sub,
                                         const Json& body) override {
    return inner_.CreateSubresource(r, ns, name, sub, body);
  }
  absl::StatusOr<Json> Update(const Resource& r, std::string_view ns, const Json& obj,
                              std::string_view sub = "") override {
    return inner_.Update(r, ns, obj, sub);
  }
  absl::StatusOr<Json> Patch(const Resource& r, std::string_view ns, std::string_view name,
                             PatchType t, const Json& p, std::string_view sub = "") override {
    return inner_.Patch(r, ns, name, t, p, sub);
  }
  absl::Status Delete(const Resource& r, std::string_view ns, std::string_view name,
                      const DeleteOptions& o = {}) override {
    return inner_.Delete(r, ns, name, o);
  }
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource& r, std::string_view ns,
                                                     const ListOptions& o) override {
    return inner_.Watch(r, ns, o);
  }
  void Stall(bool on) {
    std::lock_guard lock(mu_);
    hang_ = on;
    cv_.notify_all();
  }
  int Stalled() {
    std::lock_guard lock(mu_);
    return stalled_;
  }

 private:
  FakeClient inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool hang_ = false;
  int stalled_ = 0;
};

TEST(LeaderElectionLoopTest, TheFenceClosesAtTheRenewDeadlineWhileARenewalHangs) {
  FakeClock clock;
  StallingClient client(clock);
  std::atomic<int> stopped = 0;
  LeaderElectionConfig config = {.identity = "a",
                                 .lease_duration = absl::Seconds(15),
                                 .renew_deadline = absl::Seconds(10),
                                 .retry_period = absl::Milliseconds(20)};
  LeaderElector a(client, config, clock);
  a.Run(nullptr, [&] { ++stopped; });
  ASSERT_TRUE(Eventually([&] { return a.HoldsLease(); }));
  // The connection stalls in the middle of a renewal: the loop is stuck in the request.
  client.Stall(true);
  ASSERT_TRUE(Eventually([&] { return client.Stalled() > 0; }));
  clock.Advance(absl::Seconds(9));
  EXPECT_TRUE(a.HoldsLease()) << "within the renew deadline";
  clock.Advance(absl::Seconds(1));
  // The elector still believes it leads (the request has not returned), but the fence is closed:
  // 5 s before any other candidate could take the 15 s lease.
  EXPECT_TRUE(a.IsLeader());
  EXPECT_FALSE(a.HoldsLease());
  EXPECT_EQ(stopped, 0);
  // The request times out: leadership is given up at once.
  client.Stall(false);
  ASSERT_TRUE(Eventually([&] { return !a.IsLeader(); }));
  EXPECT_EQ(stopped, 1);
  EXPECT_FALSE(a.StoppedByRequest());
  a.Stop();
}

}  // namespace
}  // namespace joinery::kube
