// The controller's side of the snapshot: the live cluster view (informer caches) handed to the one
// snapshot builder (snapshot/builder.h) that `joinery simulate` uses too.
//
// Thread-safe: pure functions over the values passed in (Cluster reads are themselves safe).
#pragma once

#include "joinery/snapshot/builder.h"
#include "joinery/solver/solver.h"
#include "joinery/state/cluster.h"

namespace joinery::state {

// The pod and taint rules live with the builder; the controllers name them through state.
using snapshot::IsEphemeralTaint;
using snapshot::IsOwnedByDaemonSet;
using snapshot::IsProvisionable;
using snapshot::IsTerminal;
using SnapshotInputs = snapshot::Inputs;

// Existing nodes (with their bound, non-terminal pods), in-flight NodeClaims, DaemonSets and the
// storage objects from the cluster view, plus `in` (snapshot::Build).
solver::Snapshot BuildSnapshot(const Cluster& cluster, SnapshotInputs in);

}  // namespace joinery::state
