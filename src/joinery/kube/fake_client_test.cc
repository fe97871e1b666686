// Designated initializers leave the other option fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "joinery/kube/fake_client.h"

#include <gtest/gtest.h>

#include <thread>

namespace joinery::kube {
namespace {

using nlohmann::json;

json Pod(std::string name, json labels = json::object(), std::string node = "") {
  json p = {{"metadata", {{"name", name}, {"labels", labels}}},
            {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "i"}}})}}}};
  if (!node.empty()) p["spec"]["nodeName"] = node;
  return p;
}

json NodeClaim(std::string name) {
  return {{"metadata", {{"name", name}}}, {"spec", {{"nodeClassRef", {{"name", "default"}}}}}};
}

class FakeClientTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  FakeClient client_{clock_};
};

TEST_F(FakeClientTest, CreateAssignsServerFields) {
  auto p = client_.Create(resources::Pods(), "ns1", Pod("a"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)["metadata"]["namespace"], "ns1");
  EXPECT_EQ((*p)["metadata"]["resourceVersion"], "1");
  EXPECT_EQ((*p)["metadata"]["creationTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ((*p)["metadata"]["uid"].get<std::string>().size(), 36u);
  EXPECT_EQ((*p)["kind"], "Pod");
  EXPECT_EQ((*p)["status"]["phase"], "Pending");
  auto again = client_.Create(resources::Pods(), "ns1", Pod("a"));
  EXPECT_TRUE(IsAlreadyExists(again.status()));
  EXPECT_EQ(ApiReason(again.status()), "AlreadyExists");
  auto q = client_.Create(resources::Pods(), "ns1", Pod("b"));
  EXPECT_EQ((*q)["metadata"]["resourceVersion"], "2");
}

TEST_F(FakeClientTest, GenerateNameIsDeterministic) {
  json nc = {{"metadata", {{"generateName", "default-"}}}, {"spec", json::object()}};
  auto a = client_.Create(resources::NodeClaims(), "", nc);
  ASSERT_TRUE(a.ok());
  std::string name = (*a)["metadata"]["name"];
  EXPECT_EQ(name.size(), std::string("default-").size() + 5);
  FakeClock other_clock;
  FakeClient other(other_clock);
  EXPECT_EQ((*other.Create(resources::NodeClaims(), "", nc))["metadata"]["name"], name);
  EXPECT_FALSE((*a)["metadata"].contains("namespace"));
}

TEST_F(FakeClientTest, CreateRejectsResourceVersionAndMissingName) {
  json p = Pod("a");
  p["metadata"]["resourceVersion"] = "5";
  EXPECT_EQ(client_.Create(resources::Pods(), "ns", p).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_.Create(resources::Pods(), "ns", json{{"metadata", json::object()}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FakeClientTest, UpdateWithStaleResourceVersionConflicts) {
  auto p = *client_.Create(resources::Pods(), "ns", Pod("a"));
  json u1 = p;
  u1["metadata"]["labels"]["x"] = "1";
  auto stored = client_.Update(resources::Pods(), "ns", u1);
  ASSERT_TRUE(stored.ok()) << stored.status();
  json u2 = p;  // stale
  u2["metadata"]["labels"]["x"] = "2";
  auto conflict = client_.Update(resources::Pods(), "ns", u2);
  EXPECT_TRUE(IsConflict(conflict.status()));
  EXPECT_EQ(ApiReason(conflict.status()), "Conflict");
  // An empty resourceVersion is an unconditional update.
  u2["metadata"].erase("resourceVersion");
  EXPECT_TRUE(client_.Update(resources::Pods(), "ns", u2).ok());
  EXPECT_EQ((*client_.Get(resources::Pods(), "ns", "a"))["metadata"]["labels"]["x"], "2");
}

TEST_F(FakeClientTest, NoOpUpdateWritesNothing) {
  auto p = *client_.Create(resources::Pods(), "ns", Pod("a"));
  int64_t rv = client_.CurrentResourceVersion();
  auto same = client_.Update(resources::Pods(), "ns", p);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(client_.CurrentResourceVersion(), rv);
  EXPECT_EQ((*same)["metadata"]["resourceVersion"], p["metadata"]["resourceVersion"]);
}

TEST_F(FakeClientTest, StatusSubresourceSemantics) {
  auto nc = *client_.Create(resources::NodeClaims(), "", NodeClaim("nc"));
  EXPECT_FALSE(nc.contains("status"));  // CRD create drops status
  EXPECT_EQ(nc["metadata"]["generation"], 1);
  // A status update changes only .status.
  json s = nc;
  s["status"] = {{"providerID", "aws:///i-1"}};
  s["spec"]["nodeClassRef"]["name"] = "changed";
  auto stored = client_.Update(resources::NodeClaims(), "", s, "status");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ((*stored)["status"]["providerID"], "aws:///i-1");
  EXPECT_EQ((*stored)["spec"]["nodeClassRef"]["name"], "default");
  EXPECT_EQ((*stored)["metadata"]["generation"], 1);
  // A main update keeps the stored status and bumps generation on a spec change.
  json m = *stored;
  m.erase("status");
  m["spec"]["nodeClassRef"]["name"] = "other";
  auto main = client_.Update(resources::NodeClaims(), "", m);
  ASSERT_TRUE(main.ok()) << main.status();
  EXPECT_EQ((*main)["status"]["providerID"], "aws:///i-1");
  EXPECT_EQ((*main)["metadata"]["generation"], 2);
  // Metadata-only change: no generation bump.
  auto labeled = client_.Patch(resources::NodeClaims(), "", "nc", PatchType::kMerge,
                               json{{"metadata", {{"labels", {{"a", "b"}}}}}});
  ASSERT_TRUE(labeled.ok());
  EXPECT_EQ((*labeled)["metadata"]["generation"], 2);
  // Status patch.
  auto sp = client_.Patch(resources::NodeClaims(), "", "nc", PatchType::kMerge,
                          json{{"status", {{"nodeName", "n1"}}}, {"spec", {{"x", 1}}}}, "status");
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ((*sp)["status"]["nodeName"], "n1");
  EXPECT_FALSE((*sp)["spec"].contains("x"));
  // No status subresource on configmaps-like resources (leases).
  json lease = {{"metadata", {{"name", "l"}}}, {"spec", {{"holderIdentity", "a"}}}};
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", lease).ok());
  EXPECT_TRUE(IsNotFound(client_.Update(resources::Leases(), "ns", lease, "status").status()));
}

TEST_F(FakeClientTest, AddStoresStatusAsGiven) {
  json node = {{"metadata", {{"name", "n1"}}}, {"status", {{"allocatable", {{"cpu", "4"}}}}}};
  auto n = client_.Add(resources::Nodes(), "", node);
  ASSERT_TRUE(n.ok());
  json pod = Pod("p", json::object(), "n1");
  pod["status"] = {{"phase", "Running"}};
  ASSERT_TRUE(client_.Add(resources::Pods(), "ns", pod).ok());
  EXPECT_TRUE(client_.Calls().empty());
  EXPECT_EQ((*client_.Get(resources::Pods(), "ns", "p"))["status"]["phase"], "Running");
}

TEST_F(FakeClientTest, JsonPatchAndPreconditions) {
  ASSERT_TRUE(client_.Create(resources::Pods(), "ns", Pod("a", {{"k", "v"}})).ok());
  auto p = client_.Patch(resources::Pods(), "ns", "a", PatchType::kJson,
                         json::array({{{"op", "test"}, {"path", "/metadata/labels/k"}, {"value", "v"}},
                                      {{"op", "replace"}, {"path", "/metadata/labels/k"}, {"value", "w"}}}));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)["metadata"]["labels"]["k"], "w");
  auto failed = client_.Patch(resources::Pods(), "ns", "a", PatchType::kJson,
                              json::array({{{"op", "test"}, {"path", "/metadata/labels/k"}, {"value", "v"}}}));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  auto stale = client_.Patch(resources::Pods(), "ns", "a", PatchType::kMerge,
                             json{{"metadata", {{"resourceVersion", "1"}, {"labels", {{"k", "z"}}}}}});
  EXPECT_TRUE(IsConflict(stale.status()));
  EXPECT_TRUE(IsNotFound(
      client_.Patch(resources::Pods(), "ns", "nope", PatchType::kMerge, json::object()).status()));
}

TEST_F(FakeClientTest, DeleteWithFinalizersWaitsForTheLastOne) {
  json nc = NodeClaim("nc");
  nc["metadata"]["finalizers"] = {"karpenter.sh/termination"};
  ASSERT_TRUE(client_.Create(resources::NodeClaims(), "", nc).ok());
  auto w = client_.Watch(resources::NodeClaims(), "",
                         ListOptions{.resource_version = std::to_string(client_.CurrentResourceVersion())});
  ASSERT_TRUE(w.ok());
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(client_.Delete(resources::NodeClaims(), "", "nc").ok());
  auto got = client_.Get(resources::NodeClaims(), "", "nc");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["metadata"]["deletionTimestamp"], "2026-01-01T00:00:10Z");
  EXPECT_EQ((*got)["metadata"]["deletionGracePeriodSeconds"], 0);
  // Adding a finalizer while deleting is forbidden.
  auto add = client_.Patch(resources::NodeClaims(), "", "nc", PatchType::kMerge,
                           json{{"metadata", {{"finalizers", {"karpenter.sh/termination", "x"}}}}});
  EXPECT_EQ(add.status().code(), absl::StatusCode::kInvalidArgument);
  // Removing the last finalizer removes the object.
  auto rm = client_.Patch(resources::NodeClaims(), "", "nc", PatchType::kMerge,
                          json{{"metadata", {{"finalizers", nullptr}}}});
  ASSERT_TRUE(rm.ok()) << rm.status();
  EXPECT_TRUE(IsNotFound(client_.Get(resources::NodeClaims(), "", "nc").status()));
  auto e1 = (*w)->Next();
  ASSERT_TRUE(e1.ok() && e1->has_value());
  EXPECT_EQ((*e1)->type, WatchEventType::kModified);
  auto e2 = (*w)->Next();
  ASSERT_TRUE(e2.ok() && e2->has_value());
  EXPECT_EQ((*e2)->type, WatchEventType::kDeleted);
}

TEST_F(FakeClientTest, DeletePreconditionsAndNotFound) {
  auto p = *client_.Create(resources::Pods(), "ns", Pod("a"));
  EXPECT_TRUE(IsConflict(client_.Delete(resources::Pods(), "ns", "a", {.precondition_uid = "other"})));
  EXPECT_TRUE(IsConflict(
      client_.Delete(resources::Pods(), "ns", "a", {.precondition_resource_version = "99"})));
  EXPECT_TRUE(client_.Delete(resources::Pods(), "ns", "a",
                             {.precondition_uid = p["metadata"]["uid"].get<std::string>()})
                  .ok());
  EXPECT_TRUE(IsNotFound(client_.Delete(resources::Pods(), "ns", "a")));
}

TEST(FakeClientGracefulTest, BoundPodsLingerUntilForceDeleted) {
  FakeClock clock;
  FakeClient client(clock, {.pod_graceful_deletion = true});
  ASSERT_TRUE(client.Create(resources::Pods(), "ns", Pod("a", json::object(), "n1")).ok());
  ASSERT_TRUE(client.Delete(resources::Pods(), "ns", "a").ok());
  auto got = client.Get(resources::Pods(), "ns", "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["metadata"]["deletionGracePeriodSeconds"], 30);
  ASSERT_TRUE(client.Delete(resources::Pods(), "ns", "a", {.grace_period_seconds = 0}).ok());
  EXPECT_TRUE(IsNotFound(client.Get(resources::Pods(), "ns", "a").status()));
}

TEST_F(FakeClientTest, ListFiltersBySelectors) {
  ASSERT_TRUE(client_.Create(resources::Pods(), "a", Pod("p1", {{"app", "web"}}, "n1")).ok());
  ASSERT_TRUE(client_.Create(resources::Pods(), "a", Pod("p2", {{"app", "db"}}, "n2")).ok());
  ASSERT_TRUE(client_.Create(resources::Pods(), "b", Pod("p3", {{"app", "web"}})).ok());
  auto names = [&](std::string_view ns, ListOptions o) {
    std::vector<std::string> out;
    auto l = client_.List(resources::Pods(), ns, o);
    EXPECT_TRUE(l.ok()) << l.status();
    for (const json& i : (*l)["items"]) out.push_back(i["metadata"]["name"]);
    return out;
  };
  EXPECT_EQ(names("", {}), (std::vector<std::string>{"p1", "p2", "p3"}));
  EXPECT_EQ(names("a", {}), (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(names("", {.label_selector = "app=web"}), (std::vector<std::string>{"p1", "p3"}));
  EXPECT_EQ(names("", {.label_selector = "app notin (web)"}), (std::vector<std::string>{"p2"}));
  EXPECT_EQ(names("", {.field_selector = "spec.nodeName=n2"}), (std::vector<std::string>{"p2"}));
  EXPECT_EQ(names("", {.field_selector = "spec.nodeName="}), (std::vector<std::string>{"p3"}));
  EXPECT_EQ(names("", {.field_selector = "metadata.namespace=b,status.phase=Pending"}),
            (std::vector<std::string>{"p3"}));
  EXPECT_EQ(names("", {.field_selector = "metadata.name!=p1"}), (std::vector<std::string>{"p2", "p3"}));
  auto l = client_.List(resources::Pods(), "", {});
  EXPECT_EQ((*l)["metadata"]["resourceVersion"], "3");
  EXPECT_FALSE((*l)["items"][0].contains("kind"));  // built-in list items carry no kind
  EXPECT_EQ(client_.List(resources::Pods(), "", {.label_selector = "a in (b"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FakeClientTest, WatchDeliversLaterEventsAndSelectorTransitions) {
  ASSERT_TRUE(client_.Create(resources::Pods(), "ns", Pod("old", {{"app", "web"}})).ok());
  std::string rv = std::to_string(client_.CurrentResourceVersion());
  auto w = client_.Watch(resources::Pods(), "ns", {.label_selector = "app=web", .resource_version = rv});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(client_.Create(resources::Pods(), "ns", Pod("p", {{"app", "web"}})).ok());
  ASSERT_TRUE(client_.Create(resources::Pods(), "other", Pod("q", {{"app", "web"}})).ok());
  ASSERT_TRUE(client_.Create(resources::Nodes(), "", json{{"metadata", {{"name", "n"}}}}).ok());
  ASSERT_TRUE(client_.Patch(resources::Pods(), "ns", "p", PatchType::kMerge,
                            json{{"metadata", {{"labels", {{"app", "db"}}}}}})
                  .ok());
  ASSERT_TRUE(client_.Patch(resources::Pods(), "ns", "p", PatchType::kMerge,
                            json{{"metadata", {{"labels", {{"app", "web"}}}}}})
                  .ok());
  ASSERT_TRUE(client_.Delete(resources::Pods(), "ns", "p").ok());
  std::vector<std::pair<WatchEventType, std::string>> got;
  for (int i = 0; i < 4; ++i) {
    auto e = (*w)->Next();
    ASSERT_TRUE(e.ok() && e->has_value());
    got.emplace_back((*e)->type, (*e)->object["metadata"]["name"]);
    EXPECT_EQ((*e)->object["kind"], "Pod");
  }
  EXPECT_EQ(got, (std::vector<std::pair<WatchEventType, std::string>>{
                     {WatchEventType::kAdded, "p"},
                     {WatchEventType::kDeleted, "p"},  // left the selector
                     {WatchEventType::kAdded, "p"},    // came back
                     {WatchEventType::kDeleted, "p"}}));
}

TEST_F(FakeClientTest, WatchFromEmptyResourceVersionStartsWithCurrentObjects) {
  ASSERT_TRUE(client_.Create(resources::Pods(), "ns", Pod("a")).ok());
  auto w = client_.Watch(resources::Pods(), "", {});
  ASSERT_TRUE(w.ok());
  auto e = (*w)->Next();
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->type, WatchEventType::kAdded);
  EXPECT_EQ((*e)->object["metadata"]["name"], "a");
}

TEST_F(FakeClientTest, WatchFromCompactedResourceVersionGets410) {
  ASSERT_TRUE(client_.Create(resources::Pods(), "ns", Pod("a")).ok());
  ASSERT_TRUE(client_.Create(resources::Pods(), "ns", Pod("b")).ok());
  client_.CompactBefore(2);
  auto w = client_.Watch(resources::Pods(), "", {.resource_version = "1"});
  ASSERT_TRUE(w.ok());
  auto e = (*w)->Next();
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->type, WatchEventType::kError);
  EXPECT_EQ((*e)->object["code"], 410);
  auto end = (*w)->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
  // From the compaction point itself it is fine.
  auto ok = client_.Watch(resources::Pods(), "", {.resource_version = "2"});
  ASSERT_TRUE(client_.Create(resources::Pods(), "ns", Pod("c")).ok());
  auto c = (*ok)->Next();
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->object["metadata"]["name"], "c");
}

TEST_F(FakeClientTest, EventWindowCompactsAutomatically) {
  FakeClient small(clock_, {.event_window = 2});
  for (std::string n : {"a", "b", "c", "d"}) ASSERT_TRUE(small.Create(resources::Pods(), "ns", Pod(n)).ok());
  auto w = small.Watch(resources::Pods(), "", {.resource_version = "1"});
  auto e = (*w)->Next();
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->type, WatchEventType::kError);
}

TEST_F(FakeClientTest, CancelAndEndWatchesUnblockNext) {
  auto w = client_.Watch(resources::Pods(), "", {.resource_version = "0"});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(client_.OpenWatchCount(), 1);
  std::thread t([&] { (*w)->Cancel(); });
  auto e = (*w)->Next();
  t.join();
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->has_value());
  auto w2 = client_.Watch(resources::Pods(), "", {.resource_version = "0"});
  client_.EndWatches(FakeClient::Unavailable("connection reset"));
  EXPECT_EQ((*w2)->Next().status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(FakeClientTest, BookmarksCarryTheResourceVersion) {
  auto w = client_.Watch(resources::Pods(), "", {.resource_version = "0"});
  ASSERT_TRUE(client_.Create(resources::Pods(), "ns", Pod("a")).ok());
  auto a = (*w)->Next();
  ASSERT_TRUE(a.ok() && a->has_value());
  client_.SendBookmark();
  auto b = (*w)->Next();
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->type, WatchEventType::kBookmark);
  EXPECT_EQ((*b)->object["metadata"]["resourceVersion"], "1");
}

TEST_F(FakeClientTest, EvictionDeletesThePodUnlessTheHookRefuses) {
  ASSERT_TRUE(client_.Create(resources::Pods(), "ns", Pod("a")).ok());
  ASSERT_TRUE(client_.Create(resources::Pods(), "ns", Pod("b")).ok());
  client_.SetEvictionHook([](const json& pod) {
    if (pod["metadata"]["name"] == "b") {
      return FakeClient::TooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.");
    }
    return absl::OkStatus();
  });
  json ev = {{"apiVersion", "policy/v1"}, {"kind", "Eviction"}, {"metadata", {{"name", "a"}, {"namespace", "ns"}}}};
  EXPECT_TRUE(client_.CreateSubresource(resources::Pods(), "ns", "a", "eviction", ev).ok());
  EXPECT_TRUE(IsNotFound(client_.Get(resources::Pods(), "ns", "a").status()));
  auto refused = client_.CreateSubresource(resources::Pods(), "ns", "b", "eviction", ev);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ApiReason(refused.status()), "TooManyRequests");
  EXPECT_TRUE(client_.Get(resources::Pods(), "ns", "b").ok());
  EXPECT_TRUE(IsNotFound(client_.CreateSubresource(resources::Pods(), "ns", "zz", "eviction", ev).status()));
  EXPECT_EQ(client_.CallsOf("create_subresource", "pods").size(), 3u);
}

TEST_F(FakeClientTest, BindingSetsNodeName) {
  ASSERT_TRUE(client_.Create(resources::Pods(), "ns", Pod("a")).ok());
  ASSERT_TRUE(client_.CreateSubresource(resources::Pods(), "ns", "a", "binding",
                                        json{{"target", {{"kind", "Node"}, {"name", "n1"}}}})
                  .ok());
  EXPECT_EQ((*client_.Get(resources::Pods(), "ns", "a"))["spec"]["nodeName"], "n1");
}

TEST_F(FakeClientTest, InjectedErrorsAndCallLog) {
  client_.InjectError("create", "pods", FakeClient::Unavailable("boom"), 2);
  EXPECT_EQ(client_.Create(resources::Pods(), "ns", Pod("a")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(client_.Create(resources::Nodes(), "", json{{"metadata", {{"name", "n"}}}}).ok());
  EXPECT_FALSE(client_.Create(resources::Pods(), "ns", Pod("a")).ok());
  EXPECT_TRUE(client_.Create(resources::Pods(), "ns", Pod("a")).ok());
  client_.InjectError("get", "", FakeClient::ConflictError("x"), -1);
  EXPECT_FALSE(client_.Get(resources::Pods(), "ns", "a").ok());
  EXPECT_FALSE(client_.Get(resources::Nodes(), "", "n").ok());
  client_.ClearInjectedErrors();
  EXPECT_TRUE(client_.Get(resources::Nodes(), "", "n").ok());
  auto calls = client_.CallsOf("create", "pods");
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].result.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls[2].name, "a");
  EXPECT_EQ(calls[2].ns, "ns");
  EXPECT_TRUE(calls[2].result.ok());
  client_.ClearCalls();
  EXPECT_TRUE(client_.Calls().empty());
}

TEST_F(FakeClientTest, ConcurrentWritersAreSerialized) {
  ASSERT_TRUE(client_.Create(resources::Leases(), "ns", json{{"metadata", {{"name", "l"}}}, {"spec", {{"n", 0}}}}).ok());
  std::vector<std::thread> threads;
  std::atomic<int> conflicts = 0;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        while (true) {
          auto l = *client_.Get(resources::Leases(), "ns", "l");
          l["spec"]["n"] = l["spec"]["n"].get<int>() + 1;
          auto s = client_.Update(resources::Leases(), "ns", l);
          if (s.ok()) break;
          ASSERT_TRUE(IsConflict(s.status()));
          ++conflicts;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ((*client_.Get(resources::Leases(), "ns", "l"))["spec"]["n"], 200);
}

}  // namespace
}  // namespace joinery::kube
