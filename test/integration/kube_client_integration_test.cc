// RestClient against a real kube-apiserver (1.20) started by scripts/local-cluster.sh.
//
// Each test gets its own namespace (ClusterTest). Waits are polls with deadlines; nothing asserts
// on how long something took.
#include <atomic>
#include <chrono>
#include <future>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "joinery/common/strings.h"
#include "joinery/kube/client.h"
#include "joinery/kube/rest_client.h"

namespace joinery::integration {
namespace {

using kube::Json;
using kube::WatchEvent;
using kube::WatchEventType;
using ::testing::HasSubstr;
namespace resources = kube::resources;

Json ConfigMap(const std::string& name, Json data = Json::object(), Json labels = Json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
          {"data", std::move(data)}};
}

// kube-controller-manager publishes this ConfigMap into every new namespace at its own pace;
// watches filter it out so that they see only what the test writes.
constexpr char kNotRootCa[] = "metadata.name!=kube-root-ca.crt";

std::string Rv(const Json& object) {
  return object["metadata"]["resourceVersion"].get<std::string>();
}

std::vector<std::string> Names(const Json& list) {
  std::vector<std::string> names;
  for (const auto& item : list["items"]) names.push_back(item["metadata"]["name"]);
  return names;
}

// Reads events from `stream` until `want` non-bookmark events have arrived, the stream ends or
// fails, or a watchdog cancels it after `timeout`. Bookmarks are counted in `bookmarks`.
struct Drained {
  std::vector<WatchEvent> events;
  int bookmarks = 0;
  absl::Status status;  // the error that ended the stream, if any
  bool ended = false;   // Next() returned nullopt
};
Drained Drain(kube::WatchStream& stream, size_t want, absl::Duration timeout = absl::Seconds(60)) {
  std::atomic<bool> finished{false};
  std::thread watchdog([&] {
    PollUntil([&] { return finished.load(); }, timeout);
    stream.Cancel();  // a no-op for the result when we already finished
  });
  Drained out;
  while (out.events.size() < want) {
    auto next = stream.Next();
    if (!next.ok()) {
      out.status = next.status();
      break;
    }
    if (!next->has_value()) {
      out.ended = true;
      break;
    }
    if ((*next)->type == WatchEventType::kBookmark) {
      ++out.bookmarks;
      continue;
    }
    out.events.push_back(std::move(**next));
  }
  finished.store(true);
  watchdog.join();
  return out;
}

class KubeClientTest : public ClusterTest {};

TEST_F(KubeClientTest, CreateGetListDelete) {
  auto created = client().Create(resources::ConfigMaps(), ns(),
                                 ConfigMap("alpha", {{"k", "v"}}, {{"app", "web"}}));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*created)["metadata"]["namespace"], ns());
  EXPECT_FALSE((*created)["metadata"]["uid"].get<std::string>().empty());

  auto got = client().Get(resources::ConfigMaps(), ns(), "alpha");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)["data"]["k"], "v");
  EXPECT_EQ(Rv(*got), Rv(*created));

  ASSERT_TRUE(
      client().Create(resources::ConfigMaps(), ns(), ConfigMap("beta", {}, {{"app", "db"}})).ok());
  auto web = client().List(resources::ConfigMaps(), ns(), {.label_selector = "app in (web)"});
  ASSERT_TRUE(web.ok()) << web.status();
  EXPECT_THAT(Names(*web), ::testing::ElementsAre("alpha"));
  EXPECT_FALSE((*web)["metadata"]["resourceVersion"].get<std::string>().empty());

  // kubectl sees the same object.
  CommandResult kubectl =
      env().Kubectl({"get", "configmap", "alpha", "-n", ns(), "-o", "jsonpath={.data.k}"});
  EXPECT_EQ(kubectl.exit_code, 0) << kubectl.err;
  EXPECT_EQ(kubectl.out, "v");

  ASSERT_TRUE(client().Delete(resources::ConfigMaps(), ns(), "alpha").ok());
  auto gone = client().Get(resources::ConfigMaps(), ns(), "alpha");
  EXPECT_TRUE(kube::IsNotFound(gone.status())) << gone.status();
  EXPECT_EQ(kube::ApiReason(gone.status()), "NotFound");
  EXPECT_THAT(gone.status().message(), HasSubstr(StrCat("get configmaps/", ns(), "/alpha: ")));
  absl::Status again = client().Delete(resources::ConfigMaps(), ns(), "alpha");
  EXPECT_TRUE(kube::IsNotFound(again)) << again;
}

TEST_F(KubeClientTest, CreateTwiceIsAlreadyExists) {
  ASSERT_TRUE(client().Create(resources::ConfigMaps(), ns(), ConfigMap("dup")).ok());
  auto second = client().Create(resources::ConfigMaps(), ns(), ConfigMap("dup"));
  EXPECT_TRUE(kube::IsAlreadyExists(second.status())) << second.status();
  EXPECT_EQ(kube::ApiReason(second.status()), "AlreadyExists");
}

TEST_F(KubeClientTest, GenerateNameGetsAServerChosenName) {
  Json cm = ConfigMap("");
  cm["metadata"].erase("name");
  cm["metadata"]["generateName"] = "gen-";
  auto created = client().Create(resources::ConfigMaps(), ns(), cm);
  ASSERT_TRUE(created.ok()) << created.status();
  std::string name = (*created)["metadata"]["name"];
  EXPECT_THAT(name, ::testing::StartsWith("gen-"));
  EXPECT_GT(name.size(), 4u);
  EXPECT_TRUE(client().Get(resources::ConfigMaps(), ns(), name).ok());
}

TEST_F(KubeClientTest, ListFollowsContinueTokens) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(client()
                    .Create(resources::ConfigMaps(), ns(),
                            ConfigMap(StrCat("page-", i), {}, {{"paged", "yes"}}))
                    .ok());
  }
  auto list =
      client().List(resources::ConfigMaps(), ns(), {.label_selector = "paged=yes", .limit = 2});
  ASSERT_TRUE(list.ok()) << list.status();
  std::vector<std::string> names = Names(*list);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 7u);
  EXPECT_EQ(names.size(), 7u);
  EXPECT_FALSE((*list)["metadata"].contains("continue"));

  // All namespaces: an empty namespace on a namespaced resource.
  auto everywhere =
      client().List(resources::ConfigMaps(), "", {.label_selector = "paged=yes", .limit = 3});
  ASSERT_TRUE(everywhere.ok()) << everywhere.status();
  EXPECT_GE((*everywhere)["items"].size(), 7u);
}

TEST_F(KubeClientTest, UpdateWithStaleResourceVersionIsConflict) {
  auto created = client().Create(resources::ConfigMaps(), ns(), ConfigMap("cas", {{"n", "0"}}));
  ASSERT_TRUE(created.ok()) << created.status();
  Json first = *created;
  first["data"]["n"] = "1";
  auto updated = client().Update(resources::ConfigMaps(), ns(), first);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_NE(Rv(*updated), Rv(*created));

  Json stale = *created;  // still carries the old resourceVersion
  stale["data"]["n"] = "2";
  auto conflict = client().Update(resources::ConfigMaps(), ns(), stale);
  EXPECT_TRUE(kube::IsConflict(conflict.status())) << conflict.status();
  EXPECT_EQ(kube::ApiReason(conflict.status()), "Conflict");
}

TEST_F(KubeClientTest, UpdateWithRetrySurvivesAConcurrentWriter) {
  ASSERT_TRUE(
      client().Create(resources::ConfigMaps(), ns(), ConfigMap("counter", {{"n", "0"}})).ok());
  constexpr int kPerWriter = 15;
  auto increment = [&] {
    for (int i = 0; i < kPerWriter; ++i) {
      auto r = kube::UpdateWithRetry(
          client(), resources::ConfigMaps(), ns(), "counter",
          [](Json& cm) -> absl::StatusOr<bool> {
            cm["data"]["n"] = std::to_string(std::stoi(cm["data"]["n"].get<std::string>()) + 1);
            return true;
          },
          "", /*attempts=*/50);
      if (!r.ok()) return r.status();
    }
    return absl::OkStatus();
  };
  auto other = std::async(std::launch::async, increment);
  absl::Status mine = increment();
  absl::Status theirs = other.get();
  ASSERT_TRUE(mine.ok()) << mine;
  ASSERT_TRUE(theirs.ok()) << theirs;
  auto final_cm = client().Get(resources::ConfigMaps(), ns(), "counter");
  ASSERT_TRUE(final_cm.ok());
  EXPECT_EQ((*final_cm)["data"]["n"], std::to_string(2 * kPerWriter));
}

TEST_F(KubeClientTest, MergeJsonAndStrategicPatches) {
  ASSERT_TRUE(client()
                  .Create(resources::ConfigMaps(), ns(), ConfigMap("p", {{"a", "1"}, {"b", "2"}}))
                  .ok());
  auto merged = client().Patch(resources::ConfigMaps(), ns(), "p", kube::PatchType::kMerge,
                               {{"data", {{"a", nullptr}, {"c", "3"}}}});
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ((*merged)["data"], (Json{{"b", "2"}, {"c", "3"}}));

  auto patched = client().Patch(
      resources::ConfigMaps(), ns(), "p", kube::PatchType::kJson,
      Json::array({{{"op", "replace"}, {"path", "/data/b"}, {"value", "20"}},
                   {{"op", "add"}, {"path", "/metadata/labels"}, {"value", {{"x", "y"}}}}}));
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)["data"]["b"], "20");
  EXPECT_EQ((*patched)["metadata"]["labels"]["x"], "y");

  auto strategic = client().Patch(resources::ConfigMaps(), ns(), "p", kube::PatchType::kStrategic,
                                  {{"data", {{"d", "4"}}}});
  ASSERT_TRUE(strategic.ok()) << strategic.status();
  EXPECT_EQ((*strategic)["data"]["d"], "4");

  auto failing =
      client().Patch(resources::ConfigMaps(), ns(), "p", kube::PatchType::kJson,
                     Json::array({{{"op", "test"}, {"path", "/data/b"}, {"value", "nope"}}}));
  EXPECT_FALSE(failing.ok());
  auto missing = client().Patch(resources::ConfigMaps(), ns(), "nope", kube::PatchType::kMerge,
                                {{"data", {{"a", "1"}}}});
  EXPECT_TRUE(kube::IsNotFound(missing.status())) << missing.status();
}

TEST_F(KubeClientTest, NodeStatusSubresource) {
  const std::string name = StrCat("joinery-it-node-", ns());
  Json node = {{"apiVersion", "v1"},
               {"kind", "Node"},
               {"metadata", {{"name", name}, {"labels", {{"joinery.dev/integration", "true"}}}}},
               {"spec", {{"unschedulable", true}}}};
  auto created = client().Create(resources::Nodes(), "", node);
  ASSERT_TRUE(created.ok()) << created.status();

  auto updated = kube::UpdateWithRetry(
      client(), resources::Nodes(), "", name,
      [](Json& n) -> absl::StatusOr<bool> {
        n["status"]["capacity"] = {{"cpu", "4"}, {"memory", "8Gi"}, {"pods", "110"}};
        n["spec"]["unschedulable"] = false;  // ignored by the status subresource
        return true;
      },
      "status");
  ASSERT_TRUE(updated.ok()) << updated.status();
  auto got = client().Get(resources::Nodes(), "", name);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["status"]["capacity"]["cpu"], "4");
  EXPECT_EQ((*got)["spec"]["unschedulable"], true);

  auto status_patch = client().Patch(resources::Nodes(), "", name, kube::PatchType::kMerge,
                                     {{"status", {{"capacity", {{"cpu", "8"}}}}}}, "status");
  ASSERT_TRUE(status_patch.ok()) << status_patch.status();
  EXPECT_EQ((*status_patch)["status"]["capacity"]["cpu"], "8");

  // A precondition on a wrong uid refuses the delete; the right one succeeds.
  absl::Status wrong = client().Delete(
      resources::Nodes(), "", name, {.precondition_uid = "00000000-0000-0000-0000-000000000000"});
  EXPECT_TRUE(kube::IsConflict(wrong)) << wrong;
  absl::Status deleted =
      client().Delete(resources::Nodes(), "", name,
                      {.grace_period_seconds = 0,
                       .precondition_uid = (*created)["metadata"]["uid"].get<std::string>()});
  EXPECT_TRUE(deleted.ok()) << deleted;
  EXPECT_TRUE(PollUntil(
      [&] { return kube::IsNotFound(client().Get(resources::Nodes(), "", name).status()); }));
}

TEST_F(KubeClientTest, BadTokenIsUnauthenticated) {
  auto bad = env().NewClient([](kube::RestConfig& c) { c.bearer_token = "not-a-token"; });
  ASSERT_TRUE(bad.ok());
  auto got = (*bad)->Get(resources::Namespaces(), "", ns());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnauthenticated) << got.status();
}

TEST_F(KubeClientTest, WrongCaFailsTlsVerificationAndInsecureSkipsIt) {
  auto wrong_ca = env().NewClient([](kube::RestConfig& c) { c.ca_pem.clear(); });
  ASSERT_TRUE(wrong_ca.ok());
  auto refused = (*wrong_ca)->Get(resources::Namespaces(), "", ns());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  auto insecure = env().NewClient([](kube::RestConfig& c) {
    c.ca_pem.clear();
    c.insecure_skip_tls_verify = true;
  });
  ASSERT_TRUE(insecure.ok());
  EXPECT_TRUE((*insecure)->Get(resources::Namespaces(), "", ns()).ok());
}

TEST_F(KubeClientTest, TokenFileIsUsed) {
  // admin-token in the cluster directory holds the same token the kubeconfig embeds.
  auto from_file = env().NewClient([&](kube::RestConfig& c) {
    c.bearer_token = "stale";
    c.bearer_token_file = env().dir() + "/admin-token";
  });
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  auto got = (*from_file)->Get(resources::Namespaces(), "", ns());
  EXPECT_TRUE(got.ok()) << got.status();
}

TEST_F(KubeClientTest, ConcurrentRequestsShareOneClient) {
  ASSERT_TRUE(client().Create(resources::ConfigMaps(), ns(), ConfigMap("shared")).ok());
  std::vector<std::future<int>> workers;
  for (int t = 0; t < 8; ++t) {
    workers.push_back(std::async(std::launch::async, [&] {
      int ok = 0;
      for (int i = 0; i < 20; ++i) ok += client().Get(resources::ConfigMaps(), ns(), "shared").ok();
      return ok;
    }));
  }
  for (auto& w : workers) EXPECT_EQ(w.get(), 20);
}

TEST_F(KubeClientTest, WatchDeliversEventsInOrder) {
  auto list = client().List(resources::ConfigMaps(), ns());
  ASSERT_TRUE(list.ok()) << list.status();
  auto stream = client().Watch(
      resources::ConfigMaps(), ns(),
      {.field_selector = kNotRootCa, .resource_version = Rv(*list), .timeout_seconds = 120});
  ASSERT_TRUE(stream.ok()) << stream.status();

  auto created = client().Create(resources::ConfigMaps(), ns(), ConfigMap("w", {{"n", "1"}}));
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(client()
                  .Patch(resources::ConfigMaps(), ns(), "w", kube::PatchType::kMerge,
                         {{"data", {{"n", "2"}}}})
                  .ok());
  ASSERT_TRUE(client().Delete(resources::ConfigMaps(), ns(), "w").ok());

  Drained got = Drain(**stream, 3);
  ASSERT_TRUE(got.status.ok()) << got.status;
  ASSERT_EQ(got.events.size(), 3u);
  EXPECT_EQ(got.events[0].type, WatchEventType::kAdded);
  EXPECT_EQ(got.events[1].type, WatchEventType::kModified);
  EXPECT_EQ(got.events[1].object["data"]["n"], "2");
  EXPECT_EQ(got.events[2].type, WatchEventType::kDeleted);
  for (const auto& e : got.events) EXPECT_EQ(e.object["metadata"]["name"], "w");
}

TEST_F(KubeClientTest, WatchWithLabelSelectorFiltersEvents) {
  auto list = client().List(resources::ConfigMaps(), ns());
  ASSERT_TRUE(list.ok());
  auto stream = client().Watch(
      resources::ConfigMaps(), ns(),
      {.label_selector = "pick=me", .field_selector = kNotRootCa, .resource_version = Rv(*list)});
  ASSERT_TRUE(stream.ok()) << stream.status();
  ASSERT_TRUE(
      client().Create(resources::ConfigMaps(), ns(), ConfigMap("skip", {}, {{"pick", "no"}})).ok());
  ASSERT_TRUE(
      client().Create(resources::ConfigMaps(), ns(), ConfigMap("take", {}, {{"pick", "me"}})).ok());
  Drained got = Drain(**stream, 1);
  ASSERT_EQ(got.events.size(), 1u) << got.status;
  EXPECT_EQ(got.events[0].object["metadata"]["name"], "take");
}

TEST_F(KubeClientTest, WatchWithBookmarksEndsAtTheServerTimeout) {
  ASSERT_TRUE(client().Create(resources::ConfigMaps(), ns(), ConfigMap("seed")).ok());
  auto list = client().List(resources::ConfigMaps(), ns());
  ASSERT_TRUE(list.ok());
  const int64_t listed = std::stoll(Rv(*list));
  // Bookmarks are asked for; whether the 1.20 watch cache sends one within a short watch depends
  // on its timers (in our runs it mostly did not), so the test checks what does hold: the server
  // ends the stream normally at timeoutSeconds, and any bookmark carries a resourceVersion not
  // older than the list's. Bookmark handling itself is unit-tested (rest_client_test,
  // informer_test).
  auto stream = client().Watch(resources::ConfigMaps(), ns(),
                               {.field_selector = kNotRootCa,
                                .resource_version = Rv(*list),
                                .allow_watch_bookmarks = true,
                                .timeout_seconds = 3});
  ASSERT_TRUE(stream.ok()) << stream.status();
  absl::Time start = absl::Now();
  for (;;) {
    auto next = (*stream)->Next();
    ASSERT_TRUE(next.ok()) << next.status();
    if (!next->has_value()) break;  // the server ended the stream at its timeout
    ASSERT_EQ((*next)->type, WatchEventType::kBookmark) << (*next)->object.dump();
    EXPECT_GE(std::stoll((*next)->object["metadata"].value("resourceVersion", "0")), listed);
  }
  EXPECT_GE(absl::Now() - start, absl::Seconds(2));  // ended by the server's timeout, not at once
}

TEST_F(KubeClientTest, CancelUnblocksNextFromAnotherThread) {
  auto stream = client().Watch(resources::ConfigMaps(), ns(), {.field_selector = kNotRootCa});
  ASSERT_TRUE(stream.ok()) << stream.status();
  auto next = std::async(std::launch::async, [&] { return (*stream)->Next(); });
  (*stream)->Cancel();
  auto result = next.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->has_value());
  (*stream)->Cancel();  // idempotent
}

// Whether a configmaps watch from resourceVersion "1" is refused as too old. On a brand-new
// cluster the watch cache still serves it; a restart of kube-apiserver refills the cache from the
// current resourceVersion (etcd compaction runs every 5 minutes, too slow for a test).
bool ResourceVersionOneIsGone(kube::Client& client) {
  auto w = client.Watch(resources::ConfigMaps(), "",
                        {.resource_version = "1", .allow_watch_bookmarks = false, .timeout_seconds = 2});
  if (!w.ok()) return kube::IsGone(w.status());
  auto e = (*w)->Next();
  return e.ok() && e->has_value() && (*e)->type == WatchEventType::kError &&
         (*e)->object.value("code", 0) == 410;
}

TEST_F(KubeClientTest, WatchFromACompactedResourceVersionIsGone) {
  if (!ResourceVersionOneIsGone(client())) {
    CommandResult r = env().ClusterScript("restart-apiserver");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_TRUE(PollUntil([&] { return ResourceVersionOneIsGone(client()); }, absl::Seconds(120)));
  }
  ASSERT_TRUE(client().Create(resources::ConfigMaps(), ns(), ConfigMap("old")).ok());
  // "1" predates everything the watch cache (or etcd after compaction) still has.
  auto stream = client().Watch(resources::ConfigMaps(), ns(),
                               {.field_selector = kNotRootCa, .resource_version = "1"});
  if (!stream.ok()) {
    EXPECT_TRUE(kube::IsGone(stream.status())) << stream.status();
    return;
  }
  Drained got = Drain(**stream, 1);
  if (!got.status.ok()) {
    EXPECT_TRUE(kube::IsGone(got.status)) << got.status;
    return;
  }
  ASSERT_EQ(got.events.size(), 1u);
  EXPECT_EQ(got.events[0].type, WatchEventType::kError);
  EXPECT_EQ(got.events[0].object["code"], 410) << got.events[0].object.dump();
}

TEST_F(KubeClientTest, WatchResumesAfterApiServerRestartWithoutMissingEvents) {
  auto list = client().List(resources::ConfigMaps(), ns());
  ASSERT_TRUE(list.ok());
  auto stream = client().Watch(resources::ConfigMaps(), ns(),
                               {.field_selector = kNotRootCa, .resource_version = Rv(*list)});
  ASSERT_TRUE(stream.ok()) << stream.status();
  ASSERT_TRUE(client().Create(resources::ConfigMaps(), ns(), ConfigMap("before")).ok());
  Drained first = Drain(**stream, 1);
  ASSERT_EQ(first.events.size(), 1u) << first.status;
  const std::string last_rv = Rv(first.events[0].object);

  // Restart the API server while the stream is open; the stream must end (error or EOF).
  auto restart =
      std::async(std::launch::async, [&] { return env().ClusterScript("restart-apiserver"); });
  Drained broken = Drain(**stream, 1, absl::Seconds(180));
  CommandResult restarted = restart.get();
  ASSERT_EQ(restarted.exit_code, 0) << restarted.err;
  EXPECT_TRUE(broken.events.empty());
  EXPECT_TRUE(broken.ended || broken.status.code() == absl::StatusCode::kUnavailable)
      << broken.status;

  // Written after the old stream died and before the new one starts: must not be missed.
  absl::Status created;
  ASSERT_TRUE(PollUntil(
      [&] {
        created = client().Create(resources::ConfigMaps(), ns(), ConfigMap("during")).status();
        return created.code() != absl::StatusCode::kUnavailable;
      },
      absl::Seconds(120)));
  ASSERT_TRUE(created.ok()) << created;

  // Resume from the last resourceVersion seen. kube-apiserver 1.20 serves watches from its watch
  // cache, which after a restart starts at the revision of its initial list: a resume from an
  // older revision may therefore be answered with 410 (an ERROR event), and the caller relists.
  // Either way nothing written meanwhile is lost: the resumed watch replays "during", or the
  // relist after 410 contains it.
  std::unique_ptr<kube::WatchStream> resumed;
  absl::Status watch_status;
  ASSERT_TRUE(PollUntil([&] {
    auto s = client().Watch(resources::ConfigMaps(), ns(),
                            {.field_selector = kNotRootCa, .resource_version = last_rv});
    watch_status = s.status();
    if (!s.ok()) return watch_status.code() != absl::StatusCode::kUnavailable;
    resumed = std::move(*s);
    return true;
  }));
  std::vector<std::string> names;
  bool gone = kube::IsGone(watch_status);
  if (resumed != nullptr) {
    ASSERT_TRUE(client().Create(resources::ConfigMaps(), ns(), ConfigMap("after")).ok());
    Drained second = Drain(*resumed, 2);
    ASSERT_TRUE(second.status.ok()) << second.status;
    for (const auto& e : second.events) {
      if (e.type == WatchEventType::kError) {
        EXPECT_EQ(e.object["code"], 410) << e.object.dump();
        gone = true;
        break;
      }
      EXPECT_EQ(e.type, WatchEventType::kAdded) << e.object.dump();
      names.push_back(e.object["metadata"]["name"]);
    }
    if (!gone) {
      EXPECT_THAT(names, ::testing::ElementsAre("during", "after"));
    }
  } else {
    ASSERT_TRUE(gone) << watch_status;
  }
  std::cout << "[   INFO   ] old stream ended with "
            << (broken.ended ? "EOF" : std::string(broken.status.ToString())) << "; resume "
            << (gone ? "answered 410, relisted" : "replayed the missed event") << "\n";
  if (gone) {
    auto relisted = client().List(resources::ConfigMaps(), ns());
    ASSERT_TRUE(relisted.ok()) << relisted.status();
    EXPECT_THAT(Names(*relisted), ::testing::Contains("during"));
    auto fresh = client().Watch(resources::ConfigMaps(), ns(),
                                {.field_selector = kNotRootCa, .resource_version = Rv(*relisted)});
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    ASSERT_TRUE(client().Create(resources::ConfigMaps(), ns(), ConfigMap("later")).ok());
    Drained third = Drain(**fresh, 1);
    ASSERT_EQ(third.events.size(), 1u) << third.status;
    EXPECT_EQ(third.events[0].object["metadata"]["name"], "later");
  }
}

}  // namespace
}  // namespace joinery::integration
