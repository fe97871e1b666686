#include "joinery/kube/fenced_client.h"

#include "joinery/common/strings.h"

namespace joinery::kube {

absl::Status NotLeaderError(std::string_view verb, std::string_view resource) {
  return absl::CancelledError(
      StrCat("not the leader: refusing to ", verb, " ", resource,
             " (the leader lease is not held, or was not renewed within the renew deadline)"));
}

absl::StatusOr<Json> FencedClient::Create(const Resource& r, std::string_view ns,
                                          const Json& object) {
  if (!Held()) return NotLeaderError("create", r.resource);
  return inner_.Create(r, ns, object);
}

absl::StatusOr<Json> FencedClient::CreateSubresource(const Resource& r, std::string_view ns,
                                                     std::string_view name,
                                                     std::string_view subresource,
                                                     const Json& body) {
  if (!Held()) return NotLeaderError(StrCat("create ", subresource, " of"), r.resource);
  return inner_.CreateSubresource(r, ns, name, subresource, body);
}

absl::StatusOr<Json> FencedClient::Update(const Resource& r, std::string_view ns,
                                          const Json& object, std::string_view subresource) {
  if (!Held()) return NotLeaderError("update", r.resource);
  return inner_.Update(r, ns, object, subresource);
}

absl::StatusOr<Json> FencedClient::Patch(const Resource& r, std::string_view ns,
                                         std::string_view name, PatchType type, const Json& patch,
                                         std::string_view subresource) {
  if (!Held()) return NotLeaderError("patch", r.resource);
  return inner_.Patch(r, ns, name, type, patch, subresource);
}

absl::Status FencedClient::Delete(const Resource& r, std::string_view ns, std::string_view name,
                                  const DeleteOptions& options) {
  if (!Held()) return NotLeaderError("delete", r.resource);
  return inner_.Delete(r, ns, name, options);
}

}  // namespace joinery::kube
