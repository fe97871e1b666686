#!/usr/bin/env bash
# Failover: the API server stops for 20 s right after the leader's first launch. Both replicas
# lose the lease (a leader that cannot renew for 10 s stops acting and exits; it is restarted, as
# by its Deployment); the instance launched just before boots anyway and its kubelet registers it
# once the API server is back. Every pod binds without any registration timeout.
source "$(dirname "$0")/failover_lib.sh"
start_run
holder="$(leader)"
wait_for_log "$holder" '"message":"launched nodeclaim"' 60
log "stopping the API server for 20 s ($(bound)/$PODS pods bound)"
bash "$JOINERY_SOURCE_DIR/scripts/local-cluster.sh" restart-apiserver "$JOINERY_CLUSTER_DIR" 20 >&2 &
restarter=$!
while kill -0 "$restarter" 2>/dev/null; do supervise; sleep 1; done
wait "$restarter" || fail "the API server did not come back"
back_at="$(since_apply)"
log "API server back ${back_at}s after the workload"
limit="$(handover_limit "$back_at")"
wait_all_bound "$limit"
settle 120
check_created 1
record 1
