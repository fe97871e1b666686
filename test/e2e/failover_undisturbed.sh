#!/usr/bin/env bash
# Failover baseline: the 400-pod scale-up with two replicas and no disturbance. Records the time to
# all bound and the NodeClaims created, which the failover tests compare against.
source "$(dirname "$0")/failover_lib.sh"
start_run
wait_all_bound 90
settle 90
CREATED="$(nodeclaims_created)"
echo "$BOUND_SECONDS $CREATED" >"$BASELINE_FILE"
record 0
