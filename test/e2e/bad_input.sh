#!/usr/bin/env bash
# Bad input through the API: invalid NodePools (accepted by the 1.20 server, which ignores the
# CRDs' CEL rules), NodeClaims for a missing NodePool or EC2NodeClass, and a pod asking for a
# resource no instance type has. Each produces a status condition or an event that says what is
# wrong, nothing is launched for it, and the controller keeps running and reports healthy.
source "$(dirname "$0")/lib.sh"
TEST_NAMESPACES=(e2e-bad-input)
NS=e2e-bad-input
# NodeClaim events stay in the default namespace after a run: names unique to this run.
RUN="$(printf '%04x' $((RANDOM % 65536)))"
ORPHAN="orphan-claim-$RUN"
CLASSLESS="classless-claim-$RUN"

jp() {  # jp RESOURCE NAME JSONPATH
  k get "$1" "$2" -o jsonpath="$3" 2>/dev/null
}
condition() {  # condition RESOURCE NAME TYPE FIELD: status, reason or message of a condition
  jp "$1" "$2" "{.status.conditions[?(@.type==\"$3\")].$4}"
}
# events_for NAME: "TYPE REASON SOURCE MESSAGE" lines of the events about an object, all namespaces.
events_for() {
  k get events -A --field-selector "involvedObject.name=$1" \
    -o jsonpath='{range .items[*]}{.type} {.reason} {.source.component} {.message}{"\n"}{end}' 2>/dev/null
}
has_event() {  # has_event NAME REGEX
  events_for "$1" | grep -q -E "$2"
}
nodeclaims_of_pool() {  # nodeclaims_of_pool POOL
  count nodeclaims -l "karpenter.sh/nodepool=$1"
}
export -f k jp condition events_for has_event count nodeclaims_of_pool

install_joinery
start_controller replica-a
pid="${CONTROLLER_PIDS[replica-a]}"
wait_for "replica-a holds the leader lease" 60 bash -c '[ "$(kubectl get lease -n kube-system joinery-leader-election -o jsonpath={.spec.holderIdentity} 2>/dev/null)" = replica-a ]'
apply_example ec2nodeclass.yaml
apply_example nodepool.yaml
wait_for "NodePool trainium-trn1 Ready" 60 bash -c '[ "$(condition nodepool trainium-trn1 Ready status)" = True ]'
k create namespace "$NS" >&2
wait_for "default ServiceAccount in $NS" 60 k get serviceaccount -n "$NS" default

# ---- Invalid NodePools: ValidationSucceeded=False names the problem, Ready=False ----
# Each pool carries a template label `pool: <name>` so a pod can ask for it and nothing else.
invalid_pool() {  # invalid_pool NAME EXTRA_TEMPLATE_LABELS REQUIREMENTS_YAML
  cat <<EOF | k apply --validate=false -f - >&2
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: $1
spec:
  template:
    metadata:
      labels:
        pool: $1
$2
    spec:
      requirements:
$3
      nodeClassRef:
        group: karpenter.k8s.aws
        kind: EC2NodeClass
        name: trainium-trn1
EOF
}
invalid_pool bad-empty-in "" "        - key: node.kubernetes.io/instance-type
          operator: In"
invalid_pool bad-restricted-label "        karpenter.sh/custom: x" "        - key: kubernetes.io/arch
          operator: In
          values: [amd64]"
invalid_pool bad-hostname "" "        - key: kubernetes.io/hostname
          operator: In
          values: [node-a]"

check_invalid_pool() {  # check_invalid_pool NAME MESSAGE_SUBSTRING
  local pool="$1" want="$2"
  wait_for "NodePool $pool ValidationSucceeded=False" 60 bash -c \
    "[ \"\$(condition nodepool $pool ValidationSucceeded status)\" = False ]" || return 0
  expect_eq "NodePool $pool ValidationSucceeded reason" \
    "$(condition nodepool "$pool" ValidationSucceeded reason)" NodePoolValidationFailed
  local msg
  msg="$(condition nodepool "$pool" ValidationSucceeded message)"
  if [[ "$msg" == *"$want"* ]]; then
    log "ok: NodePool $pool validation message names the problem: $msg"
  else
    fail "NodePool $pool validation message '$msg' does not contain '$want'"
  fi
  expect_eq "NodePool $pool Ready" "$(condition nodepool "$pool" Ready status)" False
  expect_eq "NodePool $pool Ready message" "$(condition nodepool "$pool" Ready message)" \
    "ValidationSucceeded=False"
}
check_invalid_pool bad-empty-in \
  "spec.template.spec.requirements[0]: Invalid value: \"object\": requirements with operator 'In' must have a value defined"
check_invalid_pool bad-restricted-label \
  "spec.template.metadata.labels: Invalid value: \"karpenter.sh/custom\": label domain \"karpenter.sh\" is restricted"
check_invalid_pool bad-hostname \
  "spec.template.spec.requirements[0].key: Invalid value: \"kubernetes.io/hostname\": label \"kubernetes.io/hostname\" is restricted"

# A pod only bad-empty-in could serve (its template label, the neuron toleration): no NodeClaim.
cat <<EOF | k apply -f - >&2
apiVersion: v1
kind: Pod
metadata:
  name: wants-invalid-pool
  namespace: $NS
spec:
  nodeSelector:
    pool: bad-empty-in
  tolerations:
    - key: aws.amazon.com/neuron
      operator: Exists
  containers:
    - name: c
      image: registry.k8s.io/pause:3.9
      resources:
        requests:
          cpu: 100m
EOF
wait_for "a FailedScheduling event from joinery on pod wants-invalid-pool" 60 \
  has_event wants-invalid-pool '^Warning FailedScheduling joinery Failed to schedule pod, '
log "event: $(events_for wants-invalid-pool | grep "FailedScheduling joinery" | head -1)"
for pool in bad-empty-in bad-restricted-label bad-hostname; do
  expect_eq "NodeClaims of invalid NodePool $pool" "$(nodeclaims_of_pool "$pool")" 0
done
expect_eq "NodeClaims at all" "$(count nodeclaims)" 0

# ---- A NodeClaim for a NodePool that does not exist: Launched=False NodePoolNotFound ----
nodeclaim() {  # nodeclaim NAME NODEPOOL NODECLASS
  cat <<EOF | k apply --validate=false -f - >&2
apiVersion: karpenter.sh/v1
kind: NodeClaim
metadata:
  name: $1
  labels:
    karpenter.sh/nodepool: $2
spec:
  nodeClassRef:
    group: karpenter.k8s.aws
    kind: EC2NodeClass
    name: $3
  requirements:
    - key: node.kubernetes.io/instance-type
      operator: In
      values: ["trn1.2xlarge"]
    - key: karpenter.sh/capacity-type
      operator: In
      values: ["on-demand"]
  resources:
    requests:
      cpu: 100m
EOF
}
nodeclaim $ORPHAN does-not-exist trainium-trn1
wait_for "NodeClaim $ORPHAN Launched=False" 60 bash -c \
  "[ \"\$(condition nodeclaim $ORPHAN Launched status)\" = False ]"
expect_eq "$ORPHAN Launched reason" "$(condition nodeclaim $ORPHAN Launched reason)" NodePoolNotFound
expect_eq "$ORPHAN Launched message" "$(condition nodeclaim $ORPHAN Launched message)" \
  'NodePool "does-not-exist" not found'
expect_eq "$ORPHAN Ready" "$(condition nodeclaim $ORPHAN Ready status)" False
wait_for "a Warning NodePoolNotFound event on $ORPHAN" 30 \
  has_event $ORPHAN '^Warning NodePoolNotFound joinery .*NodePool "does-not-exist" not found'
expect_eq "$ORPHAN event namespace" \
  "$(k get events -n default --field-selector involvedObject.name=$ORPHAN,reason=NodePoolNotFound -o name | grep -c .)" 1
expect_eq "$ORPHAN providerID (nothing launched)" "$(jp nodeclaim $ORPHAN '{.status.providerID}')" ""

# ---- A NodeClaim whose EC2NodeClass does not exist: NodeClassNotReady event, then deleted ----
nodeclaim $CLASSLESS trainium-trn1 missing-class
wait_for "a Warning NodeClassNotReady event on $CLASSLESS" 60 \
  has_event $CLASSLESS '^Warning NodeClassNotReady joinery .*missing-class'
log "event: $(events_for $CLASSLESS | grep NodeClassNotReady | head -1)"
wait_for "NodeClaim $CLASSLESS deleted" 60 bash -c "! kubectl get nodeclaim $CLASSLESS >/dev/null 2>&1"

# ---- A pod asking for a resource no instance type has ----
cat <<EOF | k apply -f - >&2
apiVersion: v1
kind: Pod
metadata:
  name: wants-widget
  namespace: $NS
spec:
  tolerations:
    - key: aws.amazon.com/neuron
      operator: Exists
  containers:
    - name: c
      image: registry.k8s.io/pause:3.9
      resources:
        requests:
          cpu: 100m
          example.com/widget: 1
        limits:
          example.com/widget: 1
EOF
wait_for "a FailedScheduling event from joinery on pod wants-widget" 60 \
  has_event wants-widget '^Warning FailedScheduling joinery Failed to schedule pod, '
widget_event="$(events_for wants-widget | grep 'FailedScheduling joinery' | head -1)"
log "event: $widget_event"
[[ "$widget_event" == *example.com/widget* ]] || fail "the FailedScheduling event does not name example.com/widget"
expect_eq "NodeClaims after the widget pod" "$(count nodeclaims -l karpenter.sh/nodepool=trainium-trn1)" 0
expect_eq "wants-widget phase" "$(k get pod -n "$NS" wants-widget -o jsonpath='{.status.phase}')" Pending

# ---- The controller is still running and healthy ----
if kill -0 "$pid" 2>/dev/null; then log "ok: controller pid $pid alive"; else fail "controller pid $pid exited"; fi
health="$(controller_port replica-a health-port)"
metrics="$(controller_port replica-a metrics-port)"
expect_eq "/healthz" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$health/healthz")" 200
expect_eq "/readyz" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$health/readyz")" 200
body="$(curl -s "http://127.0.0.1:$metrics/metrics")"
for m in karpenter_nodepools_limit karpenter_scheduler_scheduling_duration_seconds karpenter_cloudprovider_errors_total; do
  if grep -q "^$m" <<<"$body"; then log "ok: /metrics has $m"; else fail "/metrics lacks $m"; fi
done
grep -q '^karpenter_nodepools_limit{.*nodepool="trainium-trn1".*resource_type="aws.amazon.com/neuron"' <<<"$body" \
  || fail "/metrics lacks the trainium-trn1 neuron limit"
if grep -a -q -E '"level":"(FATAL|fatal)"|AddressSanitizer|runtime error' "$WORK/replica-a.log"; then
  fail "replica-a logged a crash or sanitizer report"
fi

# The valid pool still works alongside the invalid ones and the bad NodeClaim.
expect_eq "NodePool trainium-trn1 Ready" "$(condition nodepool trainium-trn1 Ready status)" True
