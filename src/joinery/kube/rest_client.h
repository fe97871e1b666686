// RestClient: the kube::Client that speaks HTTP(S)/JSON to a real API server through libcurl.
//
// Each request takes a token from a client-side QPS/burst limiter (RestConfig::qps, burst), carries
// the bearer token (re-read from bearer_token_file every minute) and the user agent, and is bounded
// by RestConfig::timeout. TLS material comes from PEM held in memory. Idle curl handles are pooled,
// so connections and TLS sessions are reused across requests. Watches use their own connection, no
// overall timeout (TCP keepalive detects dead peers; the server ends the stream after
// timeoutSeconds), and can be cancelled from any thread.
//
// Thread-safety: all Client methods may be called concurrently from any thread (client.h).
// The pure helpers below are exposed for unit tests.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "joinery/kube/client.h"
#include "joinery/kube/config.h"

namespace joinery::kube {

class RestClient final : public Client {
 public:
  // Validates the config (server must be http:// or https://; client cert and key together;
  // bearer_token_file readable when set) and initializes libcurl. Makes no request.
  static absl::StatusOr<std::unique_ptr<RestClient>> Create(RestConfig config);
  ~RestClient() override;
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  const RestConfig& config() const;

  absl::StatusOr<Json> Get(const Resource& r, std::string_view ns, std::string_view name,
                           std::string_view subresource = "") override;
  absl::StatusOr<Json> List(const Resource& r, std::string_view ns,
                            const ListOptions& options = {}) override;
  absl::StatusOr<Json> Create(const Resource& r, std::string_view ns, const Json& object) override;
  absl::StatusOr<Json> CreateSubresource(const Resource& r, std::string_view ns,
                                         std::string_view name, std::string_view subresource,
                                         const Json& body) override;
  absl::StatusOr<Json> Update(const Resource& r, std::string_view ns, const Json& object,
                              std::string_view subresource = "") override;
  absl::StatusOr<Json> Patch(const Resource& r, std::string_view ns, std::string_view name,
                             PatchType type, const Json& patch,
                             std::string_view subresource = "") override;
  absl::Status Delete(const Resource& r, std::string_view ns, std::string_view name,
                      const DeleteOptions& options = {}) override;
  // Returns once the server has answered the watch request (headers received); a non-200 answer
  // is returned here as the mapped Status (410 -> kOutOfRange).
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource& r, std::string_view ns,
                                                     const ListOptions& options) override;

  class Impl;

 private:
  explicit RestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// --- Pure helpers, exposed for tests. ---

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view s);

// The path of a resource collection, object or subresource:
//   /api/v1/namespaces/ns/pods/name/status, /apis/karpenter.sh/v1/nodepools, ...
// `ns` is ignored for cluster-scoped resources; empty `ns` on a namespaced resource means all
// namespaces; empty `name` means the collection (subresource is then ignored).
std::string ResourcePath(const Resource& r, std::string_view ns, std::string_view name = "",
                         std::string_view subresource = "");

// The query string (without '?', empty when there is nothing to send) for a list or watch.
// `continue_token` is the list pagination token; resourceVersion is left out when it is set (the
// server rejects both).
std::string ListQuery(const ListOptions& options, bool watch, std::string_view continue_token = "");

// The DeleteOptions body for DELETE.
Json DeleteOptionsBody(const DeleteOptions& options);

// The Content-Type for a PATCH.
std::string_view PatchContentType(PatchType type);

// Parses one line of a watch stream ({"type": ..., "object": ...}). kInvalidArgument when the line
// is not a watch event.
absl::StatusOr<WatchEvent> ParseWatchEvent(std::string_view line);

}  // namespace joinery::kube
