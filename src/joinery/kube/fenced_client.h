// FencedClient: a kube::Client whose writes happen only while a fence holds, e.g. while this
// replica holds the leader lease (LeaderElector::HoldsLease). Reads and watches pass through, so a
// standby keeps a warm cache; every mutating call (Create, CreateSubresource, Update, Patch,
// Delete) first asks the fence and, when it does not hold, returns kCancelled ("not the leader")
// without sending anything. Combined with the elector's time-bounded fence, a deposed leader stops
// writing before another replica can have taken the lease; writes that were already on the wire
// are caught by optimistic concurrency (resourceVersion) in the controllers.
//
// Thread-safety: as the wrapped client; the fence is called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "joinery/kube/client.h"

namespace joinery::kube {

using Fence = std::function<bool()>;

// The error a refused write returns (kCancelled), naming the verb and resource.
absl::Status NotLeaderError(std::string_view verb, std::string_view resource);
inline bool IsNotLeader(const absl::Status& s) { return s.code() == absl::StatusCode::kCancelled; }

class FencedClient final : public Client {
 public:
  // `inner` must outlive this client.
  FencedClient(Client& inner, Fence fence) : inner_(inner), fence_(std::move(fence)) {}

  absl::StatusOr<Json> Get(const Resource& r, std::string_view ns, std::string_view name,
                           std::string_view subresource = "") override {
    return inner_.Get(r, ns, name, subresource);
  }
  absl::StatusOr<Json> List(const Resource& r, std::string_view ns,
                            const ListOptions& options = {}) override {
    return inner_.List(r, ns, options);
  }
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
                                                     const ListOptions& options) override {
    return inner_.Watch(r, ns, options);
  }

 private:
  bool Held() const { return !fence_ || fence_(); }

  Client& inner_;
  Fence fence_;
};

}  // namespace joinery::kube
