#include "joinery/kube/client.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace joinery::kube {
namespace {

using ::testing::HasSubstr;

std::string StatusBody(int code, const std::string& reason, const std::string& message) {
  return Json{{"kind", "Status"},   {"apiVersion", "v1"}, {"status", "Failure"},
              {"message", message}, {"reason", reason},   {"code", code}}
      .dump();
}

struct MappingCase {
  int http;
  std::string reason;
  absl::StatusCode code;
};

TEST(StatusFromApiError, MapsEachReasonAndCode) {
  const std::vector<MappingCase> cases = {
      {404, "NotFound", absl::StatusCode::kNotFound},
      {409, "AlreadyExists", absl::StatusCode::kAlreadyExists},
      {409, "Conflict", absl::StatusCode::kAborted},
      {410, "Gone", absl::StatusCode::kOutOfRange},
      {410, "Expired", absl::StatusCode::kOutOfRange},
      {422, "Invalid", absl::StatusCode::kInvalidArgument},
      {400, "BadRequest", absl::StatusCode::kInvalidArgument},
      {403, "Forbidden", absl::StatusCode::kPermissionDenied},
      {401, "Unauthorized", absl::StatusCode::kUnauthenticated},
      {429, "TooManyRequests", absl::StatusCode::kResourceExhausted},
      {504, "Timeout", absl::StatusCode::kDeadlineExceeded},
      {500, "InternalError", absl::StatusCode::kUnavailable},
      {503, "ServiceUnavailable", absl::StatusCode::kUnavailable},
      {500, "ServerTimeout", absl::StatusCode::kUnavailable},
      {405, "MethodNotAllowed", absl::StatusCode::kUnimplemented},
  };
  for (const auto& c : cases) {
    absl::Status s =
        StatusFromApiError(c.http, StatusBody(c.http, c.reason, "the words"), "verb x");
    EXPECT_EQ(s.code(), c.code) << c.http << " " << c.reason;
    EXPECT_EQ(s.message(), "verb x: the words");
    EXPECT_EQ(ApiReason(s), c.reason);
  }
}

TEST(StatusFromApiError, FallsBackToHttpCodeForNonStatusBodies) {
  const std::vector<std::pair<int, absl::StatusCode>> cases = {
      {400, absl::StatusCode::kInvalidArgument},
      {401, absl::StatusCode::kUnauthenticated},
      {403, absl::StatusCode::kPermissionDenied},
      {404, absl::StatusCode::kNotFound},
      {409, absl::StatusCode::kAborted},
      {410, absl::StatusCode::kOutOfRange},
      {422, absl::StatusCode::kInvalidArgument},
      {429, absl::StatusCode::kResourceExhausted},
      {500, absl::StatusCode::kUnavailable},
      {502, absl::StatusCode::kUnavailable},
      {503, absl::StatusCode::kUnavailable},
      {504, absl::StatusCode::kDeadlineExceeded},
      {418, absl::StatusCode::kFailedPrecondition},
  };
  for (const auto& [http, code] : cases) {
    absl::Status s = StatusFromApiError(http, "<html>proxy says no</html>", "get pods/a/b");
    EXPECT_EQ(s.code(), code) << http;
    EXPECT_THAT(s.message(), HasSubstr("get pods/a/b: HTTP "));
    EXPECT_THAT(s.message(), HasSubstr("proxy says no"));
    EXPECT_EQ(ApiReason(s), "");
  }
}

TEST(StatusFromApiError, TruncatesHugeBodiesAndOmitsEmptyContext) {
  absl::Status s = StatusFromApiError(500, std::string(5000, 'x'), "");
  EXPECT_LT(s.message().size(), 600u);
  EXPECT_THAT(std::string(s.message()), ::testing::StartsWith("HTTP 500: xxx"));
  EXPECT_TRUE(absl::StatusCode::kUnavailable == s.code());
}

TEST(ApiReason, IsEmptyForPlainStatuses) {
  EXPECT_EQ(ApiReason(absl::NotFoundError("x")), "");
  EXPECT_EQ(ApiReason(absl::OkStatus()), "");
}

TEST(Resources, HaveTheRightApiVersionsAndScopes) {
  EXPECT_EQ(resources::Pods().ApiVersion(), "v1");
  EXPECT_TRUE(resources::Pods().namespaced);
  EXPECT_FALSE(resources::Nodes().namespaced);
  EXPECT_EQ(resources::Leases().ApiVersion(), "coordination.k8s.io/v1");
  EXPECT_EQ(resources::DaemonSets().ApiVersion(), "apps/v1");
  EXPECT_EQ(resources::NodePools().ApiVersion(), "karpenter.sh/v1");
  EXPECT_FALSE(resources::NodePools().namespaced);
  EXPECT_FALSE(resources::NodeClaims().namespaced);
  EXPECT_EQ(resources::EC2NodeClasses().ApiVersion(), "karpenter.k8s.aws/v1");
  EXPECT_FALSE(resources::EC2NodeClasses().namespaced);
  EXPECT_EQ(resources::PodDisruptionBudgets().ApiVersion(), "policy/v1beta1");
  EXPECT_EQ(resources::ConfigMaps().kind, "ConfigMap");
  EXPECT_TRUE(resources::PersistentVolumeClaims().namespaced);
  EXPECT_EQ(resources::PersistentVolumeClaims().resource, "persistentvolumeclaims");
  EXPECT_FALSE(resources::PersistentVolumes().namespaced);
  EXPECT_EQ(resources::StorageClasses().ApiVersion(), "storage.k8s.io/v1");
  EXPECT_FALSE(resources::StorageClasses().namespaced);
  EXPECT_EQ(resources::CSINodes().ApiVersion(), "storage.k8s.io/v1");
  EXPECT_EQ(resources::CSINodes().kind, "CSINode");
  EXPECT_EQ(&resources::Pods(), &resources::Pods());
}

// A hand-written Client whose Update fails with Conflict a given number of times.
class ConflictingClient final : public Client {
 public:
  int conflicts_left = 0;
  int gets = 0;
  int updates = 0;
  Json stored = {{"metadata", {{"name", "x"}, {"resourceVersion", "1"}}}, {"data", Json::object()}};

  absl::StatusOr<Json> Get(const Resource&, std::string_view, std::string_view name,
                           std::string_view) override {
    ++gets;
    if (name != "x") return absl::NotFoundError("get x");
    return stored;
  }
  absl::StatusOr<Json> Update(const Resource&, std::string_view, const Json& object,
                              std::string_view) override {
    ++updates;
    if (conflicts_left > 0) {
      --conflicts_left;
      // Someone else wrote in between.
      stored["metadata"]["resourceVersion"] =
          std::to_string(std::stoi(stored["metadata"]["resourceVersion"].get<std::string>()) + 1);
      return StatusFromApiError(409, StatusBody(409, "Conflict", "the object has been modified"),
                                "update x");
    }
    stored = object;
    stored["metadata"]["resourceVersion"] = "100";
    return stored;
  }
  absl::StatusOr<Json> List(const Resource&, std::string_view, const ListOptions&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<Json> Create(const Resource&, std::string_view, const Json&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<Json> CreateSubresource(const Resource&, std::string_view, std::string_view,
                                         std::string_view, const Json&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<Json> Patch(const Resource&, std::string_view, std::string_view, PatchType,
                             const Json&, std::string_view) override {
    return absl::UnimplementedError("");
  }
  absl::Status Delete(const Resource&, std::string_view, std::string_view,
                      const DeleteOptions&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource&, std::string_view,
                                                     const ListOptions&) override {
    return absl::UnimplementedError("");
  }
};

TEST(UpdateWithRetry, RetriesConflictsWithAFreshGet) {
  ConflictingClient client;
  client.conflicts_left = 2;
  int calls = 0;
  auto result = UpdateWithRetry(client, resources::ConfigMaps(), "ns", "x", [&](Json& o) {
    ++calls;
    o["data"]["k"] = "v";
    return true;
  });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ((*result)["data"]["k"], "v");
  EXPECT_EQ((*result)["metadata"]["resourceVersion"], "100");
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(client.gets, 3);
  EXPECT_EQ(client.updates, 3);
}

TEST(UpdateWithRetry, GivesUpAfterAttemptsWithConflict) {
  ConflictingClient client;
  client.conflicts_left = 10;
  auto result = UpdateWithRetry(
      client, resources::ConfigMaps(), "ns", "x", [](Json&) { return true; }, "", 3);
  EXPECT_TRUE(IsConflict(result.status())) << result.status();
  EXPECT_EQ(client.updates, 3);
  EXPECT_EQ(ApiReason(result.status()), "Conflict");
}

TEST(UpdateWithRetry, SkipsTheWriteWhenNothingChanges) {
  ConflictingClient client;
  auto result =
      UpdateWithRetry(client, resources::ConfigMaps(), "ns", "x", [](Json&) { return false; });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(client.updates, 0);
  EXPECT_EQ((*result)["metadata"]["resourceVersion"], "1");
}

TEST(UpdateWithRetry, PropagatesMutateAndGetErrors) {
  ConflictingClient client;
  auto bad = UpdateWithRetry(
      client, resources::ConfigMaps(), "ns", "x",
      [](Json&) -> absl::StatusOr<bool> { return absl::InvalidArgumentError("no"); });
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  auto missing =
      UpdateWithRetry(client, resources::ConfigMaps(), "ns", "y", [](Json&) { return true; });
  EXPECT_TRUE(IsNotFound(missing.status()));
  EXPECT_EQ(client.updates, 0);
}

}  // namespace
}  // namespace joinery::kube
