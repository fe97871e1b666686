// An independent checker of solver plans, for tests and scenario files.
//
// CheckPlan re-derives, from the snapshot alone, the invariants every plan must satisfy, without
// reusing the solver's internals (only the scheduling/ helpers for requests, taints and requirement
// operators, and the instance-type catalog). It does not judge plan quality (cost, node count), only
// correctness:
//   * every pending pod appears exactly once: in a new NodeClaim, on existing capacity, or as
//     unschedulable with a reason; no other pod appears;
//   * each new NodeClaim launches one of its instance-type options (at most
//     snapshot.options.max_instance_types of them, all in the catalog), through an available offering
//     with the planned zone, capacity type and price; its pods plus the DaemonSet pods that would run
//     there fit the launched type's allocatable; each pod's nodeSelector and required node affinity
//     (one OR term) hold on the NodeClaim's labels, and the pod tolerates the NodePool's NoSchedule and
//     NoExecute taints; the NodePool's requirements (and minValues, unless relaxed) hold;
//   * per NodePool, new NodeClaims plus existing capacity of the pool stay within spec.limits
//     (including `nodes`);
//   * no two pods on one node (new or existing) bind conflicting host ports;
//   * pods placed on existing Nodes fit next to the pods already there and respect the Node's taints
//     and labels; pods placed on in-flight NodeClaims respect their taints and requirements.
// The first violation found is returned as a FailedPrecondition error naming the object and the rule.
// Thread-safe: a pure function.
#pragma once

#include "absl/status/status.h"
#include "joinery/solver/solver.h"

namespace joinery::testing {

absl::Status CheckPlan(const solver::Snapshot& snapshot, const solver::Plan& plan);

}  // namespace joinery::testing
