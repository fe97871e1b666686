// An independent checker of solver plans, for tests and scenario files.
//
// CheckPlan re-derives, from the snapshot alone, the invariants every plan must satisfy, without
// reusing the solver's internals (only the scheduling/ helpers for requests, taints, requirement
// operators and volume lookups, and the instance-type catalog). It does not judge plan quality
// (cost, node count), only correctness:
//   * every pending pod appears exactly once: in a new NodeClaim, on existing capacity, or as
//     unschedulable with a reason; no other pod appears;
//   * each new NodeClaim launches one of its instance-type options (at most
//     snapshot.options.max_instance_types of them, all in the catalog), through an available
//     offering with the planned zone, capacity type and price; its pods plus the DaemonSet pods
//     that would run there fit the launched type's allocatable; each pod's nodeSelector and
//     required node affinity (one OR term) hold on the NodeClaim's labels, and the pod tolerates
//     the NodePool's NoSchedule and NoExecute taints; the NodePool's requirements (and minValues,
//     unless relaxed) hold;
//   * per NodePool, new NodeClaims plus existing capacity of the pool stay within spec.limits
//     (including `nodes`);
//   * no two pods on one node (new or existing) bind conflicting host ports;
//   * pods placed on existing Nodes fit next to the pods already there and respect the Node's
//     taints and labels; pods placed on in-flight NodeClaims respect their taints and requirements;
//   * volumes (scheduling/volumes.h resolves claims, volumes, classes and CSINodes; the rules are
//     Kubernetes'):
//     - a pod whose claims cannot be resolved (VolumeIndex::ValidatePod or PodVolumes fails) is
//       ignored, as in Karpenter, and so must not be placed (it is reported unschedulable);
//     - zones: for each claim bound to a PersistentVolume with node affinity, one of its terms
//       holds on the pod's node, and for each unbound claim whose StorageClass (the default one
//       when the claim names none) binds WaitForFirstConsumer with allowedTopologies, one of those
//       terms holds (keys normalized: topology.ebs.csi.aws.com/zone is the zone). On a new
//       NodeClaim the planned labels are used (hostname is unknown there and not checked), on a
//       Node its labels plus hostname, on an in-flight NodeClaim its requirements must intersect
//       the term;
//     - attach limits: per node and CSI driver, the unique volumes ("<namespace>/<claim>", so a
//       claim shared by pods counts once) of the pods already running there (not Succeeded or
//       Failed) plus the placed pods stay within the node's limit whenever a placed pod brings a
//       new volume of that driver (kube-scheduler's rule: a pod adding none is not refused). The
//       limit is, on a Node, its CSINode's allocatable.count (no CSINode, driver or count:
//       unlimited); on a new NodeClaim, InstanceType::VolumeLimit of the launched type, and every
//       instance-type option must also hold the NodeClaim's volumes; an in-flight NodeClaim has no
//       CSINode yet and, as in Solve and Karpenter, no limit is checked;
//   * topology, for the pods the plan places, counting them together with the active pods already
//     bound to existing Nodes. A pod's domain for key K is its node's label K: on a new NodeClaim
//     the planned labels (hostname: the NodeClaim's name), on a Node its labels (hostname falls
//     back to the Node's name), on an in-flight NodeClaim its labels or single-valued `In`
//     requirements (hostname: its name). Terms select pods by namespace (default: the owner's) and
//     label selector, extended by matchLabelKeys / mismatchLabelKeys:
//     - required pod anti-affinity: no other selected pod shares a placed owner's domain, and no
//       placed pod is in the domain of an existing pod whose required anti-affinity selects it;
//     - required pod affinity: a placed owner's domain holds another selected pod, unless the owner
//       selects itself and no selected pod it could join existed before the plan (it started the
//       domain); two such domain-starting owners that select each other are a violation;
//     - topology spread with whenUnsatisfiable DoNotSchedule (ScheduleAnyway is a preference and
//       is not checked): for each domain d holding a placed owner, existing(d) + placed owners of
//       the same constraint selected in d − global minimum ≤ maxSkew, where existing(d) counts
//       bound pods on nodes passing the nodeAffinityPolicy / nodeTaintsPolicy filter, and the
//       global minimum is 0 for hostname and when fewer eligible domains than minDomains exist,
//       else the least final count over the eligible domains (from every NodePool's instance types
//       and available offerings, and the existing Nodes, filtered by the same policies).
//     These hold of the final state whatever order the solver placed pods in (counts only grow),
//     so each reported violation is real; terms with a non-empty namespaceSelector are skipped
//     (the snapshot has no Namespace objects).
// The first violation found is returned as a FailedPrecondition error naming the object and the
// rule. Thread-safe: a pure function.
#pragma once

#include "absl/status/status.h"
#include "joinery/solver/solver.h"

namespace joinery::testing {

absl::Status CheckPlan(const solver::Snapshot& snapshot, const solver::Plan& plan);

}  // namespace joinery::testing
