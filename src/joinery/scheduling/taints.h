// Taints and tolerations with Kubernetes' matching rules. Pure functions; thread-safe.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "joinery/api/types.h"

namespace joinery::scheduling {

// Kubernetes' ToleratesTaint: key match (empty key + Exists matches all), operator Equal compares
// values, Exists ignores them; empty effect matches every effect.
bool Tolerates(const api::Toleration& toleration, const api::Taint& taint);
bool ToleratesAll(const std::vector<api::Toleration>& tolerations, const api::Taint& taint);

// OK when the tolerations tolerate every taint (of any effect, as Karpenter requires for NodePool
// taints; PreferNoSchedule is relaxed by the caller). Otherwise InvalidArgument listing each
// untolerated taint: "did not tolerate taint=key=value:Effect".
absl::Status CheckTaints(const std::vector<api::Taint>& taints,
                         const std::vector<api::Toleration>& tolerations);

std::string TaintToString(const api::Taint& t);  // key=value:Effect (key:Effect without value)

}  // namespace joinery::scheduling
