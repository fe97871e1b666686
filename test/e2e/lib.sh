# Shared helpers for the end-to-end tests: a real control plane (scripts/local-cluster.sh, started by
# the ctest fixture), real kubectl, and `joinery controller` processes run with the token of the
# kube-system/joinery ServiceAccount, so the shipped RBAC is what the tests exercise.
#
# Env (set by test/integration/CMakeLists.txt): JOINERY_CLUSTER_DIR, JOINERY_SOURCE_DIR, JOINERY_BIN.
# Optional: JOINERY_CONTROLLER_BIN (the joinery binary to run; default $JOINERY_BIN/joinery).
set -euo pipefail

: "${JOINERY_CLUSTER_DIR:?set by ctest}"
: "${JOINERY_SOURCE_DIR:?set by ctest}"
: "${JOINERY_BIN:?set by ctest}"
CONTROLLER_BIN="${JOINERY_CONTROLLER_BIN:-$JOINERY_BIN/joinery}"
export KUBECONFIG="$JOINERY_CLUSTER_DIR/kubeconfig"
TEST_NAME="$(basename "$0" .sh)"
WORK="$JOINERY_CLUSTER_DIR/e2e/$TEST_NAME"
rm -rf "$WORK"
mkdir -p "$WORK"
SA_KUBECONFIG="$WORK/joinery-sa.kubeconfig"
declare -A CONTROLLER_PIDS=()
KUBELET_PID=""
FAILURES=0

log() { echo "[$(date +%T)] $TEST_NAME: $*" >&2; }

# kubectl without the 1.32-client / 1.20-server version-skew warning.
k() {
  local err rc=0
  err="$(mktemp)"
  kubectl "$@" 2>"$err" || rc=$?
  grep -v -e 'WARNING: version difference' -e '^Warning: ' "$err" >&2 || true
  rm -f "$err"
  return $rc
}

fail() {
  log "FAIL: $*"
  FAILURES=$((FAILURES + 1))
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
  if [ "$2" == "$3" ]; then log "ok: $1 = '$3'"; else fail "$1: got '$2', want '$3'"; fi
}

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: polls COMMAND (every 0.5 s) until it succeeds.
wait_for() {
  local what="$1" timeout="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  while ! "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep 0.5
  done
  log "ok: $what"
}

# Installs the CRDs and RBAC (idempotent) and writes the ServiceAccount kubeconfig.
install_joinery() {
  k apply --validate=false -f "$JOINERY_SOURCE_DIR/deploy/crds/" >/dev/null
  k apply --validate=false -f "$JOINERY_SOURCE_DIR/deploy/rbac.yaml" >/dev/null
  bash "$JOINERY_SOURCE_DIR/scripts/sa-kubeconfig.sh" "$JOINERY_CLUSTER_DIR" "$SA_KUBECONFIG" >&2
}

# The simulated cloud's machines (`joinery kubelet-simulator`): one process for the test, apart
# from the controllers, with the admin kubeconfig (it stands for the nodes' kubelets). Started by
# start_controller when not running yet; logs to $WORK/kubelet-simulator.log.
start_kubelet_simulator() {
  [ -z "$KUBELET_PID" ] || return 0
  "$CONTROLLER_BIN" kubelet-simulator --kubeconfig "$KUBECONFIG" \
    >"$WORK/kubelet-simulator.log" 2>&1 &
  KUBELET_PID=$!
  log "started kubelet-simulator (pid $KUBELET_PID)"
}

stop_kubelet_simulator() {
  [ -n "$KUBELET_PID" ] || return 0
  kill -TERM "$KUBELET_PID" 2>/dev/null || true
  wait "$KUBELET_PID" 2>/dev/null || true
  KUBELET_PID=""
}

# start_controller NAME [extra flags...]: one replica, logging to $WORK/NAME.log.
start_controller() {
  local name="$1"
  shift
  start_kubelet_simulator
  "$CONTROLLER_BIN" controller --kubeconfig "$SA_KUBECONFIG" --identity "$name" \
    --metrics-port 0 --health-probe-port 0 --bind-address 127.0.0.1 \
    --cluster-name joinery-local --simulated-registration-delay 1s "$@" \
    >"$WORK/$name.log" 2>&1 &
  CONTROLLER_PIDS[$name]=$!
  log "started controller $name (pid ${CONTROLLER_PIDS[$name]})"
}

# The port a replica's server listens on: kind is metrics-port or health-port.
controller_port() {
  local name="$1" kind="$2"
  grep -a -o "\"$kind\":[0-9]*" "$WORK/$name.log" | head -1 | cut -d: -f2
}

stop_controller() {  # stop_controller NAME [SIGNAL]
  local name="$1" sig="${2:-TERM}" pid="${CONTROLLER_PIDS[$1]:-}"
  [ -n "$pid" ] || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "CONTROLLER_PIDS[$name]"
  log "stopped controller $name with SIG$sig"
}

leader() {
  k get lease -n kube-system joinery-leader-election -o jsonpath='{.spec.holderIdentity}' 2>/dev/null
}

# The trainium example, with ${...} substituted as a user would (envsubst-style).
apply_example() {
  local file="$1"
  sed -e 's/\${KARPENTER_NODE_ROLE}/KarpenterNodeRole-joinery-local/g' \
      -e 's/\${EKS_CLUSTER_NAME}/joinery-local/g' "$JOINERY_SOURCE_DIR/examples/trainium/$file" |
    k apply --validate=false -f - >&2
}

# apply_default_nodeclass: the EC2NodeClass `default` of the local cluster's simulated VPC.
apply_default_nodeclass() {
  cat <<YAML | k apply --validate=false -f - >&2
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: default
spec:
  amiSelectorTerms: [{alias: al2023@latest}]
  role: KarpenterNodeRole-joinery-local
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: joinery-local}}]
  securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: joinery-local}}]
YAML
}

count() { # count RESOURCE [kubectl get args...]: number of objects
  k get "$@" -o name 2>/dev/null | grep -c . || true
}

# Deletes what a test created while a controller still runs (finalizers need it), then stops the
# replicas; anything left is force-cleaned so the next test starts from an empty cluster.
# On failure, before cleanup changes anything: what the cluster and the controllers looked like.
diagnose() {
  echo "----- cluster state at failure -----" >&2
  k get nodeclaims -o wide >&2
  k get nodes -o custom-columns='NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,CPU:.status.allocatable.cpu,PODS:.status.allocatable.pods,TAINTS:.spec.taints[*].key' >&2
  k get nodeclaims -o jsonpath='{range .items[*]}{.metadata.name}{": "}{range .status.conditions[*]}{.type}={.status}({.reason}) {end}{"\n"}{end}' >&2
  local ns
  for ns in "${TEST_NAMESPACES[@]:-}"; do
    [ -n "$ns" ] || continue
    echo "pods in $ns by node and PodScheduled reason:" >&2
    k get pods -n "$ns" -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{.status.conditions[?(@.type=="PodScheduled")].reason}{"\n"}{end}' |
      sort | uniq -c | sort -rn | head -20 >&2
    k get events -n "$ns" --sort-by=.lastTimestamp 2>/dev/null | grep -v -e ' Scheduled ' -e ' Nominated ' | tail -15 >&2
  done
  local f
  for f in "$JOINERY_CLUSTER_DIR"/logs/kube-{controller-manager,scheduler}.log; do
    [ -f "$f" ] || continue
    echo "----- last errors in $f -----" >&2
    grep -a '^E' "$f" | grep -v configmap_cafile_content | tail -8 | cut -c1-400 >&2
  done
  for f in "$WORK"/*.log; do
    [ -f "$f" ] || continue
    echo "----- $f up to the failure (informational lines) -----" >&2
    grep -a -v -e '"level":"DEBUG"' -e '"message":"evicting pod' "$f" | tail -60 | cut -c1-600 >&2
  done
}

cleanup() {
  local rc=$?
  set +e
  if [ "$rc" -ne 0 ] || [ "$FAILURES" -ne 0 ]; then diagnose; fi
  log "cleaning up"
  k delete namespace "${TEST_NAMESPACES[@]:-e2e-none}" --ignore-not-found --wait=false >/dev/null 2>&1
  k delete nodepools --all --wait=false >/dev/null 2>&1
  k delete nodeclaims --all --wait=false >/dev/null 2>&1
  if [ "${#CONTROLLER_PIDS[@]}" -gt 0 ]; then
    local deadline=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$deadline" ] && [ "$(count nodeclaims)$(count nodes)" != "00" ]; do sleep 1; done
  fi
  for name in "${!CONTROLLER_PIDS[@]}"; do stop_controller "$name" TERM; done
  stop_kubelet_simulator
  k delete configmaps -n kube-system -l joinery.dev/simulated-instance=true --wait=false >/dev/null 2>&1
  for obj in $(k get nodeclaims,nodes -o name 2>/dev/null); do
    k patch "$obj" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
    k delete "$obj" --wait=false >/dev/null 2>&1
  done
  k delete ec2nodeclasses --all --wait=false >/dev/null 2>&1
  k delete lease -n kube-system joinery-leader-election --ignore-not-found >/dev/null 2>&1
  for ns in "${TEST_NAMESPACES[@]:-}"; do
    [ -n "$ns" ] && wait_for "namespace $ns gone" 60 bash -c "! kubectl get namespace $ns >/dev/null 2>&1"
  done
  if [ "$rc" -ne 0 ] || [ "$FAILURES" -ne 0 ]; then
    for f in "$WORK"/*.log; do
      [ -f "$f" ] || continue
      echo "----- last lines of $f (cleanup) -----" >&2
      grep -a -v '"level":"DEBUG"' "$f" | tail -10 | cut -c1-600 >&2
    done
  fi
  if [ "$FAILURES" -ne 0 ]; then
    log "$FAILURES check(s) failed"
    exit 1
  fi
  exit "$rc"
}
TEST_NAMESPACES=()
trap cleanup EXIT
