// Status conditions on Karpenter objects (NodeClaim, NodePool, EC2NodeClass), kept the way
// Kubernetes' meta.SetStatusCondition keeps them: one entry per type, lastTransitionTime moving
// only when the status does. Thread-compatible: pure functions over caller-owned vectors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "joinery/api/types.h"

namespace joinery::api {

// Sets the condition of type `c.type` to `c`'s status, reason, message and observedGeneration,
// adding it when absent. lastTransitionTime becomes `now` (RFC 3339) when the condition is added or
// its status changes, and is kept otherwise (c.last_transition_time is ignored). Returns true when
// anything in `conditions` changed, i.e. when the object needs a status update.
bool SetCondition(std::vector<Condition>& conditions, Condition c, absl::Time now);

// A condition to pass to SetCondition (which fills in lastTransitionTime).
Condition MakeCondition(std::string type, std::string status, std::string reason,
                        std::string message, int64_t observed_generation);

// The condition of type `type`, or nullptr. The pointer is valid until `conditions` changes.
const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type);

// True when the condition of type `type` exists and its status is "True".
bool IsTrue(const std::vector<Condition>& conditions, std::string_view type);

// True when the Node reports Ready=True (its kubelet is posting ready status).
bool IsNodeReady(const Node& node);

// Removes the condition of type `type`; returns true when there was one.
bool RemoveCondition(std::vector<Condition>& conditions, std::string_view type);

}  // namespace joinery::api
