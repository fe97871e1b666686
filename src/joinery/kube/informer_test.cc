#pragma GCC diagnostic ignored "-Wmissing-field-initializers"  // designated initializers

#include "joinery/kube/informer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "joinery/kube/fake_client.h"

namespace joinery::kube {
namespace {

using nlohmann::json;

// Polls `pred` until it holds or 10 s pass (generous: these are conditions, not timings).
bool Eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

json ConfigMapLike(std::string name, std::string value = "v") {
  return {{"metadata", {{"name", name}}}, {"spec", {{"holderIdentity", value}}}};
}

// Records handler calls as strings: "add ns/a", "update ns/a", "delete ns/a".
class Recorder {
 public:
  EventHandlers Handlers() {
    return {.on_add = [this](const ObjectPtr& o) { Push("add", *o); },
            .on_update = [this](const ObjectPtr& old_obj,
                                const ObjectPtr& o) { Push(old_obj == o ? "resync" : "update", *o); },
            .on_delete = [this](const ObjectPtr& o) { Push("delete", *o); }};
  }
  std::vector<std::string> Events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  bool Has(const std::string& e) {
    auto ev = Events();
    return std::find(ev.begin(), ev.end(), e) != ev.end();
  }
  void Clear() {
    std::lock_guard lock(mu_);
    events_.clear();
  }

 private:
  void Push(std::string what, const json& o) {
    std::lock_guard lock(mu_);
    events_.push_back(what + " " + Informer::KeyOf(o));
  }
  std::mutex mu_;
  std::vector<std::string> events_;
};

class InformerTest : public ::testing::Test {
 protected:
  InformerOptions FastOptions() {
    return {.initial_backoff = absl::Milliseconds(5), .max_backoff = absl::Milliseconds(50), .seed = 7};
  }
  FakeClock clock_;
  FakeClient client_{clock_};
  Recorder rec_;
};

TEST_F(InformerTest, SyncsThenFollowsAddUpdateDelete) {
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("a")).ok());
  Informer inf(client_, resources::Leases(), FastOptions());
  inf.AddEventHandler(rec_.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_NE(inf.Get("ns/a"), nullptr);
  EXPECT_EQ((*inf.Get("ns/a"))["kind"], "Lease");  // list items are given their kind back
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("b")).ok());
  ASSERT_TRUE(client_.Patch(resources::Leases(), "ns", "a", PatchType::kMerge,
                            json{{"spec", {{"holderIdentity", "w"}}}})
                  .ok());
  ASSERT_TRUE(client_.Delete(resources::Leases(), "ns", "b").ok());
  ASSERT_TRUE(Eventually([&] { return rec_.Events().size() == 4; }));
  EXPECT_EQ(rec_.Events(),
            (std::vector<std::string>{"add ns/a", "add ns/b", "update ns/a", "delete ns/b"}));
  EXPECT_EQ((*inf.Get("ns/a"))["spec"]["holderIdentity"], "w");
  EXPECT_EQ(inf.Get("ns/b"), nullptr);
  EXPECT_EQ(inf.List().size(), 1u);
  EXPECT_EQ(inf.LastSyncResourceVersion(), std::to_string(client_.CurrentResourceVersion()));
  inf.Stop();
  EXPECT_EQ(client_.OpenWatchCount(), 0);
}

TEST_F(InformerTest, HonoursNamespaceAndSelectors) {
  json a = ConfigMapLike("a");
  a["metadata"]["labels"] = {{"app", "x"}};
  ASSERT_TRUE(client_.Create(resources::Leases(), "one", a).ok());
  ASSERT_TRUE(client_.Create(resources::Leases(), "two", a).ok());
  ASSERT_TRUE(client_.Create(resources::Leases(), "one", ConfigMapLike("b")).ok());
  InformerOptions o = FastOptions();
  o.ns = "one";
  o.label_selector = "app=x";
  Informer inf(client_, resources::Leases(), o);
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_EQ(inf.List().size(), 1u);
  EXPECT_EQ(Informer::KeyOf(*inf.List()[0]), "one/a");
  ASSERT_TRUE(Eventually([&] { return !client_.CallsOf("watch", "leases").empty(); }));
  auto w = client_.CallsOf("watch", "leases")[0];
  EXPECT_EQ(w.ns, "one");
  EXPECT_NE(w.options.find("labelSelector=app=x"), std::string::npos);
}

TEST_F(InformerTest, RewatchesFromLastResourceVersionAfterStreamEnds) {
  Informer inf(client_, resources::Leases(), FastOptions());
  inf.AddEventHandler(rec_.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] { return client_.OpenWatchCount() == 1; }));
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("a")).ok());
  ASSERT_TRUE(Eventually([&] { return rec_.Has("add ns/a"); }));
  client_.EndWatches();  // normal close, as on the server's timeout
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("b")).ok());
  ASSERT_TRUE(Eventually([&] { return rec_.Has("add ns/b"); }));
  client_.EndWatches(FakeClient::Unavailable("connection reset by peer"));
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("c")).ok());
  ASSERT_TRUE(Eventually([&] { return rec_.Has("add ns/c"); }));
  EXPECT_EQ(inf.ListCount(), 1);  // no relist was needed
  auto watches = client_.CallsOf("watch", "leases");
  ASSERT_GE(watches.size(), 3u);
  EXPECT_NE(watches[1].options.find("resourceVersion=1"), std::string::npos);
  EXPECT_EQ(rec_.Events(), (std::vector<std::string>{"add ns/a", "add ns/b", "add ns/c"}));
}

TEST_F(InformerTest, RetriesFailedListAndWatchWithBackoff) {
  client_.InjectError("list", "leases", FakeClient::Unavailable("down"), 3);
  client_.InjectError("watch", "leases", FakeClient::Unavailable("down"), 2);
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("a")).ok());
  Informer inf(client_, resources::Leases(), FastOptions());
  inf.AddEventHandler(rec_.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  EXPECT_EQ(client_.CallsOf("list", "leases").size(), 4u);
  ASSERT_TRUE(Eventually([&] { return client_.OpenWatchCount() == 1; }));
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("b")).ok());
  ASSERT_TRUE(Eventually([&] { return rec_.Has("add ns/b"); }));
}

TEST_F(InformerTest, RelistsOnGoneAndSynthesizesTheDifference) {
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("keep")).ok());
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("change")).ok());
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("gone")).ok());
  Informer inf(client_, resources::Leases(), FastOptions());
  inf.AddEventHandler(rec_.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] { return rec_.Events().size() == 3; }));
  rec_.Clear();
  // Changes the informer will miss: its watch is broken and watches are refused while they happen.
  client_.InjectError("watch", "leases", FakeClient::Unavailable("partition"), -1);
  client_.EndWatches(FakeClient::Unavailable("partition"));
  ASSERT_TRUE(client_.Patch(resources::Leases(), "ns", "change", PatchType::kMerge,
                            json{{"spec", {{"holderIdentity", "new"}}}})
                  .ok());
  ASSERT_TRUE(client_.Delete(resources::Leases(), "ns", "gone").ok());
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("new")).ok());
  client_.CompactBefore(client_.CurrentResourceVersion());
  client_.ClearInjectedErrors();
  ASSERT_TRUE(Eventually([&] { return inf.ListCount() == 2 && rec_.Events().size() == 3; }));
  auto ev = rec_.Events();
  std::sort(ev.begin(), ev.end());
  EXPECT_EQ(ev, (std::vector<std::string>{"add ns/new", "delete ns/gone", "update ns/change"}));
  EXPECT_EQ((*inf.Get("ns/change"))["spec"]["holderIdentity"], "new");
}

TEST_F(InformerTest, RelistsWhenWatchReturnsGone) {
  Informer inf(client_, resources::Leases(), FastOptions());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] { return client_.OpenWatchCount() == 1; }));
  client_.InjectError("watch", "leases", FakeClient::GoneError("too old resource version"), 1);
  client_.EndWatches();
  ASSERT_TRUE(Eventually([&] { return inf.ListCount() == 2; }));
}

TEST_F(InformerTest, BookmarksAdvanceTheResourceVersion) {
  Informer inf(client_, resources::Leases(), FastOptions());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] { return client_.OpenWatchCount() == 1; }));
  ASSERT_TRUE(client_.Create(resources::Nodes(), "", json{{"metadata", {{"name", "n"}}}}).ok());
  client_.SendBookmark();
  ASSERT_TRUE(Eventually([&] { return inf.LastSyncResourceVersion() == "1"; }));
}

TEST_F(InformerTest, ResyncRedeliversCachedObjects) {
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike("a")).ok());
  InformerOptions o = FastOptions();
  o.resync_period = absl::Milliseconds(20);
  Informer inf(client_, resources::Leases(), o);
  inf.AddEventHandler(rec_.Handlers());
  inf.Start();
  ASSERT_TRUE(Eventually([&] { return rec_.Has("resync ns/a"); }));
}

TEST_F(InformerTest, HandlersRunInOrderAndSeeTheCache) {
  Informer inf(client_, resources::Leases(), FastOptions());
  std::vector<std::string> order;
  std::mutex mu;
  bool cache_seen = true;
  inf.AddEventHandler({.on_add = [&](const ObjectPtr& o) {
    std::lock_guard lock(mu);
    order.push_back("first " + Informer::KeyOf(*o));
    if (inf.Get(Informer::KeyOf(*o)) == nullptr) cache_seen = false;
  }});
  inf.AddEventHandler({.on_add = [&](const ObjectPtr& o) {
    std::lock_guard lock(mu);
    order.push_back("second " + Informer::KeyOf(*o));
  }});
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  for (std::string n : {"a", "b", "c"}) {
    ASSERT_TRUE(client_.Create(resources::Leases(), "ns", ConfigMapLike(n)).ok());
  }
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return order.size() == 6;
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<std::string>{"first ns/a", "second ns/a", "first ns/b", "second ns/b",
                                             "first ns/c", "second ns/c"}));
  EXPECT_TRUE(cache_seen);
}

TEST_F(InformerTest, StopWithoutSyncIsPrompt) {
  client_.InjectError("list", "", FakeClient::Unavailable("down"), -1);
  Informer inf(client_, resources::Leases(), InformerOptions{});  // 200 ms backoff
  inf.Start();
  EXPECT_FALSE(inf.WaitForSync(absl::Milliseconds(50)));
  inf.Stop();
  EXPECT_FALSE(inf.HasSynced());
}

}  // namespace
}  // namespace joinery::kube
