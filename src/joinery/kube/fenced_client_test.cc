#include "joinery/kube/fenced_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "joinery/kube/fake_client.h"

namespace joinery::kube {
namespace {

using ::testing::HasSubstr;

Json ConfigMap(std::string name) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", std::move(name)}, {"namespace", "default"}}}};
}

TEST(FencedClientTest, WritesPassOnlyWhileTheFenceHolds) {
  FakeClock clock;
  FakeClient inner(clock);
  std::atomic<bool> leader = true;
  FencedClient client(inner, [&] { return leader.load(); });
  const Resource& cm = resources::ConfigMaps();

  ASSERT_TRUE(client.Create(cm, "default", ConfigMap("a")).ok());
  ASSERT_TRUE(client.Patch(cm, "default", "a", PatchType::kMerge, {{"data", {{"k", "v"}}}}).ok());

  leader = false;
  inner.ClearCalls();
  auto created = client.Create(cm, "default", ConfigMap("b"));
  EXPECT_TRUE(IsNotLeader(created.status())) << created.status();
  EXPECT_THAT(created.status().message(), HasSubstr("not the leader: refusing to create configmaps"));
  Json a = *inner.Get(cm, "default", "a");
  EXPECT_TRUE(IsNotLeader(client.Update(cm, "default", a).status()));
  EXPECT_TRUE(IsNotLeader(
      client.Patch(cm, "default", "a", PatchType::kMerge, {{"data", {{"k", "w"}}}}).status()));
  EXPECT_TRUE(IsNotLeader(client.Delete(cm, "default", "a")));
  EXPECT_TRUE(IsNotLeader(
      client.CreateSubresource(resources::Pods(), "default", "p", "eviction", Json::object())
          .status()));
  // Nothing reached the API server; reads still work (a standby keeps a warm view).
  EXPECT_TRUE(inner.CallsOf("create").empty());
  EXPECT_TRUE(inner.CallsOf("update").empty());
  EXPECT_TRUE(inner.CallsOf("patch").empty());
  EXPECT_TRUE(inner.CallsOf("delete").empty());
  auto got = client.Get(cm, "default", "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["data"]["k"], "v");
  EXPECT_EQ((*client.List(cm, "default"))["items"].size(), 1u);

  leader = true;
  EXPECT_TRUE(client.Delete(cm, "default", "a").ok());
}

TEST(FencedClientTest, AnEmptyFenceAlwaysHolds) {
  FakeClock clock;
  FakeClient inner(clock);
  FencedClient client(inner, nullptr);  // --disable-leader-election
  EXPECT_TRUE(client.Create(resources::ConfigMaps(), "default", ConfigMap("a")).ok());
}

}  // namespace
}  // namespace joinery::kube
