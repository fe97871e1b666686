#include "joinery/operator/http_server.h"

#include <atomic>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "joinery/operator/metrics.h"

namespace joinery::op {
namespace {

using ::testing::HasSubstr;

HttpServerOptions Ephemeral() { return {.host = "127.0.0.1", .port = 0}; }

TEST(HttpServer, ServesChecksAsTheFunctionsSay) {
  std::atomic<bool> ready = false;
  HttpServer server(Ephemeral());
  server.SetLivenessCheck([] { return absl::OkStatus(); });
  server.SetReadinessCheck([&ready]() -> absl::Status {
    if (ready) return absl::OkStatus();
    return absl::UnavailableError("informers not synced");
  });
  ASSERT_TRUE(server.Start().ok());
  ASSERT_GT(server.port(), 0);

  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok");

  res = client.Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_THAT(res->body, HasSubstr("informers not synced"));

  ready = true;
  res = client.Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  res = client.Get("/metrics");  // not configured on this server
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  server.Stop();
  server.Stop();  // idempotent
}

TEST(HttpServer, FailingLivenessIs503) {
  HttpServer server(Ephemeral());
  server.SetLivenessCheck([] { return absl::InternalError("leader election lost"); });
  ASSERT_TRUE(server.Start().ok());
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_THAT(res->body, HasSubstr("leader election lost"));
  res = client.Get("/readyz");  // no readiness check: ready
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(HttpServer, ServesMetrics) {
  Metrics metrics;
  metrics.NodeClaimCreated("default");
  HttpServer server(Ephemeral());
  server.SetMetrics([&metrics] { return metrics.Render(); });
  ASSERT_TRUE(server.Start().ok());
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/plain"));
  EXPECT_THAT(res->body, HasSubstr("karpenter_nodeclaims_created_total"));
}

TEST(HttpServer, PortInUseIsUnavailable) {
  HttpServer first(Ephemeral());
  ASSERT_TRUE(first.Start().ok());
  HttpServer second({.host = "127.0.0.1", .port = first.port()});
  absl::Status st = second.Start();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_EQ(first.Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(HttpServer, StopsRightAfterStart) {
  for (int i = 0; i < 5; ++i) {
    HttpServer server(Ephemeral());
    ASSERT_TRUE(server.Start().ok());
  }  // destructor stops
}

}  // namespace
}  // namespace joinery::op
