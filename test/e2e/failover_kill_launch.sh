#!/usr/bin/env bash
# Failover: the leader is SIGKILLed right after it launched its first instance, before that
# instance's Node registers. The instance lives on (it is the cloud's, not the controller's); the
# new leader adopts what was launched and binds every pod within the lease handover plus an
# undisturbed run's time, with no registration timeout involved.
source "$(dirname "$0")/failover_lib.sh"
start_run
wait_for_log a1 '"message":"launched nodeclaim"' 60
kill -KILL "${CONTROLLER_PIDS[a1]}"
killed_at="$(since_apply)"
log "SIGKILLed leader a1 after its first launch, ${killed_at}s after the workload"
limit="$(handover_limit "$killed_at")"
wait_all_bound "$limit"
settle 120
check_created 1
record 1
