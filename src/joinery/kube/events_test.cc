#pragma GCC diagnostic ignored "-Wmissing-field-initializers"  // designated initializers

#include "joinery/kube/events.h"

#include <gtest/gtest.h>

#include "joinery/kube/fake_client.h"

namespace joinery::kube {
namespace {

using nlohmann::json;

ObjectRef NodeClaimRef(std::string name = "default-x7k2p") {
  return {.kind = "NodeClaim",
          .api_version = "karpenter.sh/v1",
          .name = std::move(name),
          .uid = "u-1",
          .resource_version = "5"};
}

class EventsTest : public ::testing::Test {
 protected:
  json Events(std::string_view ns) {
    return (*client_.List(resources::Events(), ns, {}))["items"];
  }
  FakeClock clock_;
  FakeClient client_{clock_};
};

TEST(ObjectRefTest, FromJson) {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"namespace", "ns"}, {"name", "p"}, {"uid", "u"}, {"resourceVersion", "7"}}}};
  ObjectRef r = ObjectRef::FromJson(pod);
  EXPECT_EQ(r, (ObjectRef{"Pod", "v1", "ns", "p", "u", "7"}));
}

TEST_F(EventsTest, CreatesAnEventInTheDefaultNamespaceForClusterScopedObjects) {
  ApiEventRecorder rec(client_, {.reporting_instance = "host-1"}, clock_);
  rec.Publish(NodeClaimRef(), EventType::kNormal, "Launched", "Status condition transitioned");
  rec.Flush();
  json items = Events("default");
  ASSERT_EQ(items.size(), 1u);
  const json& e = items[0];
  EXPECT_EQ(e["involvedObject"]["kind"], "NodeClaim");
  EXPECT_EQ(e["involvedObject"]["apiVersion"], "karpenter.sh/v1");
  EXPECT_EQ(e["involvedObject"]["name"], "default-x7k2p");
  EXPECT_EQ(e["involvedObject"]["uid"], "u-1");
  EXPECT_FALSE(e["involvedObject"].contains("namespace"));
  EXPECT_EQ(e["reason"], "Launched");
  EXPECT_EQ(e["type"], "Normal");
  EXPECT_EQ(e["count"], 1);
  EXPECT_EQ(e["source"]["component"], "joinery");
  EXPECT_EQ(e["source"]["host"], "host-1");
  EXPECT_EQ(e["reportingComponent"], "joinery");
  EXPECT_EQ(e["firstTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(e["lastTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(e["metadata"]["name"].get<std::string>().rfind("default-x7k2p.", 0), 0u);
  EXPECT_EQ(rec.Written(), 1);
}

TEST_F(EventsTest, NamespacedObjectsGetEventsInTheirNamespace) {
  ApiEventRecorder rec(client_, {.component = "karpenter"}, clock_);
  rec.Publish({.kind = "Pod", .api_version = "v1", .ns = "team-a", .name = "web-1"},
              EventType::kWarning, "FailedScheduling", "no nodepool matched");
  rec.Flush();
  json items = Events("team-a");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["involvedObject"]["namespace"], "team-a");
  EXPECT_EQ(items[0]["type"], "Warning");
  EXPECT_EQ(items[0]["source"]["component"], "karpenter");
}

TEST_F(EventsTest, RepeatsWithinTheWindowIncrementCount) {
  ApiEventRecorder rec(client_, {}, clock_);
  rec.Publish(NodeClaimRef(), EventType::kNormal, "Launched", "m");
  rec.Flush();
  clock_.Advance(absl::Minutes(1));
  rec.Publish(NodeClaimRef(), EventType::kNormal, "Launched", "m");
  rec.Flush();
  clock_.Advance(absl::Minutes(1));
  rec.Publish(NodeClaimRef(), EventType::kNormal, "Launched", "m");
  rec.Publish(NodeClaimRef(), EventType::kNormal, "Launched", "different message");
  rec.Flush();
  json items = Events("default");
  ASSERT_EQ(items.size(), 2u);
  json same = items[0]["message"] == "m" ? items[0] : items[1];
  EXPECT_EQ(same["count"], 3);
  EXPECT_EQ(same["firstTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(same["lastTimestamp"], "2026-01-01T00:02:00Z");
  EXPECT_EQ(client_.CallsOf("patch", "events").size(), 2u);
  // After the window, a new Event.
  clock_.Advance(absl::Minutes(11));
  rec.Publish(NodeClaimRef(), EventType::kNormal, "Launched", "m");
  rec.Flush();
  EXPECT_EQ(Events("default").size(), 3u);
}

TEST_F(EventsTest, RecreatesWhenThePatchedEventIsGone) {
  ApiEventRecorder rec(client_, {}, clock_);
  rec.Publish(NodeClaimRef(), EventType::kNormal, "Launched", "m");
  rec.Flush();
  std::string name = Events("default")[0]["metadata"]["name"];
  ASSERT_TRUE(client_.Delete(resources::Events(), "default", name).ok());  // TTL expiry
  rec.Publish(NodeClaimRef(), EventType::kNormal, "Launched", "m");
  rec.Flush();
  json items = Events("default");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["count"], 1);
}

TEST_F(EventsTest, RateLimitsPerObject) {
  ApiEventRecorder rec(client_, {.burst = 3, .refill_interval = absl::Minutes(5)}, clock_);
  for (int i = 0; i < 5; ++i) {
    rec.Publish(NodeClaimRef(), EventType::kNormal, "R", std::to_string(i));
  }
  rec.Publish(NodeClaimRef("other"), EventType::kNormal, "R", "x");  // its own bucket
  rec.Flush();
  EXPECT_EQ(Events("default").size(), 4u);
  EXPECT_EQ(rec.RateLimited(), 2);
  clock_.Advance(absl::Minutes(5));  // one token back
  rec.Publish(NodeClaimRef(), EventType::kNormal, "R", "5");
  rec.Publish(NodeClaimRef(), EventType::kNormal, "R", "6");
  rec.Flush();
  EXPECT_EQ(Events("default").size(), 5u);
  EXPECT_EQ(rec.RateLimited(), 3);
}

TEST_F(EventsTest, FailuresAreCountedNotFatal) {
  client_.InjectError("create", "events", FakeClient::Unavailable("down"), 1);
  ApiEventRecorder rec(client_, {}, clock_);
  rec.Publish(NodeClaimRef(), EventType::kNormal, "A", "a");
  rec.Publish(NodeClaimRef(), EventType::kNormal, "B", "b");
  rec.Flush();
  EXPECT_EQ(rec.Failed(), 1);
  EXPECT_EQ(rec.Written(), 1);
}

TEST_F(EventsTest, DropsWhenTheQueueIsFull) {
  // A blocking eviction hook is not available for events; instead use a capacity of zero.
  ApiEventRecorder rec(client_, {.queue_capacity = 0}, clock_);
  rec.Publish(NodeClaimRef(), EventType::kNormal, "A", "a");
  rec.Flush();
  EXPECT_EQ(rec.Dropped(), 1);
  EXPECT_TRUE(Events("default").empty());
}

TEST_F(EventsTest, DestructorWritesWhatIsQueued) {
  {
    ApiEventRecorder rec(client_, {}, clock_);
    for (int i = 0; i < 10; ++i) rec.Publish(NodeClaimRef(), EventType::kNormal, "R", std::to_string(i));
  }
  EXPECT_EQ(Events("default").size(), 10u);
}

TEST(RecordingEventSinkTest, KeepsEvents) {
  RecordingEventSink sink;
  EventSink& s = sink;
  s.Publish(NodeClaimRef(), EventType::kWarning, "A", "a");
  s.Publish(NodeClaimRef(), EventType::kNormal, "B", "b");
  ASSERT_EQ(sink.Events().size(), 2u);
  ASSERT_EQ(sink.EventsWithReason("A").size(), 1u);
  EXPECT_EQ(sink.EventsWithReason("A")[0].type, EventType::kWarning);
  sink.Clear();
  EXPECT_TRUE(sink.Events().empty());
}

}  // namespace
}  // namespace joinery::kube
