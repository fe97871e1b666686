// FakeClient: an in-memory API server behind the Client interface, for UNIT tests of controllers,
// informers, leader election and events. Integration tests use the real API server instead.
//
// What it models (close to kube-apiserver, so that code passing here behaves the same there):
//  - Objects keyed by (resource, namespace, name); one global, monotonically increasing
//    resourceVersion (decimal strings); uid, creationTimestamp (from the injected Clock),
//    generation=1 and metadata.namespace assigned on Create; generateName (5 random characters
//    from Kubernetes' alphabet, deterministic for a seed); Create of an existing name ->
//    AlreadyExists; Create with metadata.resourceVersion set -> InvalidArgument.
//  - Update (PUT) with a stale metadata.resourceVersion -> Conflict (kAborted); an empty one is an
//    unconditional update. A no-op write (nothing but the resourceVersion differs) stores nothing and
//    emits no event, as the real server does.
//  - Status subresource for pods, nodes, nodepools, nodeclaims, ec2nodeclasses, deployments,
//    daemonsets, poddisruptionbudgets, persistentvolumeclaims, persistentvolumes: Update/Patch
//    with subresource "status" change only .status; main Update/Patch keep the stored .status;
//    Create drops .status (pods get {"phase":"Pending"}) except for nodes. metadata.generation is
//    incremented when anything outside metadata and status changes. Resources without a status
//    subresource (configmaps, leases, events, ...) store the whole object. To seed objects *with* a
//    status use Add().
//  - Patch: kMerge (RFC 7386), kJson (RFC 6902; a failing op, e.g. a "test", is kInvalidArgument as
//    the server's 422), kStrategic is applied as a merge patch (lists are replaced, not merged by key:
//    good enough for the metadata/labels/annotations/finalizers/status patches Joinery sends).
//    A merge patch carrying metadata.resourceVersion is a precondition (Conflict when stale).
//    Adding a finalizer to an object that is being deleted is kInvalidArgument (Forbidden there).
//  - Delete: preconditions (uid, resourceVersion -> Conflict); an object with finalizers gets
//    deletionTimestamp (+ deletionGracePeriodSeconds) and stays until an Update/Patch removes the
//    last finalizer, which removes it (DELETED event). Pods are removed at once (there is no kubelet)
//    unless they have finalizers or Options::pod_graceful_deletion is set (then a pod bound to a node
//    and not Succeeded/Failed gets deletionTimestamp = now + grace period and stays until deleted
//    again with grace_period_seconds = 0).
//  - List: namespace (empty = all), labelSelector (full syntax, see label_selector.h) and
//    fieldSelector (comma-separated "path=value", "path==value", "path!=value" on any dotted path, e.g.
//    metadata.name, metadata.namespace, spec.nodeName, status.phase; a missing field is ""). Items
//    come sorted by namespace/name; like the real server, items of built-in resources carry no
//    apiVersion/kind (CRD items do). `limit` is ignored: Client::List returns the whole list anyway.
//  - Watch from a resourceVersion: delivers every later event matching namespace and selectors (an
//    object moving into/out of a label selector is ADDED/DELETED, as the watch cache does). An
//    empty or "0" resourceVersion first delivers ADDED for every current object. A resourceVersion
//    older than the retained window (the last Options::event_window events, or CompactBefore()) gets
//    an ERROR event carrying a 410 Expired metav1.Status, then the stream ends. timeout_seconds is
//    not honoured (tests end streams with EndWatches()). Bookmarks are sent only by SendBookmark().
//  - CreateSubresource: pods/eviction deletes the pod (after the eviction hook, which may refuse
//    with e.g. a 429 TooManyRequests status to simulate a PodDisruptionBudget); pods/binding sets
//    spec.nodeName to body.target.name. Other subresources -> NotFound.
//  - Errors carry the API reason payload (kReasonPayload) like StatusFromApiError would.
//
// Test hooks: InjectError() makes the next `count` calls of a verb fail; Calls() is the log of every
// call (including failed ones); EndWatches() ends or breaks open watch streams.
//
// Thread-safety: every method may be called from any thread. Watch streams may outlive the
// FakeClient (they end when it is destroyed).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "joinery/common/clock.h"
#include "joinery/kube/client.h"

namespace joinery::kube {

class FakeClient final : public Client {
 public:
  struct Options {
    uint64_t seed = 1;                  // uids and generateName suffixes
    bool pod_graceful_deletion = false;  // see the header comment
    size_t event_window = 10000;        // watch events retained before older ones are compacted
  };

  // One recorded call. `verb` is one of "get", "list", "create", "create_subresource", "update",
  // "patch", "delete", "watch". `body` is the object/patch/eviction body (null for get/list/
  // delete/watch); `options` holds the selectors/resourceVersion for list/watch as
  // "labelSelector=..&fieldSelector=..&resourceVersion=..".
  struct Call {
    std::string verb;
    std::string resource;  // plural, e.g. "pods"
    std::string ns;
    std::string name;
    std::string subresource;
    Json body;
    std::string options;
    absl::Status result;
  };

  explicit FakeClient(Clock& clock = RealClock());
  FakeClient(Clock& clock, Options options);
  ~FakeClient() override;
  FakeClient(const FakeClient&) = delete;
  FakeClient& operator=(const FakeClient&) = delete;

  // Client.
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
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource& r, std::string_view ns,
                                                     const ListOptions& options) override;

  // --- Test hooks ---

  // Stores `object` as given, status included (fixtures: a Running pod, a Ready node, a NodeClaim
  // with status). Assigns uid/creationTimestamp/resourceVersion when missing (resourceVersion always)
  // and emits ADDED, or MODIFIED when it replaces an existing object. Not recorded in Calls() and not
  // subject to InjectError. Namespace from `ns`, else from metadata.namespace.
  absl::StatusOr<Json> Add(const Resource& r, std::string_view ns, Json object);

  // The next `count` calls of `verb` on `resource` (plural; "" = any resource) fail with `status`
  // (count < 0: until ClearInjectedErrors()). `verb` as in Call::verb. Injections are consulted in
  // the order added. The failing call changes nothing.
  void InjectError(std::string_view verb, std::string_view resource, absl::Status status,
                   int count = 1);
  void ClearInjectedErrors();

  // Called before pods/eviction deletes a pod; a non-OK status is returned to the caller instead
  // (e.g. TooManyRequests(): "Cannot evict pod as it would violate the pod's disruption budget").
  // nullptr removes the hook.
  void SetEvictionHook(std::function<absl::Status(const Json& pod)> hook);

  std::vector<Call> Calls() const;
  // Calls of one verb (and resource, "" = any).
  std::vector<Call> CallsOf(std::string_view verb, std::string_view resource = "") const;
  void ClearCalls();

  // The resourceVersion of the last write.
  int64_t CurrentResourceVersion() const;
  // Drops the events before `resource_version`: a watch from a resourceVersion older than it gets a
  // 410 ERROR event (open streams that have not read that far yet, too).
  void CompactBefore(int64_t resource_version);
  // Ends every open watch stream: Next() returns std::nullopt (status OK) or `status` (e.g.
  // kUnavailable, a transport error).
  void EndWatches(absl::Status status = absl::OkStatus());
  // Sends a BOOKMARK at the current resourceVersion to open streams that asked for bookmarks.
  void SendBookmark();
  // Number of currently open (not ended, not cancelled, not destroyed) watch streams.
  int OpenWatchCount() const;

  // The Status the real server answers with, for InjectError and eviction hooks.
  static absl::Status TooManyRequests(std::string_view message);
  static absl::Status ConflictError(std::string_view message);
  static absl::Status Unavailable(std::string_view message);
  static absl::Status GoneError(std::string_view message);

 private:
  struct State;
  class Stream;
  std::shared_ptr<State> state_;
};

}  // namespace joinery::kube
