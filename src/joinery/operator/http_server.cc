#include "joinery/operator/http_server.h"

#include <sys/socket.h>

#include <chrono>
#include <utility>

#include "httplib.h"
#include "joinery/common/strings.h"

namespace joinery::op {
namespace {

void ServeCheck(const HttpServer::Check& check, httplib::Response& res) {
  absl::Status st = check ? check() : absl::OkStatus();
  if (st.ok()) {
    res.status = 200;
    res.set_content("ok", "text/plain");
    return;
  }
  res.status = 503;
  res.set_content(StrCat(ToStd(st.message()), "\n"), "text/plain");
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options) : options_(std::move(options)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::SetMetrics(Render render) { render_ = std::move(render); }
void HttpServer::SetLivenessCheck(Check liveness) { liveness_ = std::move(liveness); }
void HttpServer::SetReadinessCheck(Check readiness) { readiness_ = std::move(readiness); }

absl::Status HttpServer::Start() {
  if (server_ != nullptr) return absl::FailedPreconditionError("http server already started");
  auto server = std::make_unique<httplib::Server>();
  int threads = options_.worker_threads > 0 ? options_.worker_threads : 1;
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib's default also sets SO_REUSEPORT, with which a second process (a stale replica, a
  // leftover test) would silently share the port; SO_REUSEADDR alone allows quick restarts.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Handlers capture copies: they run on worker threads while this object may be reconfigured.
  if (render_) {
    server->Get("/metrics", [render = render_](const httplib::Request&, httplib::Response& res) {
      res.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
    });
  }
  server->Get("/healthz", [check = liveness_](const httplib::Request&, httplib::Response& res) {
    ServeCheck(check, res);
  });
  server->Get("/readyz", [check = readiness_](const httplib::Request&, httplib::Response& res) {
    ServeCheck(check, res);
  });

  int port = options_.port;
  if (port == 0) {
    port = server->bind_to_any_port(options_.host);
    if (port <= 0) {
      return absl::UnavailableError(StrCat("cannot bind ", options_.host, ": no free port"));
    }
  } else if (!server->bind_to_port(options_.host, port)) {
    return absl::UnavailableError(StrCat("cannot bind ", options_.host, ":", port));
  }
  httplib::Server* raw = server.get();
  thread_ = std::thread([raw] { raw->listen_after_bind(); });
  // httplib's stop() does nothing until the accept loop runs; wait for it so that Stop() right
  // after Start() cannot leave the thread listening forever.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!raw->is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_ = std::move(server);
  port_ = port;
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (server_ == nullptr) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace joinery::op
