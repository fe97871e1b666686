// Informer, LeaderElector and ApiEventRecorder against a real kube-apiserver started by
// scripts/local-cluster.sh. Each test has its own namespace (ClusterTest); leases and events live
// there. Waits are polls with deadlines; nothing asserts on how long something took.
#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster_env.h"
#include "gtest/gtest.h"
#include "joinery/kube/client.h"
#include "joinery/kube/events.h"
#include "joinery/kube/informer.h"
#include "joinery/kube/leader_election.h"

namespace joinery::integration {
namespace {

using kube::Json;
namespace resources = kube::resources;

Json Lease(const std::string& name, const std::string& holder = "x") {
  return {{"apiVersion", "coordination.k8s.io/v1"},
          {"kind", "Lease"},
          {"metadata", {{"name", name}}},
          {"spec", {{"holderIdentity", holder}}}};
}

// Records informer notifications as "add a", "update a", "delete a" (names only).
class Recorder {
 public:
  kube::EventHandlers Handlers() {
    return {.on_add = [this](const kube::ObjectPtr& o) { Push("add", *o); },
            .on_update = [this](const kube::ObjectPtr&,
                                const kube::ObjectPtr& o) { Push("update", *o); },
            .on_delete = [this](const kube::ObjectPtr& o) { Push("delete", *o); }};
  }
  bool Has(const std::string& e) {
    std::lock_guard lock(mu_);
    return std::find(events_.begin(), events_.end(), e) != events_.end();
  }

 private:
  void Push(const std::string& what, const Json& o) {
    std::lock_guard lock(mu_);
    events_.push_back(what + " " + o["metadata"]["name"].get<std::string>());
  }
  std::mutex mu_;
  std::vector<std::string> events_;
};

// Forwards to a real client; the first `stale_watches` Watch calls ask for resourceVersion "1",
// long compacted away, as an informer whose last resourceVersion has become too old would.
class StaleWatchClient final : public kube::Client {
 public:
  StaleWatchClient(kube::Client& inner, int stale_watches)
      : inner_(inner), stale_(stale_watches) {}
  absl::StatusOr<Json> Get(const kube::Resource& r, std::string_view ns, std::string_view name,
                           std::string_view sub) override {
    return inner_.Get(r, ns, name, sub);
  }
  absl::StatusOr<Json> List(const kube::Resource& r, std::string_view ns,
                            const kube::ListOptions& o) override {
    ++lists;
    return inner_.List(r, ns, o);
  }
  absl::StatusOr<Json> Create(const kube::Resource& r, std::string_view ns,
                              const Json& obj) override {
    return inner_.Create(r, ns, obj);
  }
  absl::StatusOr<Json> CreateSubresource(const kube::Resource& r, std::string_view ns,
                                         std::string_view name, std::string_view sub,
                                         const Json& body) override {
    return inner_.CreateSubresource(r, ns, name, sub, body);
  }
  absl::StatusOr<Json> Update(const kube::Resource& r, std::string_view ns, const Json& obj,
                              std::string_view sub) override {
    return inner_.Update(r, ns, obj, sub);
  }
  absl::StatusOr<Json> Patch(const kube::Resource& r, std::string_view ns, std::string_view name,
                             kube::PatchType t, const Json& p, std::string_view sub) override {
    return inner_.Patch(r, ns, name, t, p, sub);
  }
  absl::Status Delete(const kube::Resource& r, std::string_view ns, std::string_view name,
                      const kube::DeleteOptions& o) override {
    return inner_.Delete(r, ns, name, o);
  }
  absl::StatusOr<std::unique_ptr<kube::WatchStream>> Watch(const kube::Resource& r,
                                                           std::string_view ns,
                                                           const kube::ListOptions& o) override {
    kube::ListOptions copy = o;
    if (stale_.fetch_sub(1) > 0) copy.resource_version = "1";
    return inner_.Watch(r, ns, copy);
  }
  std::atomic<int> lists{0};

 private:
  kube::Client& inner_;
  std::atomic<int> stale_;
};

kube::InformerOptions InformerIn(const std::string& ns) {
  return {.ns = ns, .initial_backoff = absl::Milliseconds(100), .max_backoff = absl::Seconds(2)};
}

class KubeRuntimeTest : public ClusterTest {};

TEST_F(KubeRuntimeTest, InformerSyncsAndDeliversAddUpdateDelete) {
  ASSERT_TRUE(client().Create(resources::Leases(), ns(), Lease("before")).ok());
  Recorder rec;
  kube::Informer inf(client(), resources::Leases(), InformerIn(ns()));
  inf.AddEventHandler(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(60)));
  ASSERT_NE(inf.Get(ns() + "/before"), nullptr);
  EXPECT_EQ((*inf.Get(ns() + "/before"))["kind"], "Lease");
  EXPECT_TRUE(PollUntil([&] { return rec.Has("add before"); }));

  ASSERT_TRUE(client().Create(resources::Leases(), ns(), Lease("a")).ok());
  EXPECT_TRUE(PollUntil([&] { return rec.Has("add a"); }));
  ASSERT_TRUE(client()
                  .Patch(resources::Leases(), ns(), "a", kube::PatchType::kMerge,
                         Json{{"spec", {{"holderIdentity", "y"}}}})
                  .ok());
  EXPECT_TRUE(PollUntil([&] {
    auto a = inf.Get(ns() + "/a");
    return rec.Has("update a") && a && (*a)["spec"]["holderIdentity"] == "y";
  }));
  ASSERT_TRUE(client().Delete(resources::Leases(), ns(), "a").ok());
  EXPECT_TRUE(PollUntil([&] { return rec.Has("delete a") && inf.Get(ns() + "/a") == nullptr; }));
  inf.Stop();
}

// Whether a watch of leases from resourceVersion "1" is refused as too old (410). The watch cache
// serves every resourceVersion since it was filled, so on a brand-new cluster "1" may still be
// valid; a watch with a short server timeout tells without blocking.
bool ResourceVersionOneIsGone(kube::Client& client) {
  auto w = client.Watch(resources::Leases(), "",
                        {.resource_version = "1", .allow_watch_bookmarks = false, .timeout_seconds = 2});
  if (!w.ok()) return kube::IsGone(w.status());
  auto e = (*w)->Next();
  return e.ok() && e->has_value() && (*e)->type == kube::WatchEventType::kError &&
         (*e)->object.value("code", 0) == 410;
}

// Makes resourceVersion "1" too old for the leases watch cache: restarting kube-apiserver refills
// the cache from the current resourceVersion (etcd itself is compacted every 5 minutes by the API
// server, too slow for a test; there is no etcdctl here to compact it on demand).
void MakeResourceVersionOneStale(ClusterEnv& env) {
  if (ResourceVersionOneIsGone(env.client())) return;
  CommandResult r = env.ClusterScript("restart-apiserver");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(PollUntil([&] { return ResourceVersionOneIsGone(env.client()); }, absl::Seconds(120)));
}

TEST_F(KubeRuntimeTest, WatchFromCompactedResourceVersionIsGone) {
  MakeResourceVersionOneStale(env());
  auto w = client().Watch(resources::Leases(), ns(), {.resource_version = "1"});
  if (!w.ok()) {
    EXPECT_TRUE(kube::IsGone(w.status())) << w.status();
    return;
  }
  auto e = (*w)->Next();
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_TRUE(e->has_value());
  EXPECT_EQ((*e)->type, kube::WatchEventType::kError);
  EXPECT_EQ((*e)->object.value("code", 0), 410) << (*e)->object.dump();
}

TEST_F(KubeRuntimeTest, InformerRelistsWhenItsResourceVersionIsTooOld) {
  MakeResourceVersionOneStale(env());
  ASSERT_TRUE(client().Create(resources::Leases(), ns(), Lease("a")).ok());
  StaleWatchClient stale(client(), 1);
  Recorder rec;
  kube::Informer inf(stale, resources::Leases(), InformerIn(ns()));
  inf.AddEventHandler(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(60)));
  // The first watch gets 410; the informer relists and then watches from a fresh resourceVersion.
  EXPECT_TRUE(PollUntil([&] { return inf.ListCount() >= 2; }));
  ASSERT_TRUE(client().Create(resources::Leases(), ns(), Lease("b")).ok());
  EXPECT_TRUE(PollUntil([&] { return rec.Has("add b"); }));
  EXPECT_NE(inf.Get(ns() + "/a"), nullptr);
  inf.Stop();
}

TEST_F(KubeRuntimeTest, InformerContinuesAfterApiServerRestart) {
  Recorder rec;
  kube::Informer inf(client(), resources::Leases(), InformerIn(ns()));
  inf.AddEventHandler(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(60)));
  ASSERT_TRUE(client().Create(resources::Leases(), ns(), Lease("before-restart")).ok());
  ASSERT_TRUE(PollUntil([&] { return rec.Has("add before-restart"); }));
  CommandResult r = env().ClusterScript("restart-apiserver");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // The API server may take a moment to serve writes again.
  ASSERT_TRUE(PollUntil([&] {
    auto s = client().Create(resources::Leases(), ns(), Lease("after-restart"));
    return s.ok() || kube::IsAlreadyExists(s.status());
  }, absl::Seconds(120)));
  EXPECT_TRUE(PollUntil([&] { return rec.Has("add after-restart"); }, absl::Seconds(120)));
  inf.Stop();
}

kube::LeaderElectionConfig Election(const std::string& ns, const std::string& id) {
  return {.lease_namespace = ns,
          .lease_name = "joinery-leader-election",
          .identity = id,
          .lease_duration = absl::Seconds(3),
          .renew_deadline = absl::Seconds(2),
          .retry_period = absl::Milliseconds(300)};
}

TEST_F(KubeRuntimeTest, ExactlyOneLeaderAndGracefulHandOver) {
  kube::LeaderElector a(client(), Election(ns(), "a"));
  kube::LeaderElector b(client(), Election(ns(), "b"));
  std::atomic<int> leaders_at_once_max{0};
  std::atomic<int> leading{0};
  auto started = [&] {
    int now = ++leading;
    leaders_at_once_max = std::max(leaders_at_once_max.load(), now);
  };
  auto stopped = [&] { --leading; };
  a.Run(started, stopped);
  b.Run(started, stopped);
  ASSERT_TRUE(PollUntil([&] { return a.IsLeader() || b.IsLeader(); }));
  std::this_thread::sleep_for(std::chrono::seconds(4));  // more than a lease duration
  EXPECT_NE(a.IsLeader(), b.IsLeader());
  kube::LeaderElector& leader = a.IsLeader() ? a : b;
  kube::LeaderElector& follower = a.IsLeader() ? b : a;
  auto lease = client().Get(resources::Leases(), ns(), "joinery-leader-election");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], leader.Identity());
  leader.Stop();  // releases
  lease = client().Get(resources::Leases(), ns(), "joinery-leader-election");
  ASSERT_TRUE(lease.ok());
  EXPECT_NE((*lease)["spec"]["holderIdentity"], leader.Identity());
  ASSERT_TRUE(PollUntil([&] { return follower.IsLeader(); }));
  lease = client().Get(resources::Leases(), ns(), "joinery-leader-election");
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], follower.Identity());
  EXPECT_GE((*lease)["spec"]["leaseTransitions"].get<int>(), 1);
  follower.Stop();
  EXPECT_EQ(leaders_at_once_max.load(), 1);
}

TEST_F(KubeRuntimeTest, FollowerTakesOverWhenTheLeaderStopsRenewing) {
  kube::LeaderElectionConfig ca = Election(ns(), "a");
  ca.release_on_cancel = false;  // as if killed
  kube::LeaderElector a(client(), ca);
  a.Run(nullptr, nullptr);
  ASSERT_TRUE(PollUntil([&] { return a.IsLeader(); }));
  kube::LeaderElector b(client(), Election(ns(), "b"));
  b.Run(nullptr, nullptr);
  a.Stop();
  auto lease = client().Get(resources::Leases(), ns(), "joinery-leader-election");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "a");  // not released
  // Within lease duration + retry period (polling with a generous deadline).
  ASSERT_TRUE(PollUntil([&] { return b.IsLeader(); }, absl::Seconds(30)));
  b.Stop();
}

TEST_F(KubeRuntimeTest, SimultaneousAcquisitionsHaveOneWinner) {
  for (int round = 0; round < 3; ++round) {
    kube::LeaderElectionConfig base = Election(ns(), "");
    base.lease_name = "race-" + std::to_string(round);
    std::vector<std::unique_ptr<kube::LeaderElector>> electors;
    for (int i = 0; i < 6; ++i) {
      kube::LeaderElectionConfig c = base;
      c.identity = "c" + std::to_string(i);
      electors.push_back(std::make_unique<kube::LeaderElector>(client(), c));
    }
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (auto& e : electors) {
      threads.emplace_back([&winners, &e] { winners += e->TryAcquireOrRenew() ? 1 : 0; });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
    // And again on the existing lease after the holder releases it.
    for (auto& e : electors) ASSERT_TRUE(e->Release().ok());
    winners = 0;
    threads.clear();
    for (auto& e : electors) {
      threads.emplace_back([&winners, &e] { winners += e->TryAcquireOrRenew() ? 1 : 0; });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1) << "round " << round << " after release";
  }
}

TEST_F(KubeRuntimeTest, EventsAreWrittenAndDeduplicated) {
  auto lease = client().Create(resources::Leases(), ns(), Lease("evented"));
  ASSERT_TRUE(lease.ok());
  kube::ApiEventRecorder rec(client(), {.component = "joinery-it"});
  kube::ObjectRef ref = kube::ObjectRef::FromJson(*lease);
  rec.Publish(ref, kube::EventType::kNormal, "Tested", "first");
  rec.Publish(ref, kube::EventType::kNormal, "Tested", "first");
  rec.Publish(ref, kube::EventType::kWarning, "Tested", "second");
  // A cluster-scoped object: the event goes to "default".
  auto ns_obj = client().Get(resources::Namespaces(), "", ns());
  ASSERT_TRUE(ns_obj.ok());
  rec.Publish(kube::ObjectRef::FromJson(*ns_obj), kube::EventType::kNormal, "Tested",
              "cluster-scoped " + ns());
  rec.Flush();
  EXPECT_EQ(rec.Failed(), 0);
  EXPECT_EQ(rec.Written(), 4);
  auto events = client().List(resources::Events(), ns(),
                              {.field_selector = "involvedObject.name=evented"});
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ((*events)["items"].size(), 2u);
  for (const Json& e : (*events)["items"]) {
    EXPECT_EQ(e["source"]["component"], "joinery-it");
    EXPECT_EQ(e["involvedObject"]["kind"], "Lease");
    if (e["message"] == "first") {
      EXPECT_EQ(e["count"], 2);
    } else {
      EXPECT_EQ(e["type"], "Warning");
    }
  }
  auto in_default = client().List(resources::Events(), "default",
                                  {.field_selector = "involvedObject.name=" + ns()});
  ASSERT_TRUE(in_default.ok()) << in_default.status();
  EXPECT_EQ((*in_default)["items"].size(), 1u);
  // Tidy up the one event outside the test namespace.
  for (const Json& e : (*in_default)["items"]) {
    (void)client().Delete(resources::Events(), "default", e["metadata"]["name"].get<std::string>());
  }
}

}  // namespace
}  // namespace joinery::integration
