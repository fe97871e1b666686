// The uniform shape of a controller: a named reconcile step over one object key.
//
// A Reconciler looks at the current state of one object (by key: "name" for cluster-scoped objects,
// "namespace/name" for namespaced ones), moves the world one step towards what it should be, and
// says whether to look again later. It must be idempotent: it may be called any number of times for
// the same key, including after the object is gone (then it cleans up or does nothing).
// Controller (controller.h) drives a Reconciler from a deduplicating, rate-limited work queue fed by
// informer events; errors are retried with exponential backoff (5 ms .. 1000 s, as
// controller-runtime does). Thread-safety: Reconcile() is called from the controller's worker
// threads; with more than one worker, different keys are reconciled concurrently, never the same
// key twice at once.
#pragma once

#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace joinery::controllers {

struct Result {
  // Reconcile this key again after this long (even if no event arrives). nullopt: only on events.
  std::optional<absl::Duration> requeue_after;
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  // "nodeclaim.lifecycle", "nodepool.status", ... (Karpenter's controller names where they exist).
  virtual std::string_view Name() const = 0;
  // An error is logged, counted and retried with backoff.
  virtual absl::StatusOr<Result> Reconcile(std::string_view key) = 0;
};

}  // namespace joinery::controllers
