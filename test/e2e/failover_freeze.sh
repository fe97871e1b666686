#!/usr/bin/env bash
# Failover: the leader's connection to the API server freezes for 26 s (a TCP proxy of the test's
# own, stopped with SIGSTOP) while it provisions; the standby, connected directly, takes the lease.
# When the connection thaws, what the old leader sent meanwhile arrives late: its fence (no
# successful renewal within the 10 s renew deadline) must have stopped it before the standby could
# start, so no instance is launched twice and no NodeClaim points at a duplicate.
source "$(dirname "$0")/failover_lib.sh"
setup_failover
server="$(cat "$JOINERY_CLUSTER_DIR/server")"
hostport="${server#https://}"
node "$JOINERY_SOURCE_DIR/test/e2e/tcp_proxy.js" "${hostport%:*}" "${hostport##*:}" "$WORK/proxy-port" \
  >"$WORK/proxy.out" 2>&1 &
PROXY_PID=$!
wait_for "proxy listening" 10 test -s "$WORK/proxy-port"
proxied="$WORK/joinery-sa-proxied.kubeconfig"
sed "s#server: $server#server: https://127.0.0.1:$(cat "$WORK/proxy-port")#" "$SA_KUBECONFIG" >"$proxied"
grep -q "127.0.0.1:$(cat "$WORK/proxy-port")" "$proxied" || fail "kubeconfig not pointed at the proxy"
thaw() { kill -CONT "$PROXY_PID" 2>/dev/null || true; }
trap 'rc=$?; thaw; kill "$PROXY_PID" 2>/dev/null || true; (exit $rc); cleanup' EXIT

# a1 through the proxy leads; b1 stands by on a direct connection.
"$CONTROLLER_BIN" controller --kubeconfig "$proxied" --identity a1 \
  --metrics-port 0 --health-probe-port 0 --bind-address 127.0.0.1 \
  --cluster-name joinery-local --simulated-registration-delay 1s >"$WORK/a1.log" 2>&1 &
CONTROLLER_PIDS[a1]=$!
start_kubelet_simulator
wait_leader
expect_eq "leader" "$(leader)" "a1"
start_replica b1
start_rss_sampler
apply_workload
wait_for_log a1 '"message":"created nodeclaim"' 60
sleep 1
kill -STOP "$PROXY_PID"
frozen_since_apply="$(since_apply)"
log "froze a1's connection ($(bound)/$PODS pods bound)"
frozen_at=$SECONDS
while [ $((SECONDS - frozen_at)) -lt 26 ]; do supervise; sleep 1; done
thaw
log "thawed a1's connection; leader is $(leader)"
# The standby takes the lease 15 s after it last saw a1 renew, whatever a1's connection does.
limit="$(handover_limit "$frozen_since_apply")"
wait_all_bound "$limit"
settle 120
# The old leader noticed and stopped; it never wrote after its fence closed.
grep -a -q -e '"message":"lost the lease"' -e '"message":"leader election lost"' "$WORK/a1.log" ||
  fail "a1 never reported losing the lease"
check_created 1
record 1
