// The Kubernetes API client contract: generic REST verbs over JSON objects.
//
// Everything Joinery does against a cluster goes through `Client`. Objects are nlohmann::json
// values exactly as the API server serves them (apiVersion, kind, metadata, spec, status); typed
// views are built by the callers (api/json.h). Two implementations exist: RestClient
// (rest_client.h, HTTP(S) to a real API server) and FakeClient (fake_client.h, in memory, for unit
// tests only).
//
// Errors are absl::Status with canonical codes mapped from the API server's Status reason:
//   NotFound (404)            -> kNotFound            IsNotFound()
//   AlreadyExists (409)       -> kAlreadyExists       IsAlreadyExists()
//   Conflict (409)            -> kAborted             IsConflict()
//   Gone / Expired (410)      -> kOutOfRange          IsGone()       (resourceVersion too old)
//   Invalid (422), BadRequest -> kInvalidArgument
//   Forbidden (403)           -> kPermissionDenied
//   Unauthorized (401)        -> kUnauthenticated
//   TooManyRequests (429)     -> kResourceExhausted
//   Timeout (504), deadline   -> kDeadlineExceeded
//   5xx, transport failures   -> kUnavailable
// The message is the API server's `message` field (or the transport error), prefixed with the verb
// and the object ("get nodepools/default: ..."). The API server's `reason` is attached as the
// status payload kReasonPayload, readable with ApiReason().
//
// Thread-safety: every Client method may be called from any thread concurrently. A WatchStream is
// used by one thread, except Cancel(), which any thread may call to unblock Next().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace joinery::kube {

using Json = nlohmann::json;

// Identifies a kind of object on the API server: where it lives in the URL space.
struct Resource {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // plural, lower case: "pods", "nodepools"
  std::string kind;      // "Pod", "NodePool"
  bool namespaced = false;

  // "v1" or "karpenter.sh/v1", the object's apiVersion.
  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
};

// The resources Joinery uses.
namespace resources {
const Resource& Pods();
const Resource& Nodes();
const Resource& Namespaces();
const Resource& Events();
const Resource& Leases();  // coordination.k8s.io/v1, namespaced
const Resource& Secrets();
const Resource& ServiceAccounts();
const Resource& DaemonSets();      // apps/v1
const Resource& Deployments();     // apps/v1
const Resource& NodePools();       // karpenter.sh/v1, cluster-scoped
const Resource& NodeClaims();      // karpenter.sh/v1, cluster-scoped
const Resource& EC2NodeClasses();  // karpenter.k8s.aws/v1, cluster-scoped
const Resource& ConfigMaps();
// policy/v1beta1: the target API server is Kubernetes 1.20, which has no policy/v1 (1.21+); 1.25+
// dropped v1beta1. Switch to policy/v1 when the minimum supported server moves past 1.21
// (discovery-based selection is out of scope).
const Resource& PodDisruptionBudgets();  // policy/v1beta1 (served up to Kubernetes 1.24)
const Resource& PodDisruptionBudgetsV1();  // policy/v1 (from Kubernetes 1.21)
const Resource& PersistentVolumeClaims();  // namespaced
const Resource& PersistentVolumes();       // cluster-scoped
const Resource& StorageClasses();          // storage.k8s.io/v1, cluster-scoped
const Resource& CSINodes();                // storage.k8s.io/v1, cluster-scoped
}  // namespace resources

struct ListOptions {
  std::string label_selector;    // "a=b,c in (d)"; empty = everything
  std::string field_selector;    // "spec.nodeName=x"
  std::string resource_version;  // list: "" = most recent (quorum read); watch: start after this
  bool allow_watch_bookmarks = true;       // watch only
  std::optional<int64_t> timeout_seconds;  // watch only: server closes the stream after this
  std::optional<int64_t> limit;            // list only: page size; Client::List follows `continue`
};

enum class PatchType {
  kMerge,      // application/merge-patch+json (RFC 7386)
  kJson,       // application/json-patch+json (RFC 6902); the patch is a JSON array
  kStrategic,  // application/strategic-merge-patch+json (built-in types only)
};

struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;
  std::string propagation_policy;  // "", "Background", "Foreground", "Orphan"
  std::string precondition_uid;    // delete only if the object still has this uid
  std::string precondition_resource_version;
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

struct WatchEvent {
  WatchEventType type;
  Json object;  // the object; for kBookmark only metadata.resourceVersion is meaningful; for kError
                // a metav1.Status (code 410 means the resourceVersion is too old: relist)
};

// One open watch. Next() blocks until an event arrives, the stream ends, or Cancel() is called.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // The next event; std::nullopt when the server closed the stream normally or Cancel() was called.
  // A transport failure is kUnavailable. A 410 delivered as an ERROR event is returned as an event
  // (type kError), not as a Status, so callers see the server's words.
  virtual absl::StatusOr<std::optional<WatchEvent>> Next() = 0;
  // Unblocks Next() from another thread; idempotent.
  virtual void Cancel() = 0;
};

class Client {
 public:
  virtual ~Client() = default;

  // `ns` is ignored (and should be empty) for cluster-scoped resources. `subresource` is "" or
  // e.g. "status", "eviction".
  virtual absl::StatusOr<Json> Get(const Resource& r, std::string_view ns, std::string_view name,
                                   std::string_view subresource = "") = 0;
  // Returns the List object: {"metadata": {"resourceVersion": ...}, "items": [...]}. Follows
  // `continue` tokens until the list is complete. An empty `ns` on a namespaced resource lists all
  // namespaces.
  virtual absl::StatusOr<Json> List(const Resource& r, std::string_view ns,
                                    const ListOptions& options = {}) = 0;
  // POST. `object` must carry metadata.name or metadata.generateName. Returns the created object.
  virtual absl::StatusOr<Json> Create(const Resource& r, std::string_view ns,
                                      const Json& object) = 0;
  // POST to a subresource of an existing object, e.g. (pods, ns, "p", "eviction", eviction_body).
  virtual absl::StatusOr<Json> CreateSubresource(const Resource& r, std::string_view ns,
                                                 std::string_view name,
                                                 std::string_view subresource,
                                                 const Json& body) = 0;
  // PUT. The object's metadata.resourceVersion makes this a compare-and-swap: a stale one gives
  // kAborted (Conflict).
  virtual absl::StatusOr<Json> Update(const Resource& r, std::string_view ns, const Json& object,
                                      std::string_view subresource = "") = 0;
  virtual absl::StatusOr<Json> Patch(const Resource& r, std::string_view ns, std::string_view name,
                                     PatchType type, const Json& patch,
                                     std::string_view subresource = "") = 0;
  // OK when the delete was accepted (the object may linger while finalizers run); kNotFound when
  // it did not exist.
  virtual absl::Status Delete(const Resource& r, std::string_view ns, std::string_view name,
                              const DeleteOptions& options = {}) = 0;
  virtual absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource& r, std::string_view ns,
                                                             const ListOptions& options) = 0;
};

// Payload key under which the API server's `reason` (e.g. "NotFound", "Conflict") is attached.
inline constexpr char kReasonPayload[] = "joinery.dev/k8s-reason";

// Builds the Status for an API error response: `http_code` and the body (a metav1.Status when the
// server sent one, otherwise anything). `context` is prefixed ("get pods/default/x").
absl::Status StatusFromApiError(int http_code, std::string_view body, std::string_view context);

std::string ApiReason(const absl::Status& status);  // "" when none
// absl already defines these two (code == kNotFound / kAlreadyExists); re-exporting them instead of
// defining look-alikes keeps unqualified calls unambiguous (ADL finds absl's through Status).
using absl::IsAlreadyExists;
using absl::IsNotFound;
inline bool IsConflict(const absl::Status& s) { return s.code() == absl::StatusCode::kAborted; }
inline bool IsGone(const absl::Status& s) { return s.code() == absl::StatusCode::kOutOfRange; }

// Read-modify-write with optimistic concurrency: Get, apply `mutate` to the object (returning false
// means "nothing to change": no write), Update; on Conflict, re-Get and retry, up to `attempts`
// times. Returns the stored object. `mutate` may be called several times.
// It reads the main resource, writes `subresource` (a GET of e.g. nodepools/status needs an RBAC
// verb callers may lack).
absl::StatusOr<Json> UpdateWithRetry(Client& client, const Resource& r, std::string_view ns,
                                     std::string_view name,
                                     const std::function<absl::StatusOr<bool>(Json&)>& mutate,
                                     std::string_view subresource = "", int attempts = 5);

// Adds / removes `finalizer` in metadata.finalizers with UpdateWithRetry; no write when it is
// already there / already gone. RemoveFinalizer on an object that no longer exists is OK.
absl::Status AddFinalizer(Client& client, const Resource& r, std::string_view ns,
                          std::string_view name, std::string_view finalizer);
absl::Status RemoveFinalizer(Client& client, const Resource& r, std::string_view ns,
                             std::string_view name, std::string_view finalizer);

}  // namespace joinery::kube
