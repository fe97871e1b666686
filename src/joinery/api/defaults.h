// Defaults as Karpenter's CRDs and Kubernetes apply them (disruption budgets `nodes: 10%`,
// consolidateAfter 0s, consolidationPolicy WhenEmptyOrUnderutilized, expireAfter 720h, EC2NodeClass
// metadataOptions and amiFamily from the alias, namespace "default", Deployment replicas 1,
// toleration operator Equal, topology spread policies, container port protocol TCP, StorageClass
// volumeBindingMode Immediate, ...).
// Thread-safe: pure functions.
#pragma once

#include "joinery/api/types.h"

namespace joinery::api {

void ApplyDefaults(Manifests& m);

}  // namespace joinery::api
