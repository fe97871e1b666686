// Unit tests for RestClient's pure parts (no network). The transport itself is covered by
// test/integration/kube_client_integration_test.cc against a real API server.
#include "joinery/kube/rest_client.h"

#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace joinery::kube {
namespace {

using ::testing::HasSubstr;

TEST(UrlEncode, KeepsUnreservedAndEscapesTheRest) {
  EXPECT_EQ(UrlEncode("abc-XYZ_0.9~"), "abc-XYZ_0.9~");
  EXPECT_EQ(UrlEncode("a=b,c in (d)"), "a%3Db%2Cc%20in%20%28d%29");
  EXPECT_EQ(UrlEncode("x/y&z?"), "x%2Fy%26z%3F");
  EXPECT_EQ(UrlEncode("\xff"), "%FF");
}

TEST(ResourcePath, BuildsCoreGroupAndNamespacedPaths) {
  EXPECT_EQ(ResourcePath(resources::Pods(), "ns", "p", "status"),
            "/api/v1/namespaces/ns/pods/p/status");
  EXPECT_EQ(ResourcePath(resources::Pods(), "ns"), "/api/v1/namespaces/ns/pods");
  EXPECT_EQ(ResourcePath(resources::Pods(), ""), "/api/v1/pods");
  EXPECT_EQ(ResourcePath(resources::Nodes(), "ignored", "n1"), "/api/v1/nodes/n1");
  EXPECT_EQ(ResourcePath(resources::Namespaces(), "", "kube-system"),
            "/api/v1/namespaces/kube-system");
  EXPECT_EQ(ResourcePath(resources::NodePools(), "", "default"),
            "/apis/karpenter.sh/v1/nodepools/default");
  EXPECT_EQ(ResourcePath(resources::Leases(), "kube-system", "joinery"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/joinery");
  EXPECT_EQ(ResourcePath(resources::Pods(), "ns", "p", "eviction"),
            "/api/v1/namespaces/ns/pods/p/eviction");
  EXPECT_EQ(ResourcePath(resources::Nodes(), "", "", "status"), "/api/v1/nodes");
}

TEST(ListQuery, EncodesListOptions) {
  ListOptions o;
  EXPECT_EQ(ListQuery(o, false), "");
  o.label_selector = "app=web,tier in (a,b)";
  o.field_selector = "spec.nodeName=n1";
  o.resource_version = "123";
  o.limit = 50;
  o.timeout_seconds = 30;  // ignored for lists
  EXPECT_EQ(ListQuery(o, false),
            "labelSelector=app%3Dweb%2Ctier%20in%20%28a%2Cb%29&fieldSelector=spec.nodeName%3Dn1&"
            "resourceVersion=123&limit=50");
}

TEST(ListQuery, ContinueTokenReplacesResourceVersion) {
  ListOptions o;
  o.resource_version = "123";
  o.limit = 2;
  EXPECT_EQ(ListQuery(o, false, "tok/en=="), "limit=2&continue=tok%2Fen%3D%3D");
}

TEST(ListQuery, EncodesWatchOptions) {
  ListOptions o;
  o.resource_version = "77";
  o.timeout_seconds = 300;
  o.limit = 5;  // ignored for watches
  EXPECT_EQ(ListQuery(o, true),
            "resourceVersion=77&watch=1&allowWatchBookmarks=true&timeoutSeconds=300");
  o.allow_watch_bookmarks = false;
  o.timeout_seconds.reset();
  EXPECT_EQ(ListQuery(o, true), "resourceVersion=77&watch=1");
}

TEST(DeleteOptionsBody, CarriesGracePolicyAndPreconditions) {
  EXPECT_EQ(DeleteOptionsBody({}), (Json{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}}));
  DeleteOptions o;
  o.grace_period_seconds = 0;
  o.propagation_policy = "Foreground";
  o.precondition_uid = "u-1";
  o.precondition_resource_version = "9";
  Json body = DeleteOptionsBody(o);
  EXPECT_EQ(body["gracePeriodSeconds"], 0);
  EXPECT_EQ(body["propagationPolicy"], "Foreground");
  EXPECT_EQ(body["preconditions"], (Json{{"uid", "u-1"}, {"resourceVersion", "9"}}));
}

TEST(PatchContentType, MatchesPatchType) {
  EXPECT_EQ(PatchContentType(PatchType::kMerge), "application/merge-patch+json");
  EXPECT_EQ(PatchContentType(PatchType::kJson), "application/json-patch+json");
  EXPECT_EQ(PatchContentType(PatchType::kStrategic), "application/strategic-merge-patch+json");
}

TEST(ParseWatchEvent, ParsesEachType) {
  struct Case {
    const char* type;
    WatchEventType want;
  };
  for (const Case& c :
       {Case{"ADDED", WatchEventType::kAdded}, Case{"MODIFIED", WatchEventType::kModified},
        Case{"DELETED", WatchEventType::kDeleted}, Case{"BOOKMARK", WatchEventType::kBookmark},
        Case{"ERROR", WatchEventType::kError}}) {
    Json line = {{"type", c.type}, {"object", {{"metadata", {{"resourceVersion", "5"}}}}}};
    auto event = ParseWatchEvent(line.dump());
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_EQ(event->type, c.want) << c.type;
    EXPECT_EQ(event->object["metadata"]["resourceVersion"], "5");
  }
}

TEST(ParseWatchEvent, KeepsTheServersErrorStatus) {
  auto event = ParseWatchEvent(
      R"j({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired",)j"
      R"j("message":"too old resource version: 1 (200)"}})j");
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->type, WatchEventType::kError);
  EXPECT_EQ(event->object["code"], 410);
}

TEST(ParseWatchEvent, RejectsMalformedLines) {
  EXPECT_EQ(ParseWatchEvent("{not json").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseWatchEvent("[1,2]").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ParseWatchEvent(R"({"type":"SIDEWAYS","object":{}})").status().message(),
              HasSubstr("SIDEWAYS"));
  EXPECT_EQ(ParseWatchEvent(R"({"type":"ADDED"})").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RestClientCreate, ValidatesTheConfig) {
  RestConfig bad_server;
  bad_server.server = "ftp://x";
  EXPECT_EQ(RestClient::Create(bad_server).status().code(), absl::StatusCode::kInvalidArgument);

  RestConfig half_cert;
  half_cert.server = "https://x";
  half_cert.client_cert_pem = "CERT";
  EXPECT_EQ(RestClient::Create(half_cert).status().code(), absl::StatusCode::kInvalidArgument);

  RestConfig missing_token_file;
  missing_token_file.server = "https://x";
  missing_token_file.bearer_token_file = "/nonexistent/token";
  EXPECT_EQ(RestClient::Create(missing_token_file).status().code(), absl::StatusCode::kNotFound);

  RestConfig ok;
  ok.server = "https://x:6443/";
  auto client = RestClient::Create(ok);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->config().server, "https://x:6443");
}

TEST(RestClient, TransportFailureIsUnavailableAndNamesTheRequest) {
  RestConfig config;
  config.server = "http://127.0.0.1:1";  // nothing listens on port 1
  config.timeout = absl::Seconds(5);
  auto client = RestClient::Create(config);
  ASSERT_TRUE(client.ok());
  auto got = (*client)->Get(resources::Pods(), "ns", "p");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable) << got.status();
  EXPECT_THAT(got.status().message(), HasSubstr("get pods/ns/p: "));
  auto watch = (*client)->Watch(resources::Pods(), "ns", {});
  EXPECT_EQ(watch.status().code(), absl::StatusCode::kUnavailable) << watch.status();
}

}  // namespace
}  // namespace joinery::kube
