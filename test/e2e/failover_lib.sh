# Shared by the failover tests (test/e2e/failover_*.sh): two controller replicas under leader
# election, `joinery kubelet-simulator` apart from them, and a 400-pod scale-up onto a NodePool of
# 2-vCPU instance types (so that 15+ nodes are needed). Each test disturbs the leader while it
# provisions, then checks what a user would: every pod bound in time, no more NodeClaims than an
# undisturbed run plus one per disruption, and after settling no NodeClaim without a Node, no Node
# without a NodeClaim, no instance without a NodeClaim and no providerID held twice.
#
# The undisturbed run (failover_undisturbed.sh) records its figures in $BASELINE_FILE; the others
# compare against it (ctest runs it first: fixture joinery_failover_baseline).
source "$(dirname "$0")/lib.sh"
PODS=400
BASELINE_FILE="$JOINERY_CLUSTER_DIR/e2e/failover-baseline"
TEST_NAMESPACES=(failover)

# The Release binary when `make test` built it (peak RSS is meaningful there), else the test build.
if [ -n "${JOINERY_SCALE_BIN:-}" ] && [ -x "$JOINERY_SCALE_BIN" ]; then
  CONTROLLER_BIN="$JOINERY_SCALE_BIN"
fi

setup_failover() {
  install_joinery
  k create namespace failover >&2
  apply_default_nodeclass
  cat <<YAML | k apply --validate=false -f - >&2
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: small
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m]}
        - {key: karpenter.k8s.aws/instance-cpu, operator: In, values: ["2"]}
        - {key: karpenter.k8s.aws/instance-generation, operator: Gt, values: ["4"]}
        - {key: kubernetes.io/arch, operator: In, values: [amd64]}
        - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
  limits:
    cpu: 200
YAML
}

# start_run: the NodePool, replica a1 (the leader), standby b1, the RSS sampler, then the workload.
start_run() {
  setup_failover
  start_replica a1
  wait_leader
  start_replica b1
  start_rss_sampler
  apply_workload
}

# start_replica NAME [flags...]: one replica (and the kubelet simulator, once).
start_replica() {
  start_controller "$@"
}

wait_leader() {
  wait_for "a leader holds the lease" 60 bash -c '[ -n "$(kubectl get lease -n kube-system joinery-leader-election -o jsonpath="{.spec.holderIdentity}" 2>/dev/null)" ]'
}

apply_workload() {
  cat <<YAML | k apply -f - >&2
apiVersion: apps/v1
kind: Deployment
metadata: {name: inference, namespace: failover}
spec:
  replicas: $PODS
  selector: {matchLabels: {app: inference}}
  template:
    metadata: {labels: {app: inference}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: app
          image: registry.k8s.io/pause:3.9
          resources: {requests: {cpu: 100m, memory: 128Mi}}
YAML
  WORKLOAD_START=$SECONDS
}

bound() {
  k get pods -n failover -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' 2>/dev/null | grep -c . || true
}

# wait_all_bound LIMIT_SECONDS: polls until all $PODS pods are bound; sets BOUND_SECONDS.
wait_all_bound() {
  local limit="$1" last=-1 n
  while [ $((SECONDS - WORKLOAD_START)) -lt $((limit + 120)) ]; do
    n="$(bound)"
    if [ "$n" != "$last" ]; then log "$n/$PODS pods bound after $((SECONDS - WORKLOAD_START)) s"; last="$n"; fi
    [ "$n" -ge "$PODS" ] && break
    supervise
    sleep 1
  done
  BOUND_SECONDS=$((SECONDS - WORKLOAD_START))
  expect_eq "pods bound" "$(bound)" "$PODS"
  if [ "$BOUND_SECONDS" -le "$limit" ]; then
    log "ok: all $PODS pods bound in ${BOUND_SECONDS}s (limit ${limit}s)"
  else
    fail "binding $PODS pods took ${BOUND_SECONDS}s (limit ${limit}s)"
  fi
}

# NodeClaims created over the whole run, by name, from every replica's log.
nodeclaims_created() {
  cat "$WORK"/*.log 2>/dev/null | grep -a '"message":"created nodeclaim"' |
    grep -a -o '"NodeClaim":{"name":"[^"]*"' | sort -u | grep -c . || true
}

# The invariants, as one line each of the offending objects (empty when they hold).
orphans() {
  local claims nodes instances
  claims="$(k get nodeclaims -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.providerID}{" "}{.metadata.deletionTimestamp}{"\n"}{end}')"
  nodes="$(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.providerID}{"\n"}{end}')"
  instances="$(k get configmaps -n kube-system -l joinery.dev/simulated-instance=true -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.data.instance}{"\n"}{end}' |
    sed -E 's/^([^ ]*) .*"providerID":"([^"]*)".*/\1 \2/')"
  # NodeClaim without a Node (by providerID).
  while read -r name pid _; do
    [ -n "$name" ] || continue
    if [ -z "$pid" ] || ! grep -q " $pid\$" <<<"$nodes"; then echo "nodeclaim-without-node $name $pid"; fi
  done <<<"$claims"
  # Node without a NodeClaim.
  while read -r name pid; do
    [ -n "$name" ] || continue
    if ! awk -v p="$pid" '$2 == p {f=1} END {exit !f}' <<<"$claims"; then echo "node-without-nodeclaim $name $pid"; fi
  done <<<"$nodes"
  # Instance without a NodeClaim.
  while read -r name pid; do
    [ -n "$name" ] || continue
    if ! awk -v p="$pid" '$2 == p {f=1} END {exit !f}' <<<"$claims"; then echo "instance-without-nodeclaim $name $pid"; fi
  done <<<"$instances"
  # A providerID held by two NodeClaims.
  awk '$2 != "" {print $2}' <<<"$claims" | sort | uniq -d | sed 's/^/providerid-held-twice /'
}

# settle LIMIT: waits for the invariants to hold (garbage collection removes duplicates after its
# 30 s grace); sets SETTLE_SECONDS.
settle() {
  local limit="$1" t0=$SECONDS out=""
  while [ $((SECONDS - t0)) -lt "$limit" ]; do
    out="$(orphans)"
    [ -z "$out" ] && break
    supervise
    sleep 2
  done
  SETTLE_SECONDS=$((SECONDS - t0))
  if [ -z "$out" ]; then
    log "ok: settled in ${SETTLE_SECONDS}s: every NodeClaim has a Node, every Node and instance a NodeClaim, no providerID twice"
  else
    fail "not settled after ${limit}s:"$'\n'"$out"
  fi
}

# check_created DISRUPTIONS: NodeClaims created <= the undisturbed run's + DISRUPTIONS.
check_created() {
  local disruptions="$1" created baseline
  created="$(nodeclaims_created)"
  CREATED="$created"
  if [ ! -f "$BASELINE_FILE" ]; then
    fail "no undisturbed baseline at $BASELINE_FILE (run joinery_e2e_failover_undisturbed first)"
    return
  fi
  baseline="$(awk '{print $2}' "$BASELINE_FILE")"
  if [ "$created" -le $((baseline + disruptions)) ]; then
    log "ok: $created NodeClaims created (undisturbed $baseline + $disruptions disruption(s))"
  else
    fail "$created NodeClaims created, more than undisturbed $baseline + $disruptions disruption(s)"
  fi
}

# record [DISRUPTIONS]: the RESULT line for the README: seconds to all bound, NodeClaims created,
# seconds to settle, peak RSS of any replica.
record() {
  stop_rss_sampler
  log "RESULT test=$TEST_NAME pods=$PODS disruptions=${1:-0} bound_seconds=$BOUND_SECONDS nodeclaims_created=$CREATED settle_seconds=$SETTLE_SECONDS peak_rss_mb=$(peak_rss)"
}

# The replicas, kept running as their Deployment would: a replica that exits (killed, or leadership
# lost) is replaced at once by a new one (next generation name, new identity). Call often.
declare -A REPLICA_GEN=()
supervise() {
  local name base pid
  for name in "${!CONTROLLER_PIDS[@]}"; do
    pid="${CONTROLLER_PIDS[$name]}"
    kill -0 "$pid" 2>/dev/null && continue
    wait "$pid" 2>/dev/null || true
    unset "CONTROLLER_PIDS[$name]"
    base="${name%%[0-9]*}"
    REPLICA_GEN[$base]=$(( ${REPLICA_GEN[$base]:-1} + 1 ))
    log "replica $name exited; starting ${base}${REPLICA_GEN[$base]}"
    start_replica "${base}${REPLICA_GEN[$base]}" "${REPLICA_FLAGS[@]}"
  done
}
REPLICA_FLAGS=()

# Peak resident set of any replica so far (MB), sampled every second in the background into
# $WORK/peak-rss (VmHWM of every running `joinery controller` of this test).
start_rss_sampler() {
  (
    peak=0
    while :; do
      for pid in $(pgrep -f -- "controller --kubeconfig $SA_KUBECONFIG" || true); do
        kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
        [ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak="$kb" && echo $((peak / 1024)) >"$WORK/peak-rss"
      done
      sleep 1
    done
  ) &
  RSS_SAMPLER=$!
}
peak_rss() { cat "$WORK/peak-rss" 2>/dev/null || echo 0; }
stop_rss_sampler() { [ -n "${RSS_SAMPLER:-}" ] && kill "$RSS_SAMPLER" 2>/dev/null; wait "$RSS_SAMPLER" 2>/dev/null || true; }

# wait_for_log NAME PATTERN TIMEOUT: until replica NAME's log has a line matching PATTERN.
wait_for_log() {
  local name="$1" pattern="$2" timeout="$3" deadline=$((SECONDS + $3))
  while ! grep -a -q -- "$pattern" "$WORK/$name.log" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "timed out after ${timeout}s waiting for '$pattern' in $name's log"
      return 1
    fi
    sleep 0.1
  done
}

baseline_seconds() {
  [ -f "$BASELINE_FILE" ] && awk '{print $1}' "$BASELINE_FILE" || echo 60
}

# The time limit for all pods bound: the last disruption's end (seconds after the workload was
# applied), plus the lease handover (15 s), plus an undisturbed run's time, plus 15 s of slack for
# the shared machine.
handover_limit() {
  echo $(( $1 + 15 + $(baseline_seconds) + 15 ))
}
since_apply() { echo $((SECONDS - WORKLOAD_START)); }
