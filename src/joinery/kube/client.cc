#include "joinery/kube/client.h"

#include <string>

#include "absl/strings/cord.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"

namespace joinery::kube {

namespace resources {
namespace {
// Leaked on purpose: referenced from static initializers and detached threads.
const Resource& Make(const char* group, const char* version, const char* resource, const char* kind,
                     bool namespaced) {
  return *new Resource{group, version, resource, kind, namespaced};
}
}  // namespace

const Resource& Pods() {
  static const Resource& r = Make("", "v1", "pods", "Pod", true);
  return r;
}
const Resource& Nodes() {
  static const Resource& r = Make("", "v1", "nodes", "Node", false);
  return r;
}
const Resource& Namespaces() {
  static const Resource& r = Make("", "v1", "namespaces", "Namespace", false);
  return r;
}
const Resource& Events() {
  static const Resource& r = Make("", "v1", "events", "Event", true);
  return r;
}
const Resource& Leases() {
  static const Resource& r = Make("coordination.k8s.io", "v1", "leases", "Lease", true);
  return r;
}
const Resource& Secrets() {
  static const Resource& r = Make("", "v1", "secrets", "Secret", true);
  return r;
}
const Resource& ServiceAccounts() {
  static const Resource& r = Make("", "v1", "serviceaccounts", "ServiceAccount", true);
  return r;
}
const Resource& DaemonSets() {
  static const Resource& r = Make("apps", "v1", "daemonsets", "DaemonSet", true);
  return r;
}
const Resource& Deployments() {
  static const Resource& r = Make("apps", "v1", "deployments", "Deployment", true);
  return r;
}
const Resource& NodePools() {
  static const Resource& r = Make("karpenter.sh", "v1", "nodepools", "NodePool", false);
  return r;
}
const Resource& NodeClaims() {
  static const Resource& r = Make("karpenter.sh", "v1", "nodeclaims", "NodeClaim", false);
  return r;
}
const Resource& EC2NodeClasses() {
  static const Resource& r =
      Make("karpenter.k8s.aws", "v1", "ec2nodeclasses", "EC2NodeClass", false);
  return r;
}
const Resource& ConfigMaps() {
  static const Resource& r = Make("", "v1", "configmaps", "ConfigMap", true);
  return r;
}
const Resource& PodDisruptionBudgets() {
  static const Resource& r =
      Make("policy", "v1beta1", "poddisruptionbudgets", "PodDisruptionBudget", true);
  return r;
}
const Resource& PodDisruptionBudgetsV1() {
  static const Resource& r = Make("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true);
  return r;
}
const Resource& PersistentVolumeClaims() {
  static const Resource& r =
      Make("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true);
  return r;
}
const Resource& PersistentVolumes() {
  static const Resource& r = Make("", "v1", "persistentvolumes", "PersistentVolume", false);
  return r;
}
const Resource& StorageClasses() {
  static const Resource& r = Make("storage.k8s.io", "v1", "storageclasses", "StorageClass", false);
  return r;
}
const Resource& CSINodes() {
  static const Resource& r = Make("storage.k8s.io", "v1", "csinodes", "CSINode", false);
  return r;
}
}  // namespace resources

namespace {

absl::StatusCode CodeFor(int http_code, std::string_view reason) {
  // The reason is more specific than the HTTP code (409 is either AlreadyExists or Conflict).
  if (reason == "NotFound") return absl::StatusCode::kNotFound;
  if (reason == "AlreadyExists") return absl::StatusCode::kAlreadyExists;
  if (reason == "Conflict") return absl::StatusCode::kAborted;
  if (reason == "Gone" || reason == "Expired") return absl::StatusCode::kOutOfRange;
  if (reason == "Invalid" || reason == "BadRequest") return absl::StatusCode::kInvalidArgument;
  if (reason == "Forbidden") return absl::StatusCode::kPermissionDenied;
  if (reason == "Unauthorized") return absl::StatusCode::kUnauthenticated;
  if (reason == "TooManyRequests") return absl::StatusCode::kResourceExhausted;
  if (reason == "Timeout") return absl::StatusCode::kDeadlineExceeded;
  if (reason == "ServerTimeout" || reason == "ServiceUnavailable" || reason == "InternalError") {
    return absl::StatusCode::kUnavailable;
  }
  if (reason == "MethodNotAllowed") return absl::StatusCode::kUnimplemented;
  switch (http_code) {
    case 400:
    case 413:  // RequestEntityTooLarge
    case 415:  // UnsupportedMediaType
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      break;
  }
  if (http_code >= 500 && http_code <= 599) return absl::StatusCode::kUnavailable;
  if (http_code >= 400 && http_code <= 499) return absl::StatusCode::kFailedPrecondition;
  return absl::StatusCode::kUnknown;
}

}  // namespace

absl::Status StatusFromApiError(int http_code, std::string_view body, std::string_view context) {
  std::string reason;
  std::string message;
  int code = http_code;
  Json parsed = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.value("kind", "") == "Status") {
    if (parsed.contains("reason") && parsed["reason"].is_string()) {
      reason = parsed["reason"].get<std::string>();
    }
    if (parsed.contains("message") && parsed["message"].is_string()) {
      message = parsed["message"].get<std::string>();
    }
    if (code == 0 && parsed.contains("code") && parsed["code"].is_number_integer()) {
      code = parsed["code"].get<int>();
    }
  }
  if (message.empty()) {
    constexpr size_t kMaxBody = 512;
    std::string_view shown = body.substr(0, kMaxBody);
    message = StrCat("HTTP ", code, shown.empty() ? "" : ": ", shown,
                     body.size() > kMaxBody ? "..." : "");
  }
  absl::Status status(CodeFor(code, reason),
                      context.empty() ? message : StrCat(context, ": ", message));
  if (!reason.empty()) status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

std::string ApiReason(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayload);
  if (!payload.has_value()) return "";
  return std::string(*payload);
}

absl::StatusOr<Json> UpdateWithRetry(Client& client, const Resource& r, std::string_view ns,
                                     std::string_view name,
                                     const std::function<absl::StatusOr<bool>(Json&)>& mutate,
                                     std::string_view subresource, int attempts) {
  if (attempts < 1) attempts = 1;
  absl::Status last;
  for (int i = 0; i < attempts; ++i) {
    ASSIGN_OR_RETURN(Json object, client.Get(r, ns, name));
    auto changed = mutate(object);
    if (!changed.ok()) return changed.status();
    if (!*changed) return object;
    auto updated = client.Update(r, ns, object, subresource);
    if (updated.ok()) return updated;
    if (!IsConflict(updated.status())) return updated.status();
    last = updated.status();
  }
  absl::Status out(last.code(),
                   StrCat("giving up after ", attempts, " conflicting updates: ", last.message()));
  last.ForEachPayload(
      [&](absl::string_view key, const absl::Cord& value) { out.SetPayload(key, value); });
  return out;
}

absl::Status AddFinalizer(Client& client, const Resource& r, std::string_view ns,
                          std::string_view name, std::string_view finalizer) {
  return UpdateWithRetry(client, r, ns, name,
                         [&](Json& obj) -> absl::StatusOr<bool> {
                           Json& fin = obj["metadata"]["finalizers"];
                           if (!fin.is_array()) fin = Json::array();
                           for (const auto& f : fin) {
                             if (f == finalizer) return false;
                           }
                           fin.push_back(std::string(finalizer));
                           return true;
                         })
      .status();
}

absl::Status RemoveFinalizer(Client& client, const Resource& r, std::string_view ns,
                             std::string_view name, std::string_view finalizer) {
  absl::Status st = UpdateWithRetry(client, r, ns, name,
                                    [&](Json& obj) -> absl::StatusOr<bool> {
                                      Json& meta = obj["metadata"];
                                      if (!meta.contains("finalizers")) return false;
                                      Json& fin = meta["finalizers"];
                                      Json kept = Json::array();
                                      for (const auto& f : fin) {
                                        if (f != finalizer) kept.push_back(f);
                                      }
                                      if (kept.size() == fin.size()) return false;
                                      fin = std::move(kept);
                                      return true;
                                    })
                        .status();
  return absl::IsNotFound(st) ? absl::OkStatus() : st;
}

}  // namespace joinery::kube
