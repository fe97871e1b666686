#!/usr/bin/env bash
# Scale: 1,000 pending pods across 10 Deployments on the local control plane are all bound to
# simulated nodes within 60 s, and the controller's peak RSS stays under 150 MB (Karpenter's own
# kwok thresholds at this size are 2 minutes and 260 MB). The controller under test is the Release
# binary (JOINERY_SCALE_BIN, built by `make test`): the sanitizer build's shadow memory would make
# its RSS meaningless. Size: JOINERY_SCALE_PODS (default 1000, over 10 Deployments); time limit:
# JOINERY_SCALE_DEADLINE (default 60 s).
source "$(dirname "$0")/lib.sh"
PODS="${JOINERY_SCALE_PODS:-1000}"
DEPLOYMENTS=10
PER=$((PODS / DEPLOYMENTS))
DEADLINE_SECONDS="${JOINERY_SCALE_DEADLINE:-60}"
RSS_LIMIT_KB=$((150 * 1024))
CONTROLLER_BIN="${JOINERY_SCALE_BIN:-}"
if [ -z "$CONTROLLER_BIN" ] || [ ! -x "$CONTROLLER_BIN" ]; then
  fail "JOINERY_SCALE_BIN ('$CONTROLLER_BIN') is not an executable Release build of joinery; run 'make test'"
  exit 1
fi
TEST_NAMESPACES=(scale)

install_joinery
start_controller scale-a --disable-leader-election
k create namespace scale >&2

apply_default_nodeclass
cat <<YAML | k apply --validate=false -f - >&2
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m, r]}
        - {key: karpenter.k8s.aws/instance-generation, operator: Gt, values: ["4"]}
        - {key: kubernetes.io/arch, operator: In, values: [amd64]}
        - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
  limits:
    cpu: 2000
YAML
wait_for "NodePool default Ready" 60 bash -c '[ "$(kubectl get nodepool default -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].status}" 2>/dev/null)" = True ]'

# Ten Deployments of different shapes (100m..1 CPU, 128Mi..1Gi).
manifest="$WORK/deployments.yaml"
: >"$manifest"
for i in $(seq 1 "$DEPLOYMENTS"); do
  cpu="$((i * 100))m"
  mem="$(( (i % 8 + 1) * 128 ))Mi"
  cat >>"$manifest" <<YAML
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app-$i, namespace: scale}
spec:
  replicas: $PER
  selector: {matchLabels: {app: app-$i}}
  template:
    metadata: {labels: {app: app-$i}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: app
          image: registry.k8s.io/pause:3.9
          resources: {requests: {cpu: "$cpu", memory: "$mem"}}
YAML
done
start=$SECONDS
k apply -f "$manifest" >/dev/null
bound() {
  k get pods -n scale -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' 2>/dev/null | grep -c . || true
}
last=-1
while [ $((SECONDS - start)) -lt $((DEADLINE_SECONDS * 3)) ]; do
  n="$(bound)"
  if [ "$n" != "$last" ]; then log "$n/$PODS pods bound after $((SECONDS - start)) s"; last="$n"; fi
  [ "$n" -ge "$PODS" ] && break
  sleep 1
done
elapsed=$((SECONDS - start))
pid="${CONTROLLER_PIDS[scale-a]}"
hwm_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")"
nodes="$(count nodes)"
claims="$(count nodeclaims)"
created="$(count pods -n scale)"
log "RESULT pods=$PODS created=$created bound=$(bound) seconds=$elapsed nodes=$nodes nodeclaims=$claims controller_peak_rss_mb=$((hwm_kb / 1024))"
echo "$PODS $elapsed $nodes $((hwm_kb / 1024))" >"$WORK/result"
expect_eq "pods bound" "$(bound)" "$PODS"
if [ "$elapsed" -le "$DEADLINE_SECONDS" ]; then
  log "ok: all $PODS pods bound in ${elapsed}s (limit ${DEADLINE_SECONDS}s)"
else
  fail "binding $PODS pods took ${elapsed}s (limit ${DEADLINE_SECONDS}s)"
fi
if [ "$hwm_kb" -lt "$RSS_LIMIT_KB" ]; then
  log "ok: controller peak RSS $((hwm_kb / 1024)) MB (limit 150 MB)"
else
  fail "controller peak RSS $((hwm_kb / 1024)) MB exceeds 150 MB"
fi
