// Pod resource requests as Kubernetes computes them (k8s.io/component-helpers PodRequests):
// app containers summed, restartable init containers (sidecars) added, each regular init container
// taking the max with the sidecars started before it, plus pod overhead; a container resource with a
// limit but no request requests its limit (API-server defaulting). Karpenter adds one `pods` slot.
// Pure functions; thread-safe.
#pragma once

#include "joinery/api/types.h"
#include "joinery/common/quantity.h"

namespace joinery::scheduling {

// Requests of the pod without the synthetic `pods: 1`.
ResourceList PodRequests(const api::PodSpec& spec);
// PodRequests plus `pods: 1`: what the pod consumes on a node.
ResourceList PodSchedulingRequests(const api::PodSpec& spec);

}  // namespace joinery::scheduling
