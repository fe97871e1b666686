// The operator's HTTP endpoints: /metrics (Prometheus text format), /healthz (liveness) and
// /readyz (readiness), as Karpenter serves them (metrics on :8080, probes on :8081; run one server
// per port, each with the handlers it should serve).
//
// A check function returns OK for 200 "ok" or an error whose message becomes the 503 body. Handlers
// run on the server's worker threads, so the functions must be thread-safe; they should be cheap
// (kubelet probes time out after a second). Set the handlers before Start(). Start() and Stop() are
// for one owning thread; port() may be read from any thread after Start().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace httplib {
class Server;
}

namespace joinery::op {

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;  // 0: any free port (see port())
  int worker_threads = 4;
};

class HttpServer {
 public:
  using Check = std::function<absl::Status()>;
  using Render = std::function<std::string()>;

  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // GET /metrics returns render() as text/plain; version=0.0.4. Not served when unset.
  void SetMetrics(Render render);
  // GET /healthz: 200 "ok" while liveness() is OK, else 503 with its message. Served (always 200)
  // when unset.
  void SetLivenessCheck(Check liveness);
  // GET /readyz: 200 "ok" when readiness() is OK (e.g. informers synced), else 503. Served (always
  // 200) when unset.
  void SetReadinessCheck(Check readiness);

  // Binds host:port and starts serving on a thread of its own. Unavailable when the address cannot
  // be bound; FailedPrecondition when already started.
  absl::Status Start();
  // Stops accepting connections, lets requests in flight finish and joins the thread. Idempotent.
  void Stop();

  // The bound port (the chosen one when options.port was 0); 0 before Start().
  int port() const { return port_; }

 private:
  HttpServerOptions options_;
  Render render_;
  Check liveness_;
  Check readiness_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace joinery::op
